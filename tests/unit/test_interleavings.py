"""Property: any interleaving of tenants' commands leaves each tenant exactly its own, in order."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import TENANTS, running, settings_for

commands = st.lists(
    st.tuples(st.sampled_from(TENANTS), st.sampled_from(["notes", "tasks"]), st.integers(0, 999)),
    min_size=1,
    max_size=30,
)


async def _play(data_dir: Path, plan: list[tuple[str, str, int]]) -> None:
    async with running(settings_for(data_dir)) as harness:
        jobs: dict[str, list[str]] = {t: [] for t in TENANTS}
        for tenant, container, value in plan:
            response = await harness.client.post(
                f"/cosmos/{container}", headers=harness.auth(tenant), json={"value": value}
            )
            assert response.status_code == 202
            jobs[tenant].append(response.json()["id"])
        for tenant in TENANTS:
            await harness.wait_for_jobs(tenant, jobs[tenant])
        for tenant in TENANTS:
            for container in ("notes", "tasks"):
                listed = await harness.client.get(
                    f"/cosmos/{container}", headers=harness.auth(tenant), params={"limit": 100}
                )
                items = listed.json()[::-1]  # the API lists newest first
                expected = [v for t, c, v in plan if t == tenant and c == container]
                assert [i["value"] for i in items] == expected
                assert {i["metadata"]["tenantId"] for i in items} <= {tenant}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=commands)
def test_interleaved_commands_leave_each_tenant_its_own_items_in_order(
    plan: list[tuple[str, str, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_play(Path(tmp), plan))
