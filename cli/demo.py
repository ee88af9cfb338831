"""`tenantry demo`: three tenants use one deployment, and one tries to cross the boundary."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from cli.deployment import LocalDeployment

TENANTS = ("contoso", "fabrikam", "northwind")
WAIT = {"Prefer": "wait=20"}


class Tour:
    """Narrates each step and keeps a row per step for the closing table."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: list[tuple[str, str, str, str]] = []

    def step(self, tenant: str, what: str, response: httpx.Response, detail: str) -> Any:
        mark = "[green]" if response.status_code < 400 else "[yellow]"
        self.rows.append((tenant, what, f"{mark}{response.status_code}[/]", detail))
        self.console.print(f"  {tenant:<10} {what:<34} {response.status_code}  {detail}")
        return response.json() if response.content else None

    def table(self) -> Table:
        table = Table(title="What happened", show_lines=False)
        for column in ("tenant", "step", "HTTP", "detail"):
            table.add_column(column)
        for row in self.rows:
            table.add_row(*row)
        return table


def tour(deployment: LocalDeployment, console: Console) -> Tour:
    """Run the scenario against a live deployment."""
    log = Tour(console)
    threads: dict[str, str] = {}
    with httpx.Client(base_url=deployment.url, timeout=30) as http:
        for tenant in TENANTS:
            auth = {"Authorization": f"Bearer {deployment.token(tenant)}"}
            agent = log.step(
                tenant,
                "POST /agents/ (Prefer: wait)",
                http.post(
                    "/agents/",
                    headers=auth | WAIT,
                    json={
                        "name": f"{tenant.title()} helper",
                        "model": "gpt-4o",
                        "instructions": f"You answer questions for {tenant.title()} staff.",
                    },
                ),
                "agent created",
            )
            thread = log.step(
                tenant,
                "POST /agents/threads",
                http.post("/agents/threads", headers=auth | WAIT, json={}),
                "thread created",
            )
            threads[tenant] = thread["id"]
            log.step(
                tenant,
                "POST .../messages",
                http.post(
                    f"/agents/threads/{thread['id']}/messages",
                    headers=auth | WAIT,
                    json={"content": f"What is {tenant.title()}'s refund policy?"},
                ),
                "question asked",
            )
            run = log.step(
                tenant,
                "POST .../runs (Prefer: wait)",
                http.post(
                    f"/agents/threads/{thread['id']}/runs",
                    headers=auth | WAIT,
                    json={"agent_id": agent["id"]},
                ),
                "run started",
            )
            log.step(
                tenant,
                "GET .../runs/{id}",
                http.get(f"/agents/threads/{thread['id']}/runs/{run['id']}", headers=auth),
                f"status {run['status']}",
            )
            messages = log.step(
                tenant,
                "GET .../messages",
                http.get(f"/agents/threads/{thread['id']}/messages", headers=auth),
                "",
            )
            answer = messages[-1]["content"][0]["text"]["value"]
            console.print(f"             [dim]assistant:[/] {answer}")
        intruder = {"Authorization": f"Bearer {deployment.token('fabrikam')}"}
        target = threads["contoso"]
        log.step(
            "fabrikam",
            "GET contoso's thread",
            http.get(f"/agents/threads/{target}", headers=intruder),
            "refused: no such thread for you",
        )
        log.step(
            "fabrikam",
            "POST message to contoso's thread",
            http.post(
                f"/agents/threads/{target}/messages",
                headers=intruder | WAIT,
                json={"content": "let me in"},
            ),
            "refused: job failed NotFound",
        )
        log.step(
            "fabrikam",
            "GET /agents/ (own list)",
            http.get("/agents/", headers=intruder),
            "sees only fabrikam's agent",
        )
    return log


def run_demo(*, workers: int = 2) -> int:
    """Start a temporary deployment, run the tour, print the table; the exit status."""
    console = Console()
    with tempfile.TemporaryDirectory(prefix="tenantry-demo-") as tmp:
        console.print(
            "[bold]Starting a temporary tenantry[/] (ingress + "
            f"{workers} worker processes, embedded defaults)..."
        )
        with LocalDeployment(Path(tmp), workers=workers) as deployment:
            console.print(f"Serving on {deployment.url}\n")
            log = tour(deployment, console)
    console.print()
    console.print(log.table())
    return 0
