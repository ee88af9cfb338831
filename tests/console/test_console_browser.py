"""The console in a real browser against a live `tenantry up`: refuse a tenant's token, sign an
operator in, show the development tenants with the counts the API gives, replay a dead letter
through the page until its command succeeds. It saves docs/console.png for the README."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from cli.deployment import LocalDeployment, LocalFleet
from cli.dev import embedded_settings
from shared.adapters.local.bus import SqliteBus
from shared.queues import COMMANDS
from tests.console.browser import WAIT, LiveConsole, cells, chromium, require_browser, sign_in

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "console.png"
TENANTS = ("contoso", "fabrikam", "northwind")


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[LocalDeployment]:
    """`tenantry up` with no worker yet: what is sent stays queued until the test starts some."""
    with LocalDeployment(tmp_path, workers=0) as live:
        yield live


def submit(deployment: LocalDeployment, tenant: str, n: int) -> str:
    answer = httpx.post(
        f"{deployment.url}/cosmos/notes",
        headers={"Authorization": f"Bearer {deployment.token(tenant)}"},
        json={"n": n},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


async def dead_letter_first(data_dir: Path, tenant: str) -> str:
    """Dead-letter the tenant's first queued command, as a worker that gave up would."""
    bus = SqliteBus(embedded_settings(data_dir, make_secret=False).bus_path)
    try:
        receiver = await bus.accept_session(COMMANDS, tenant)
        [message] = await receiver.receive()
        await receiver.dead_letter(
            message, reason="DownstreamUnavailable", description="the notes service was down"
        )
        await receiver.close()
    finally:
        await bus.close()
    return message.message_id


def expected_cells(overview: dict[str, object], tenant: str) -> dict[str, str]:
    [row] = [r for r in overview["tenants"] if r["id"] == tenant]  # type: ignore[attr-defined]
    dead = row["commands"]["deadLettered"] + row["webhooks"]["deadLettered"]
    return {
        "queued": str(row["commands"]["active"]),
        "scheduled": str(row["commands"]["scheduled"]),
        "dead-lettered": str(dead),
        "webhooks": str(row["webhooks"]["active"]),
        "jobs": str(sum(row["lastHour"]["totals"].values())),
    }


def test_an_operator_replays_a_dead_letter_through_the_page(
    deployment: LocalDeployment, tmp_path: Path
) -> None:
    paths = require_browser()
    jobs = {
        tenant: [submit(deployment, tenant, n) for n in range(k)]
        for tenant, k in zip(TENANTS, (3, 1, 2), strict=True)
    }
    dead_job = asyncio.run(dead_letter_first(tmp_path, "contoso"))
    assert dead_job == jobs["contoso"][0]
    operator = deployment.token("contoso", roles=("tenantry.admin",))
    as_operator = {"Authorization": f"Bearer {operator}"}

    with LiveConsole(tmp_path) as live, chromium(paths) as browser:
        wait = WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException])
        browser.get(live.url)

        sign_in(browser, deployment.token("contoso"))
        refused = wait.until(ready.visibility_of_element_located((By.ID, "signin-error")))
        wait.until(lambda _: "403" in refused.text)
        assert browser.find_element(By.ID, "console").is_displayed() is False
        assert browser.execute_script("return sessionStorage.length") == 0

        sign_in(browser, operator)
        for tenant in TENANTS:
            wait.until(
                ready.presence_of_element_located((By.CSS_SELECTOR, f'[data-tenant="{tenant}"]'))
            )
        assert "token" not in browser.current_url and operator not in browser.current_url
        api = httpx.get(f"{live.url}/api/overview", headers=as_operator, timeout=30).json()
        for tenant in TENANTS:
            assert cells(browser, tenant) == expected_cells(api, tenant), tenant
        assert cells(browser, "contoso")["queued"] == "2"
        assert cells(browser, "contoso")["dead-lettered"] == "1"
        admin = httpx.get(
            f"{deployment.url}/admin/deadletters", headers=as_operator, timeout=30
        ).json()
        assert [d["tenantId"] for d in admin] == ["contoso"]

        with LocalFleet(tmp_path, processes=1) as _fleet:
            wait.until(lambda _: cells(browser, "contoso")["queued"] == "0")
            wait.until(lambda _: cells(browser, "northwind")["queued"] == "0")
            dead_id = admin[0]["id"]
            row = (By.CSS_SELECTOR, f'tr[data-deadletter="{dead_id}"]')
            wait.until(ready.presence_of_element_located(row))
            browser.find_element(*row).find_element(
                By.CSS_SELECTOR, '[data-action="replay"]'
            ).click()
            confirm = wait.until(
                ready.element_to_be_clickable((By.CSS_SELECTOR, '[data-action="confirm"]'))
            )
            question = browser.find_element(By.ID, "confirm-text").text
            assert f"Replay {dead_id}" in question and "contoso" in question
            SCREENSHOT.parent.mkdir(exist_ok=True)
            browser.save_screenshot(str(SCREENSHOT))
            confirm.click()

            wait.until(ready.invisibility_of_element_located(row))
            job = wait.until(lambda _: succeeded(deployment, dead_job))
            assert job["result"]["n"] == 0
            wait.until(lambda _: "dlq.replay" in browser.find_element(By.ID, "audit-rows").text)
            wait.until(lambda _: cells(browser, "contoso")["dead-lettered"] == "0")


def succeeded(deployment: LocalDeployment, job_id: str) -> dict[str, object] | None:
    answer = httpx.get(
        f"{deployment.url}/jobs/{job_id}",
        headers={"Authorization": f"Bearer {deployment.token('contoso')}"},
        timeout=30,
    ).json()
    return answer if answer["status"] == "Succeeded" else None  # type: ignore[no-any-return]
