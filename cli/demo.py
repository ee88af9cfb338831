"""`tenantry demo`: the whole model in a few minutes, against a temporary deployment.

Each step is printed once, as it happens: a command answered `202` and polled to its end; the
same flow waited for with `Prefer: wait`; a signed webhook received and verified; another
tenant refused; a webhook delivery dead-lettered and replayed with `tenantry dlq replay`; and
what to try next.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from cli.child import REPO
from cli.demo_receiver import DemoReceiver
from cli.deployment import LocalDeployment

WAIT = {"Prefer": "wait=20"}
DEMO_ENV = {
    "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
    "WEBHOOK_REQUIRE_HTTPS": "false",
    "WEBHOOK_RETRY_SCHEDULE_SECONDS": "[0, 0.5]",
}
NEXT_STEPS = """\
Try next (README "Tour"):
  scripts/up                                   # your own deployment, data in ./.tenantry
  TOKEN=$(.venv/bin/tenantry token --tenant contoso)
  curl -i localhost:8000/agents/ -H "Authorization: Bearer $TOKEN"
  open http://127.0.0.1:8000/docs               # every route, try it out
  .venv/bin/tenantry dlq list                  # dead letters, and `dlq replay`
  clients/python                               # the client library (LROPoller, ItemPaged)"""


class Narrator:
    """Prints each step once: a numbered title, then what happened."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.steps = 0

    def step(self, title: str) -> None:
        self.steps += 1
        self.console.print(f"\n[bold]{self.steps}. {title}[/]")

    def say(self, line: str) -> None:
        self.console.print(f"   {line}", highlight=False, soft_wrap=True)

    def call(self, response: httpx.Response, detail: str = "") -> Any:
        request = response.request
        path = request.url.path
        self.say(f"{request.method} {path} -> {response.status_code} {detail}".rstrip())
        return response.json() if response.content else None


def _poll(http: httpx.Client, location: str, auth: dict[str, str], say: Narrator) -> Any:
    """Follow `Operation-Location`, honouring `Retry-After`, until the job ends."""
    seen: list[str] = []
    while True:
        response = http.get(location, headers=auth)
        job = response.json()
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["status"] in ("Succeeded", "Failed", "Canceled"):
            say.say(f"GET {location} -> {' -> '.join(seen)}")
            return job
        time.sleep(min(float(response.headers.get("Retry-After", "1")), 0.2))


def _cli(deployment: LocalDeployment, *args: str) -> Any:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "cli.main", *args, "--json", "--data-dir", str(deployment.data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def tour(deployment: LocalDeployment, receiver: DemoReceiver, console: Console) -> Narrator:
    """Run the scenario against a live deployment with webhooks allowed to the receiver."""
    say = Narrator(console)
    contoso = {"Authorization": f"Bearer {deployment.token('contoso')}"}
    with httpx.Client(base_url=deployment.url, timeout=30) as http:
        say.step("contoso registers a webhook for its jobs and runs")
        hook = say.call(
            http.post(
                "/webhooks",
                headers=contoso,
                json={"url": receiver.url("/hook"), "events": ["job.succeeded", "run.completed"]},
            ),
            "(its signing secret is shown once)",
        )
        receiver.secrets["/hook"] = hook["secret"]

        say.step("A command is an asynchronous job: 202 Accepted, then poll")
        body = {"name": "Helper", "model": "gpt-4o", "instructions": "Answer briefly."}
        accepted = http.post("/agents/", headers=contoso, json=body)
        job = say.call(accepted, f"job {accepted.json()['id']} {accepted.json()['status']}")
        say.say(f"Operation-Location: {accepted.headers['Operation-Location']}")
        done = _poll(http, accepted.headers["Operation-Location"], contoso, say)
        agent = done["result"]
        say.say(f"the job's result is the agent {agent['id']} ({job['type']})")

        say.step("Or wait for the outcome: Prefer: wait=20 answers 201 with the resource")
        thread = say.call(http.post("/agents/threads", headers=contoso | WAIT, json={}))
        base = f"/agents/threads/{thread['id']}"
        say.call(
            http.post(
                f"{base}/messages",
                headers=contoso | WAIT,
                json={"role": "user", "content": "What is the refund policy?"},
            )
        )
        run = say.call(
            http.post(f"{base}/runs", headers=contoso | WAIT, json={"agent_id": agent["id"]}),
            "(a run starts; the worker polls it to its end)",
        )
        delivery = receiver.wait_for("/hook", "run.completed")
        messages = http.get(f"{base}/messages", headers=contoso).json()
        say.say(
            f"run {run['id']} completed; assistant: {messages[-1]['content'][0]['text']['value']}"
        )

        say.step("The webhook arrives, signed (Standard Webhooks), and verifies")
        say.say(
            f"POST {receiver.url('/hook')}: {delivery.event['type']} "
            f"(webhook-id {delivery.webhook_id}), signature verified with the endpoint's secret"
        )

        say.step("Tenants are isolated: fabrikam asks for contoso's thread")
        fabrikam = {"Authorization": f"Bearer {deployment.token('fabrikam')}"}
        say.call(http.get(base, headers=fabrikam), "(as if it did not exist)")

        say.step("A delivery fails until it is dead-lettered; an operator replays it")
        receiver.down.add("/down")
        flaky = http.post(
            "/webhooks",
            headers=contoso,
            json={"url": receiver.url("/down"), "events": ["job.succeeded"]},
        ).json()
        receiver.secrets["/down"] = flaky["secret"]
        say.call(http.post("/cosmos/notes", headers=contoso | WAIT, json={"text": "hello"}))
        dead = _wait_for_dead_letter(deployment)
        say.say(
            f"the endpoint answered 503 {receiver.refused} times; "
            f"dead letter {dead['id']}: {dead['reason']}"
        )
        receiver.down.discard("/down")
        replayed = _cli(deployment, "dlq", "replay", "--queue", "webhooks", "--id", dead["id"])
        say.say(
            f"$ tenantry dlq replay --queue webhooks --id {dead['id']} -> "
            f"{replayed['count']} replayed"
        )
        again = receiver.wait_for("/down", "job.succeeded")
        say.say(f"delivered and verified, same webhook-id {again.webhook_id}")
    return say


def _wait_for_dead_letter(deployment: LocalDeployment, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found: list[dict[str, Any]] = _cli(deployment, "dlq", "list", "--queue", "webhooks")
        if found:
            return found[0]
        time.sleep(0.5)
    raise TimeoutError("no dead letter appeared")


def run_demo(*, workers: int = 2) -> int:
    """Start a temporary deployment, run the tour, say what to try next; the exit status."""
    console = Console()
    with tempfile.TemporaryDirectory(prefix="tenantry-demo-") as tmp:
        console.print(
            f"[bold]tenantry demo[/]: a temporary deployment (ingress + {workers} worker "
            "processes, embedded defaults), tenants contoso and fabrikam."
        )
        with (
            DemoReceiver() as receiver,
            LocalDeployment(Path(tmp), workers=workers, env=DEMO_ENV) as deployment,
        ):
            console.print(f"Serving on {deployment.url}; webhooks go to {receiver.url('/')}")
            said = tour(deployment, receiver, console)
    console.print(f"\n[bold]Done[/]: {said.steps} steps.\n")
    console.print(NEXT_STEPS, highlight=False, soft_wrap=True)
    return 0
