"""A headless Chromium driven by selenium, for the console's browser test and benchmark.

Debian's `chromium` and `chromium-driver` (scripts/browser installs them). Without them the
test skips, except with CI=true (or 1), where it fails: CI must run it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from cli.child import Child
from cli.deployment import free_port

START_SECONDS = 60
WAIT = 60
"""Seconds a test waits for the page."""


def browser_paths() -> tuple[str, str] | None:
    """The Chromium and ChromeDriver executables, if both are installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def require_browser() -> tuple[str, str]:
    """The browser's paths; skip the test without them (fail it with CI=true)."""
    paths = browser_paths()
    if paths is None:
        reason = "Chromium and ChromeDriver are not installed (run scripts/browser)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(reason)
        pytest.skip(reason)
    return paths


@contextmanager
def chromium(
    paths: tuple[str, str], *, width: int = 1400, height: int = 1000
) -> Iterator[webdriver.Chrome]:
    """A headless Chromium session, quit on exit."""
    binary, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


class LiveConsole:
    """`tenantry console` on a free port beside a deployment, stopped on exit."""

    def __init__(self, data_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["console", "--port", str(self.port), "--data-dir", str(data_dir)]
        self.child = Child(
            args, env={**os.environ, **(env or {})}, log_path=data_dir / "console.log"
        )

    def __enter__(self) -> LiveConsole:
        self.child.start()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.child.exited():
                raise RuntimeError(f"tenantry console exited; see {self.child.log_path}")
            try:
                httpx.get(self.url, timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.child.stop()
        raise RuntimeError(f"tenantry console did not answer; see {self.child.log_path}")

    def __exit__(self, *exc: object) -> None:
        self.child.stop()


def sign_in(browser: WebDriver, token: str) -> None:
    """Paste a token into the sign-in form and submit it."""
    field = WebDriverWait(browser, WAIT).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, "input[name=token]"))
    )
    field.send_keys(token)
    field.submit()


def cells(browser: WebDriver, tenant: str) -> dict[str, str]:
    """The counts of a tenant's row (read again if a refresh replaced the row meanwhile)."""
    for _ in range(20):
        try:
            row = browser.find_element(By.CSS_SELECTOR, f'tr[data-tenant="{tenant}"]')
            return {
                cell.get_attribute("data-count") or "": cell.text
                for cell in row.find_elements(By.CSS_SELECTOR, "td[data-count]")
            }
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"the row of {tenant} kept being replaced")
