"""The console's first paint at 1,000 tenants, against the same page at 3 tenants.

Two deployments (`tenantry up`, no workers) and their consoles (`tenantry console`): one with
`--tenants` tenants (the target), one with 3 (the reference). Each tenant of the first page
has `--jobs` commands in its last hour, so both pages draw the same kind of rows. A headless
Chromium (Debian's, via selenium; `scripts/browser` installs it) signs in once per console, then
reloads the page `--rounds` times, alternating the two consoles. First paint is the time from
the start of the navigation to the tenants table drawn with its counts and charts (the page
marks it); the browser's own first contentful paint is reported beside it.

Prints the medians and the ratio target / reference. Writes bench/results/console_first_paint.json.
Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.console_first_paint --tenants 1000 --rounds 9
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bench.load import tenants_env, write_results
from cli.deployment import LocalDeployment
from tests.console.browser import LiveConsole, browser_paths, chromium

PAGE = 50
TOKEN_KEY = "tenantry.console.token"


@contextlib.contextmanager
def console_with(data_dir: Path, tenant_count: int, jobs: int) -> Iterator[tuple[str, str]]:
    """A deployment of `tenant_count` tenants, seeded, and its console: (url, operator token)."""
    tenants = [
        {"id": f"tenant-{n:04d}", "display_name": f"Customer {n}"} for n in range(tenant_count)
    ]
    env = tenants_env(tenants)
    with LocalDeployment(data_dir, workers=0, env=env) as deployment:
        with httpx.Client(base_url=deployment.url, timeout=30) as http:
            for tenant in tenants[:PAGE]:
                headers = {"Authorization": f"Bearer {deployment.token(tenant['id'])}"}
                for n in range(jobs):
                    answer = http.post("/cosmos/notes", headers=headers, json={"n": n})
                    answer.raise_for_status()
        token = deployment.token("tenant-0000", roles=("tenantry.admin",))
        with LiveConsole(data_dir, env) as live:
            yield live.url, token


def first_paint(browser: WebDriver, url: str) -> dict[str, float]:
    """Load the page afresh (signed in) and read when the tenants table was drawn."""
    browser.get(url)
    WebDriverWait(browser, 60).until(
        lambda b: b.execute_script("return document.documentElement.dataset.painted")
    )
    painted = float(browser.execute_script("return document.documentElement.dataset.painted"))
    fcp = browser.execute_script(
        "const e = performance.getEntriesByName('first-contentful-paint')[0];"
        "return e ? e.startTime : null"
    )
    rows = browser.execute_script("return document.querySelectorAll('tr[data-tenant]').length")
    return {"painted_ms": painted, "fcp_ms": float(fcp or 0), "rows": float(rows)}


def sign_in(browser: WebDriver, url: str, token: str) -> None:
    browser.get(url)
    browser.execute_script(f"sessionStorage.setItem({TOKEN_KEY!r}, arguments[0])", token)


def run(args: argparse.Namespace) -> dict[str, Any]:
    paths = browser_paths()
    if paths is None:
        raise SystemExit("Chromium and ChromeDriver are needed: run scripts/browser")
    with contextlib.ExitStack() as stack:
        big_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        small_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        big = stack.enter_context(console_with(big_dir, args.tenants, args.jobs))
        small = stack.enter_context(console_with(small_dir, 3, args.jobs))
        # One browser per console: sessionStorage is per origin and tab.
        big_browser = stack.enter_context(chromium(paths))
        small_browser = stack.enter_context(chromium(paths))
        sign_in(big_browser, *big)
        sign_in(small_browser, *small)
        first_paint(big_browser, big[0])  # warm both: the first load compiles the script
        first_paint(small_browser, small[0])
        target, reference = [], []
        for _ in range(args.rounds):
            target.append(first_paint(big_browser, big[0]))
            reference.append(first_paint(small_browser, small[0]))

    def median(rounds: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 1)

    figures = {
        "tenants": args.tenants,
        "jobs_per_tenant_on_page": args.jobs,
        "rounds": args.rounds,
        "rows_drawn": int(target[0]["rows"]),
        "first_paint_ms": median(target, "painted_ms"),
        "first_contentful_paint_ms": median(target, "fcp_ms"),
        "reference_tenants": 3,
        "reference_first_paint_ms": median(reference, "painted_ms"),
        "reference_first_contentful_paint_ms": median(reference, "fcp_ms"),
    }
    figures["ratio_to_reference"] = round(
        figures["first_paint_ms"] / figures["reference_first_paint_ms"], 2
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=3, help="commands per tenant of page 1")
    parser.add_argument("--rounds", type=int, default=9)
    figures = run(parser.parse_args())
    print(
        f"console first paint, {figures['tenants']} tenants ({figures['rows_drawn']} rows on "
        f"page 1): {figures['first_paint_ms']} ms (first contentful paint "
        f"{figures['first_contentful_paint_ms']} ms)\n"
        f"reference, 3 tenants: {figures['reference_first_paint_ms']} ms; "
        f"ratio {figures['ratio_to_reference']}"
    )
    print(f"written to {write_results('console_first_paint', figures)}")


if __name__ == "__main__":
    main()
