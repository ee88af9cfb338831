"""The console in a real browser at 1,000 tenants: paged, filtered, a tenant's dead letter found
and purged through the page after a cancelled first try; the token never reaches the log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from cli.dev import embedded_settings
from shared.adapters.local.bus import SqliteBus
from shared.ports.bus import OutgoingMessage
from shared.queues import COMMANDS
from shared.tokens import issue_dev_token
from tests.console.browser import WAIT, LiveConsole, chromium, require_browser, sign_in

pytestmark = pytest.mark.slow

TENANTS = [{"id": f"tenant-{n:04d}", "display_name": f"Customer {n}"} for n in range(1000)]


async def dead_letter(data_dir: Path, tenant: str) -> None:
    """A command of `tenant` in the dead letters, as a worker that gave up leaves it."""
    bus = SqliteBus(embedded_settings(data_dir).bus_path)
    try:
        message = OutgoingMessage(
            body=b"{}",
            session_id=tenant,
            message_id="job_gave_up",
            application_properties={"type": "item.create"},
        )
        await bus.send(COMMANDS, [message])
        receiver = await bus.accept_session(COMMANDS, tenant)
        [received] = await receiver.receive()
        await receiver.dead_letter(received, reason="Poison", description="it never parses")
        await receiver.close()
    finally:
        await bus.close()


def shown_tenants(browser: WebDriver) -> list[str]:
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-tenant]")
    return [row.get_attribute("data-tenant") or "" for row in rows]


def clicked(wait: WebDriverWait[WebDriver], locator: tuple[str, str]) -> None:
    """Click what `locator` finds; the page re-renders its tables (typing, the 5 s refresh), so
    an element found just before may be gone: find it again and retry until the wait ends."""

    def click(browser: WebDriver) -> bool:
        browser.find_element(*locator).click()
        return True

    wait.until(click)


def test_a_thousand_tenants_are_paged_filtered_and_a_dead_letter_purged(tmp_path: Path) -> None:
    paths = require_browser()
    env = {"TENANTS": json.dumps(TENANTS)}
    settings = embedded_settings(tmp_path, tenants=env["TENANTS"])
    operator = issue_dev_token(settings, tenant_id="tenant-0000", roles=["tenantry.admin"])
    asyncio.run(dead_letter(tmp_path, "tenant-0777"))

    with LiveConsole(tmp_path, env) as live, chromium(paths) as browser:
        wait = WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException])
        browser.get(live.url)
        sign_in(browser, operator)
        wait.until(lambda b: len(shown_tenants(b)) == 50)
        assert shown_tenants(browser)[0] == "tenant-0000"
        assert browser.find_element(By.ID, "page-info").text == "1\u201350 of 1000"

        browser.find_element(By.ID, "next").click()
        wait.until(lambda b: shown_tenants(b)[:1] == ["tenant-0050"])

        search = browser.find_element(By.CSS_SELECTOR, "input[name=filter]")
        search.send_keys("customer 777")
        wait.until(lambda b: shown_tenants(b) == ["tenant-0777"])
        assert "of 1000" in browser.find_element(By.ID, "page-info").text
        clicked(wait, (By.CSS_SELECTOR, 'tr[data-tenant="tenant-0777"]'))
        wait.until(lambda b: "of tenant-0777" in b.find_element(By.ID, "deadletters").text)
        wait.until(ready.visibility_of_element_located((By.ID, "webhooks")))

        row = (By.CSS_SELECTOR, "tr[data-deadletter]")
        wait.until(ready.presence_of_element_located(row))
        dead_id = browser.find_element(*row).get_attribute("data-deadletter")
        purge = (By.CSS_SELECTOR, f'tr[data-deadletter="{dead_id}"] [data-action="purge"]')
        clicked(wait, purge)
        wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, '[data-action="cancel"]')))
        assert f"Purge {dead_id}" in browser.find_element(By.ID, "confirm-text").text
        browser.find_element(By.CSS_SELECTOR, '[data-action="cancel"]').click()
        wait.until(ready.invisibility_of_element_located((By.ID, "confirm")))
        assert browser.find_elements(*row), "cancelling changed nothing"

        clicked(wait, purge)
        wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, '[data-action="confirm"]')))
        browser.find_element(By.CSS_SELECTOR, '[data-action="confirm"]').click()
        wait.until(lambda b: not b.find_elements(*row))
        wait.until(lambda b: "dlq.purge" in b.find_element(By.ID, "audit-rows").text)

    log = (tmp_path / "console.log").read_text()
    assert "GET /api/overview" in log
    assert operator not in log and "Bearer" not in log
