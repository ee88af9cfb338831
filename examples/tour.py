"""The README's tour with the client library (clients/python): an agent, a thread, a message, a
run, its answer. Against `scripts/up` on http://127.0.0.1:8000 by default.

    .venv/bin/python examples/tour.py [--endpoint URL] [--token TOKEN]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tenantry_client import TenantryClient


def main() -> None:
    """Run the tour and print each step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8000")
    parser.add_argument("--token", help="default: `tenantry token --tenant contoso`")
    args = parser.parse_args()
    token = (
        args.token
        or subprocess.run(  # noqa: S603 - the tenantry beside this interpreter
            [str(Path(sys.executable).parent / "tenantry"), "token", "--tenant", "contoso"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    with TenantryClient(args.endpoint, token) as client:
        agent = client.begin_create_agent(
            "Helper", model="gpt-4o", instructions="Answer briefly."
        ).result()
        print("agent", agent.id)
        thread = client.begin_create_thread().result()
        print("thread", thread.id)
        client.begin_create_message(thread.id, "What is the refund policy?").result()
        run = client.begin_create_run(thread.id, agent.id).result()
        while not run.done:
            run = client.get_run(thread.id, run.id)
        print("run", run.id, run.status)
        print("answer:", list(client.list_messages(thread.id))[-1].text)


if __name__ == "__main__":
    main()
