"""The permission matrix: each request an identity sends is allowed by a role infra/ grants it.

A 403 on Azure is invisible here (no subscription), so the rights are checked from both ends:
the Azure suites run with the request recorder, each request is charged to the port method that
sent it, each identity's port methods come from its code (mypy), and each request's permission
must be allowed by a role infra/ grants that identity, per Azure's own role definitions
(tests/permissions/roles.py). The matrix is printed (`-s`) for the README.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.emulators import unavailable
from tests.permissions.classify import (
    BLOB,
    COSMOS,
    FOUNDRY,
    KEYVAULT,
    SEARCH,
    SERVICEBUS,
    Permission,
)
from tests.permissions.grants import ALL, granted
from tests.permissions.matrix import matrix, needs_by_method
from tests.permissions.port_calls import methods_of
from tests.permissions.recorder import ENV
from tests.permissions.roles import BUILT_IN

ROOT = Path(__file__).resolve().parents[2]
DOCDB = "Microsoft.DocumentDB/databaseAccounts"

# Requests the code sends today that no role of infra/ can allow, each with its reason. A new
# one fails the test; one that goes away (the code fixed) is fine, and should leave this list.
KNOWN_GAPS: dict[str, set[tuple[str, str]]] = {}
"""None today: the Cosmos DB adapter no longer creates its database and containers on a request
(`create_containers` is for emulators and development accounts, never called by the apps)."""

# The console has no identity of its own in infra/: it runs with an operator's credentials
# (README, "The operator console"), so the operator's roles must allow its requests too.
CREDENTIALS_OF = {"console": "operator"}

# Roles an identity holds for the platform rather than for requests of its code.
PLATFORM_ROLES = {
    ("ingress", "AcrPull"),  # Container Apps pulls the image with the ingress identity
    ("ingress", "Monitoring Metrics Publisher"),  # telemetry to Application Insights
    ("workers", "Monitoring Metrics Publisher"),
    ("workers", "Storage Blob Data Owner"),  # the Functions host's own storage account
    ("workers", "Storage Queue Data Contributor"),
    ("workers", "Storage Table Data Contributor"),
    ("workers", "Azure Service Bus Data Owner"),  # Manage, for target-based scaling (see below)
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The requests of the whole tests/azure suite, recorded."""
    target = tmp_path_factory.mktemp("permissions") / "requests.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/azure",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.permissions.recorder",
            "-rs",
        ],
        cwd=ROOT,
        env=os.environ | {ENV: str(target)},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    # 1: some test of tests/azure failed; that suite reports it, and what ran was still recorded.
    assert result.returncode in (0, 1), result.stdout[-3000:]
    records: list[dict[str, Any]] = json.loads(target.read_text())
    services = {r["permission"]["service"] for r in records if r["permission"]}
    if not {COSMOS, BLOB} <= services:
        unavailable(
            "the Cosmos DB or Azurite emulator is missing: their requests were not recorded"
        )
    return records


def test_every_granted_role_is_in_the_table_of_azures_definitions() -> None:
    unknown = {g.role_id for g in granted()} - set(BUILT_IN)
    assert unknown == set()
    assert {g.identity for g in granted()} >= {"ingress", "workers", "operator"}


def test_the_scaling_right_is_manage_on_the_two_queues_only_with_its_reason() -> None:
    owner = [g for g in granted() if BUILT_IN[g.role_id].name == "Azure Service Bus Data Owner"]
    assert {g.identity for g in owner} == {"workers"}
    assert {g.entity for g in owner} == {"commands", "webhooks"}  # each queue, not the namespace
    assert {g.resource for g in owner} == {"workerOwns"}
    source = (ROOT / "infra/modules/servicebus.bicep").read_text()
    resource = source.index("resource workerOwns")
    assert "scope: queues[i]" in source[resource : resource + 400]  # each queue, not the namespace
    reason = source[max(0, resource - 1200) : resource]  # the comment block above it
    assert "target-based scaling" in reason and "Manage" in reason


@pytest.mark.slow
def test_every_request_is_classified_and_every_service_was_recorded(
    recorded: list[dict[str, Any]],
) -> None:
    assert [r["detail"] for r in recorded if r["permission"] is None] == []
    services = {r["permission"]["service"] for r in recorded}
    assert services >= {SERVICEBUS, COSMOS, BLOB, SEARCH, KEYVAULT, FOUNDRY}


@pytest.mark.slow
@pytest.mark.parametrize("identity", ["ingress", "workers", "operator", "console"])
def test_every_request_of_an_identity_is_allowed_by_its_roles(
    identity: str, recorded: list[dict[str, Any]]
) -> None:
    holder = CREDENTIALS_OF.get(identity, identity)
    grants = [g for g in granted() if g.identity == holder]
    rows = matrix(methods_of(identity), needs_by_method(recorded), grants)
    assert rows, f"no recorded request for {identity}: the matrix would prove nothing"
    print(f"\n{identity}:")  # the matrix, shown with `pytest -s`
    for need, roles in rows:
        p = need.permission
        print(
            f"  {need.method.removeprefix('shared.ports.')}: {p.kind} {p.operation}"
            f"{' on ' + p.entity if p.entity else ''} -> {', '.join(roles) or 'NONE'}"
        )
    refused = {(n.permission.service, n.permission.operation) for n, roles in rows if not roles}
    assert refused <= KNOWN_GAPS.get(holder, set()), sorted(refused)


@pytest.mark.slow
@pytest.mark.parametrize("identity", ["ingress", "workers", "operator"])
def test_every_role_an_identity_holds_is_needed(
    identity: str, recorded: list[dict[str, Any]]
) -> None:
    grants = [g for g in granted() if g.identity == identity]
    needs = {
        n.permission for n, _ in matrix(methods_of(identity), needs_by_method(recorded), grants)
    }
    unneeded = {
        BUILT_IN[g.role_id].name
        for g in grants
        if (identity, BUILT_IN[g.role_id].name) not in PLATFORM_ROLES
        and not any(
            g.service == p.service and BUILT_IN[g.role_id].allows(p.kind, p.operation)
            for p in needs
        )
    }
    assert unneeded == set()


def test_a_permission_needs_the_right_kind_and_entity() -> None:
    """Matching: a data action needs a data action, a queue its grant; no role makes containers."""
    from tests.permissions.grants import Grant
    from tests.permissions.matrix import covered

    sender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
    grant = Grant("ingress", sender, SERVICEBUS, "commands", "f", "r")
    send = "Microsoft.ServiceBus/namespaces/messages/send/action"
    assert covered(Permission(SERVICEBUS, "dataAction", send, "commands"), [grant])
    assert not covered(Permission(SERVICEBUS, "dataAction", send, "webhooks"), [grant])
    assert not covered(Permission(SERVICEBUS, "action", send, "commands"), [grant])
    cosmos = Grant("ingress", "00000000-0000-0000-0000-000000000002", COSMOS, ALL, "f", "r")
    create = Permission(COSMOS, "action", f"{DOCDB}/sqlDatabases/containers/write")
    assert not covered(create, [cosmos])


def test_no_app_calls_what_only_the_deployment_does() -> None:
    """A method exempted as the deployment's must not be called by the service's own code."""
    from tests.permissions.matrix import DEPLOYMENT_METHODS

    packages = ("shared", "ingress", "workers", "functions", "cli", "console")
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            for method in DEPLOYMENT_METHODS:
                calls = text.count(f".{method}(")
                assert calls == 0, f"{path.relative_to(ROOT)} calls {method}"
