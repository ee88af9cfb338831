"""The console's routes: operators only, counts that agree with the bus and the job ledger,
replay and purge that act on dead letters and are audited, and a strict page policy."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.security import CONTENT_SECURITY_POLICY
from shared.audit import AuditLog
from shared.queues import COMMANDS, WEBHOOKS
from tests.console.support import OPERATOR, console_of, dead_letter_next, raw_message
from tests.harness import running, settings_for

STATIC = Path(__file__).resolve().parents[2] / "console" / "static"

PAGE_CALLS = [
    ("GET", "/api/overview"),
    ("GET", "/api/overview?q=con&offset=0&limit=50"),
    ("GET", "/api/deadletters"),
    ("GET", "/api/deadletters?tenant=contoso&limit=100"),
    ("GET", "/api/audit?limit=20"),
    ("GET", "/api/tenants/contoso/webhooks"),
    ("POST", "/api/deadletters/commands:1/replay"),
    ("DELETE", "/api/deadletters/commands:1"),
]
"""Every call the page makes."""


@pytest.mark.parametrize(("method", "path"), PAGE_CALLS)
@pytest.mark.parametrize("roles", [("user",), (), ("tenantry.admins",), ("Tenantry.Admin",)])
async def test_every_call_of_the_page_refuses_a_token_without_the_operator_role_with_403(
    tmp_path: Path, method: str, path: str, roles: tuple[str, ...]
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        await harness.client.post("/cosmos/notes", headers=harness.auth("contoso"), json={"n": 1})
        await dead_letter_next(harness, "contoso")
        async with console_of(harness) as console:
            refused = await console.client.request(
                method, path, headers=harness.auth("contoso", roles)
            )
            anonymous = await console.client.request(method, path)
            forged = await console.client.request(
                method, path, headers={"Authorization": "Bearer a.b.c"}
            )
        left = await harness.services.bus.peek_dead_letters(COMMANDS)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert (anonymous.status_code, forged.status_code) == (401, 401)
    assert len(left) == 1, "a refused call changed nothing"


def _concrete(path: str) -> str:
    samples = {"tenant_id": "contoso", "dead_letter_id": "commands:1"}
    return re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], path)


async def test_every_api_route_of_the_app_refuses_a_tenant_token(tmp_path: Path) -> None:
    """Any route added under /api later is held to the same rule, listed here or not."""
    from console.app import create_console_app

    settings = settings_for(tmp_path)
    async with running(settings, workers=False) as harness, console_of(harness) as console:
        paths = create_console_app(settings, harness.services).openapi()["paths"]
        calls = [
            (method.upper(), _concrete(path))
            for path, operations in paths.items()
            if path.startswith("/api/")
            for method in operations
        ]
        answers = [
            (
                m,
                p,
                (await console.client.request(m, p, headers=harness.auth("contoso"))).status_code,
            )
            for m, p in calls
        ]
    assert len(calls) >= len({p.split("?")[0] for _, p in PAGE_CALLS})
    assert [a for a in answers if a[2] != 403] == []


async def test_every_answer_carries_the_strict_content_security_policy(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    async with running(settings, workers=False) as harness, console_of(harness) as console:
        answers = [
            await console.client.get("/"),
            await console.client.get("/static/console.js"),
            await console.client.get("/static/console.css"),
            await console.client.get("/static/nothing.js"),
            await console.client.get("/api/overview"),
            await console.client.get("/api/overview", headers=console.operator()),
        ]
    for answer in answers:
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"
    policy = dict(p.strip().split(" ", 1) for p in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["default-src"] == "'none'"
    assert all("unsafe" not in v and "http" not in v and "*" not in v for v in policy.values())


def test_the_page_loads_nothing_from_another_origin_and_has_nothing_inline() -> None:
    assets = {p.name: p.read_text(encoding="utf-8") for p in STATIC.iterdir()}
    assert set(assets) == {"index.html", "console.js", "console.css"}
    svg_namespace = "http://www.w3.org/2000/svg"
    for name, text in assets.items():
        urls = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^\s\"')]*", text))
        assert urls <= {svg_namespace}, (name, urls)
    html = assets["index.html"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
    assert not re.search(r"\son[a-z]+=", html), "no inline event handler"
    assert " style=" not in html and "<style" not in html
    assert "innerHTML" not in assets["console.js"], "data goes into the page as text only"
    assert "localStorage" not in assets["console.js"], "the token stays in the tab"


async def overview(console: Any, **params: Any) -> dict[str, Any]:
    answer = await console.client.get("/api/overview", headers=console.operator(), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_the_counts_agree_with_the_bus_and_the_job_ledger(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        submit = harness.client.post
        for n in range(3):
            await submit("/cosmos/notes", headers=harness.auth("contoso"), json={"n": n})
        await submit("/cosmos/notes", headers=harness.auth("fabrikam"), json={"n": 9})
        await dead_letter_next(harness, "fabrikam")
        at = datetime.fromtimestamp(harness.services.clock() + 600, UTC)
        await harness.services.bus.send(
            COMMANDS, [raw_message("northwind:2", "poll-1", scheduled_enqueue_time=at)]
        )
        await harness.services.bus.send(WEBHOOKS, [raw_message("contoso:wh_1", "dlv-1")])
        async with console_of(harness) as console:
            seen = await overview(console)
            admin_dead = await harness.client.get(
                "/admin/deadletters", headers=harness.auth("ops", OPERATOR)
            )
    rows = {row["id"]: row for row in seen["tenants"]}
    assert list(rows) == ["contoso", "fabrikam", "northwind"]
    assert rows["contoso"]["commands"] == {"active": 3, "scheduled": 0, "deadLettered": 0}
    assert rows["fabrikam"]["commands"] == {"active": 0, "scheduled": 0, "deadLettered": 1}
    assert rows["northwind"]["commands"] == {"active": 0, "scheduled": 1, "deadLettered": 0}
    assert rows["contoso"]["webhooks"]["active"] == 1
    assert seen["queues"][COMMANDS] == {"active": 3, "scheduled": 1, "deadLettered": 1}
    assert len(admin_dead.json()) == 1 and admin_dead.json()[0]["tenantId"] == "fabrikam"
    contoso_hour = rows["contoso"]["lastHour"]
    assert contoso_hour["totals"]["NotStarted"] == 3
    assert sum(map(sum, contoso_hour["buckets"])) == 3
    assert sum(rows["fabrikam"]["lastHour"]["totals"].values()) == 1
    assert sum(rows["northwind"]["lastHour"]["totals"].values()) == 0


async def test_a_thousand_tenants_are_paged_and_filtered(tmp_path: Path) -> None:
    tenants = [{"id": f"tenant-{n:04d}", "display_name": f"Customer {n}"} for n in range(1000)]
    settings = settings_for(tmp_path, tenants=json.dumps(tenants))
    async with running(settings, workers=False) as harness, console_of(harness) as console:
        first = await overview(console)
        last = await overview(console, offset=950, limit=100)
        found = await overview(console, q="TENANT-099")
        by_name = await overview(console, q="customer 42")
        none = await overview(console, q="nobody")
        too_many = await console.client.get(
            "/api/overview", headers=console.operator(), params={"limit": 101}
        )
    assert (first["tenantCount"], first["matching"], len(first["tenants"])) == (1000, 1000, 50)
    assert next(t["id"] for t in last["tenants"]) == "tenant-0950" and len(last["tenants"]) == 50
    assert [t["id"] for t in found["tenants"]] == [f"tenant-{n:04d}" for n in range(990, 1000)]
    assert {t["id"] for t in by_name["tenants"]} == {"tenant-0042"} | {
        f"tenant-{n:04d}" for n in range(420, 430)
    }
    assert none["tenants"] == [] and none["matching"] == 0
    assert too_many.status_code == 422


async def test_a_replay_through_the_console_runs_the_command_and_is_audited(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        posted = await harness.client.post(
            "/cosmos/notes", headers=harness.auth("contoso"), json={"n": 7}
        )
        job_id = posted.json()["id"]
        await dead_letter_next(harness, "contoso")
        async with console_of(harness) as console:
            [dead] = (
                await console.client.get("/api/deadletters", headers=console.operator())
            ).json()
            replayed = await console.client.post(
                f"/api/deadletters/{dead['id']}/replay", headers=console.operator()
            )
            again = await console.client.post(
                f"/api/deadletters/{dead['id']}/replay", headers=console.operator()
            )
            after = (
                await console.client.get("/api/deadletters", headers=console.operator())
            ).json()
            audit = (await console.client.get("/api/audit", headers=console.operator())).json()
    assert (dead["tenantId"], dead["type"], dead["reason"]) == ("contoso", "item.create", "Refused")
    assert "body" not in dead
    assert replayed.status_code == 200 and replayed.json()["count"] == 1
    assert again.status_code == 404
    assert after == []
    assert [(e["action"], e["actor"], e["count"]) for e in audit][-1] == (
        "dlq.replay",
        "dev-user",
        1,
    )
    async with running(settings_for(tmp_path)) as harness:
        await harness.wait_for_jobs("contoso", [job_id])
        job = (await harness.client.get(f"/jobs/{job_id}", headers=harness.auth("contoso"))).json()
    assert job["status"] == "Succeeded"
    assert job["result"]["n"] == 7


async def test_a_purge_removes_only_the_dead_letter_named_and_is_audited(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        for tenant in ("contoso", "fabrikam"):
            await harness.client.post("/cosmos/notes", headers=harness.auth(tenant), json={"n": 1})
            await dead_letter_next(harness, tenant)
        async with console_of(harness) as console:
            ops = console.operator()
            contoso = (
                await console.client.get("/api/deadletters?tenant=contoso", headers=ops)
            ).json()
            purged = await console.client.delete(
                f"/api/deadletters/{contoso[0]['id']}", headers=ops
            )
            unknown = await console.client.delete("/api/deadletters/commands:999", headers=ops)
            malformed = await console.client.delete("/api/deadletters/nothing", headers=ops)
            left = (await console.client.get("/api/deadletters", headers=ops)).json()
        entries, _ = await AuditLog(harness.services.store).entries(action="dlq.purge")
    assert purged.status_code == 204
    assert (unknown.status_code, malformed.status_code) == (404, 422)
    assert [d["tenantId"] for d in left] == ["fabrikam"]
    assert [(e.count, e.actor) for e in entries] == [(0, "dev-user"), (1, "dev-user")]


async def test_webhook_endpoints_show_their_last_delivery_and_failures(tmp_path: Path) -> None:
    from shared.webhooks import deliveries, endpoints
    from shared.webhooks.deliveries import Attempt, DeliveryMessage

    async with running(settings_for(tmp_path), workers=False) as harness:
        scope = harness.services.scope("contoso")
        now = datetime.now(UTC)
        endpoint, _ = await endpoints.register(
            scope,
            url="https://hooks.example.com/in",
            events=["job.succeeded"],
            description="",
            now=int(now.timestamp()),
        )
        for n, (status, code) in enumerate([("failed", 500), ("succeeded", 200), ("failed", 503)]):
            message = DeliveryMessage(
                tenant_id="contoso",
                delivery_id=f"dlv_{n}",
                endpoint_id=endpoint.id,
                event_type="job.succeeded",
                job_id=f"job_{n}",
                body="{}",
                attempt=1,
                series="s",
            )
            attempt = Attempt(number=1, at=now + timedelta(seconds=n), status_code=code)
            await deliveries.record(scope.store, message, status, now=now, attempt=attempt)  # type: ignore[arg-type]
        async with console_of(harness) as console:
            shown = await console.client.get(
                "/api/tenants/contoso/webhooks", headers=console.operator()
            )
            other = await console.client.get(
                "/api/tenants/fabrikam/webhooks", headers=console.operator()
            )
            missing = await console.client.get(
                "/api/tenants/nobody/webhooks", headers=console.operator()
            )
    [row] = shown.json()
    assert row["id"] == endpoint.id and row["url"] == "https://hooks.example.com/in"
    assert row["lastDelivery"]["id"] == "dlv_2"
    assert (row["lastDelivery"]["status"], row["lastDelivery"]["statusCode"]) == ("failed", 503)
    assert (row["recentDeliveries"], row["recentFailures"]) == (3, 2)
    assert other.json() == []
    assert missing.status_code == 404
