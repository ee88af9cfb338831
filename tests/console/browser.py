"""A headless Chromium driven by selenium, for the console's browser test and benchmark.

Debian's `chromium` and `chromium-driver` (scripts/browser installs them). Without them the
test skips, except with CI=true, where it fails: CI must run it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


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
        if os.environ.get("CI") == "true":
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
