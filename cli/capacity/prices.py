"""List prices, request-unit costs and per-command operations: inputs with dated defaults.

Nothing here is a truth about today's bill: prices change and differ by region and agreement.
Each default names its source and date; pass your own (`--prices FILE`) for a real answer.
"""

from __future__ import annotations

from pydantic import Field

from cli.capacity.workload import Model

PRICES_AS_OF = "2025-05 (East US, pay as you go)"


class Prices(Model):
    """Monthly-cost inputs, USD. Defaults: Azure's public pricing pages, as of `as_of`."""

    as_of: str = PRICES_AS_OF
    hours_per_month: float = 730
    # Functions Flex Consumption, on-demand: billed while an instance executes (GB-s) and per
    # execution; free grants per subscription and month.
    flex_gb_second: float = 0.000026
    flex_per_million_executions: float = 0.40
    flex_free_gb_seconds: float = 100_000
    flex_free_executions: float = 250_000
    flex_always_ready_baseline_gb_second: float = 0.000004
    instance_memory_gb: float = Field(2.0, description="instanceMemoryMB / 1024 (Bicep: 2048).")
    # Service Bus: Standard (base charge, operations past 13 M a month) or Premium per MU.
    servicebus_standard_base_hour: float = 0.0135
    servicebus_standard_included_ops: float = 13_000_000
    servicebus_standard_per_million_ops: float = 0.80
    servicebus_standard_tier_2_from: float = 100_000_000
    servicebus_standard_per_million_ops_tier_2: float = 0.50
    servicebus_premium_mu_hour: float = 0.928
    # Cosmos DB: provisioned throughput per 100 RU/s-hour (autoscale bills 1.5x of this at
    # the hour's peak), or serverless per million RU.
    cosmos_per_100_rus_hour: float = 0.008
    cosmos_autoscale_factor: float = 1.5
    cosmos_serverless_per_million_ru: float = 0.25
    # AI Search: one Basic search unit.
    search_unit_hour: float = 0.101


class RequestUnits(Model):
    """RU charged per store operation on a ~1 KB document with the default indexing policy.

    Source: Azure Cosmos DB documentation, "Request Units in Azure Cosmos DB" (a 1 KB point read
    costs 1 RU) and "Optimize request cost" (writes cost about five times a read; a replace
    about twice an insert, as it removes and adds index terms). Measure yours with the query
    statistics of Data Explorer and pass them in.
    """

    read: float = 1.0
    create: float = 5.5
    upsert: float = 5.5
    replace: float = 10.5
    delete: float = 5.5
    query: float = 3.0


class CommandOperations(Model):
    """What one command costs the shared services, from the ingress to its end."""

    reads: float = 0
    creates: float = 0
    upserts: float = 0
    replaces: float = 0
    deletes: float = 0
    queries: float = 0
    bus_sends: float = Field(1, description="Messages sent (the command; scheduled follow-ups).")

    def request_units(self, ru: RequestUnits) -> float:
        """RU this command consumes."""
        return (
            self.reads * ru.read
            + self.creates * ru.create
            + self.upserts * ru.upsert
            + self.replaces * ru.replace
            + self.deletes * ru.delete
            + self.queries * ru.query
        )
