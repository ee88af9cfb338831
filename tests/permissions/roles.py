"""Azure's built-in role definitions that infra/ grants, as Azure publishes them.

Sources (each role's "Actions" and "DataActions" copied from its JSON definition):
- Azure built-in roles, https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
  (pages Integration: Service Bus; Storage; AI + machine learning: Search, Azure AI User;
  Security: Key Vault; Containers: AcrPull; Monitor: Monitoring Metrics Publisher);
- Cosmos DB's own data-plane roles, "Built-in role definitions" in
  https://learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access
  (ids 00000000-0000-0000-0000-00000000000{1,2} under the account's `sqlRoleDefinitions`).

Only the permissions that matter for tenantry's requests are kept where a role lists many
(e.g. the `Microsoft.Support/*` every role carries); nothing is added that a role lacks.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Role:
    """A role definition: its name, and the permissions it grants."""

    name: str
    actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = field(default=())

    def allows(self, kind: str, operation: str) -> bool:
        """Whether the role grants `operation` as an `action` or a `dataAction`."""
        if kind == "action":
            return any(_matches(pattern, operation) for pattern in self.actions)
        return any(_matches(p, operation) for p in self.data_actions) and not any(
            _matches(p, operation) for p in self.not_data_actions
        )


def _matches(pattern: str, operation: str) -> bool:
    """Azure's wildcard: `*` stands for any run of characters, `/` included; case-insensitive."""
    return fnmatch.fnmatchcase(operation.lower(), pattern.lower())


SB = "Microsoft.ServiceBus"
ST = "Microsoft.Storage/storageAccounts"
SRCH = "Microsoft.Search/searchServices"

BUILT_IN: dict[str, Role] = {
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": Role(
        "Azure Service Bus Data Sender",
        actions=(f"{SB}/*/queues/read", f"{SB}/*/topics/read", f"{SB}/*/topics/subscriptions/read"),
        data_actions=(f"{SB}/*/send/action",),
    ),
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": Role(
        "Azure Service Bus Data Receiver",
        actions=(f"{SB}/*/queues/read", f"{SB}/*/topics/read", f"{SB}/*/topics/subscriptions/read"),
        data_actions=(f"{SB}/*/receive/action",),
    ),
    "090c5cfd-751d-490a-894a-3ce6f1109419": Role(
        "Azure Service Bus Data Owner", actions=(f"{SB}/*",), data_actions=(f"{SB}/*",)
    ),
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": Role(
        "Storage Blob Data Contributor",
        actions=(
            f"{ST}/blobServices/containers/delete",
            f"{ST}/blobServices/containers/read",
            f"{ST}/blobServices/containers/write",
            f"{ST}/blobServices/generateUserDelegationKey/action",
        ),
        data_actions=(
            f"{ST}/blobServices/containers/blobs/delete",
            f"{ST}/blobServices/containers/blobs/read",
            f"{ST}/blobServices/containers/blobs/write",
            f"{ST}/blobServices/containers/blobs/move/action",
            f"{ST}/blobServices/containers/blobs/add/action",
        ),
    ),
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": Role(
        "Storage Blob Data Owner",
        actions=(
            f"{ST}/blobServices/containers/*",
            f"{ST}/blobServices/generateUserDelegationKey/action",
        ),
        data_actions=(f"{ST}/blobServices/containers/blobs/*",),
    ),
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": Role(
        "Storage Queue Data Contributor",
        actions=(
            f"{ST}/queueServices/queues/delete",
            f"{ST}/queueServices/queues/read",
            f"{ST}/queueServices/queues/write",
        ),
        data_actions=(
            f"{ST}/queueServices/queues/messages/delete",
            f"{ST}/queueServices/queues/messages/read",
            f"{ST}/queueServices/queues/messages/write",
            f"{ST}/queueServices/queues/messages/process/action",
        ),
    ),
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": Role(
        "Storage Table Data Contributor",
        actions=(
            f"{ST}/tableServices/tables/read",
            f"{ST}/tableServices/tables/write",
            f"{ST}/tableServices/tables/delete",
        ),
        data_actions=(
            f"{ST}/tableServices/tables/entities/read",
            f"{ST}/tableServices/tables/entities/write",
            f"{ST}/tableServices/tables/entities/delete",
            f"{ST}/tableServices/tables/entities/add/action",
            f"{ST}/tableServices/tables/entities/update/action",
        ),
    ),
    "1407120a-92aa-4202-b7e9-c0e197c71c8f": Role(
        "Search Index Data Reader", data_actions=(f"{SRCH}/indexes/documents/read",)
    ),
    "8ebe5a00-799e-43f5-93ac-243d3dce84a7": Role(
        "Search Index Data Contributor", data_actions=(f"{SRCH}/indexes/documents/*",)
    ),
    "7ca78c08-252a-4471-8644-bb5ff32d4ba0": Role(
        "Search Service Contributor",
        actions=(
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            f"{SRCH}/*",
            "Microsoft.Support/*",
        ),
    ),
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": Role(
        "Key Vault Secrets Officer",
        actions=("Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"),
        data_actions=("Microsoft.KeyVault/vaults/secrets/*",),
    ),
    "4633458b-17de-408a-b874-0445c86b69e6": Role(
        "Key Vault Secrets User",
        data_actions=(
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ),
    ),
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": Role(
        "AcrPull", actions=("Microsoft.ContainerRegistry/registries/pull/read",)
    ),
    "3913510d-42f4-4e42-8a64-420c390055eb": Role(
        "Monitoring Metrics Publisher",
        actions=("Microsoft.Insights/Register/Action", "Microsoft.Support/*"),
        data_actions=("Microsoft.Insights/Metrics/Write", "Microsoft.Insights/Telemetry/Write"),
    ),
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": Role(
        "Azure AI User",
        actions=(
            "Microsoft.CognitiveServices/*/read",
            "Microsoft.Authorization/roleAssignments/read",
            "Microsoft.Authorization/roleDefinitions/read",
        ),
        data_actions=("Microsoft.CognitiveServices/*",),
    ),
    # Cosmos DB's data-plane roles (sqlRoleDefinitions of the account): data actions only. No
    # Cosmos DB data-plane role grants creating databases or containers: that is the control
    # plane's `sqlDatabases/write` and `sqlDatabases/containers/write`, refused with an Entra ID
    # token on the data plane whatever the role.
    "00000000-0000-0000-0000-000000000001": Role(
        "Cosmos DB Built-in Data Reader",
        data_actions=(
            "Microsoft.DocumentDB/databaseAccounts/readMetadata",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
        ),
    ),
    "00000000-0000-0000-0000-000000000002": Role(
        "Cosmos DB Built-in Data Contributor",
        data_actions=(
            "Microsoft.DocumentDB/databaseAccounts/readMetadata",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/*",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*",
        ),
    ),
}
