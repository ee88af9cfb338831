"""What `tenantry up` prints first: where it serves, and commands that run as printed.

The commands name the `tenantry` executable as this shell can call it (`tenantry` when it is on
PATH, else its path, e.g. `.venv/bin/tenantry`), and the data directory only when the commands'
own discovery (`cli.data_dir`) would not find it from the working directory.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from rich.text import Text

from cli.data_dir import search
from shared.settings import Settings
from shared.tenancy import TenantRegistry

EXAMPLE_AGENT = '{"name": "Helper", "instructions": "Answer briefly.", "model": "gpt-4o"}'


def executable() -> str:
    """How to call `tenantry` from the working directory."""
    script = Path(sys.executable).parent / "tenantry"
    on_path = shutil.which("tenantry")
    if on_path and script.exists() and Path(on_path).resolve() == script.resolve():
        return "tenantry"
    if not script.exists():
        return f"{shlex.quote(sys.executable)} -m cli.main"
    relative = os.path.relpath(script)
    return shlex.quote(relative if not relative.startswith("..") else str(script))


def data_dir_option(settings: Settings) -> str:
    """` --data-dir X` when discovery from here would not find this deployment's directory."""
    found = search().found
    if found is not None and found.resolve() == settings.data_dir.resolve():
        return ""
    return f" --data-dir {shlex.quote(str(settings.data_dir.resolve()))}"


def _tenants(settings: Settings) -> str:
    if settings.tenants:
        return ", ".join(t.id for t in TenantRegistry.from_json(settings.tenants))
    return f"from {settings.tenants_file}"


def local_url(host: str, port: int) -> str:
    """Where a local deployment bound to host:port is reached from this machine."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{reachable}:{port}"


def banner(settings: Settings, *, host: str, port: int, workers: int) -> Text:
    """The lines `tenantry up` starts with (plain text: nothing is wrapped or marked up)."""
    url = local_url(host, port)
    token = f"{executable()} token --tenant contoso{data_dir_option(settings)}"
    lines = [
        f"tenantry on {url} with {workers} worker process(es); "
        f"data in {settings.data_dir.resolve()}; tenants: {_tenants(settings)}.",
        f"API reference: {url}/docs (OpenAPI: {url}/openapi.json)",
        "Try it from another shell, in this directory:",
        f"  TOKEN=$({token})",
        f'  curl -i -X POST {url}/agents/ -H "Authorization: Bearer $TOKEN" '
        f"-H 'Content-Type: application/json' -H 'Prefer: wait=10' -d '{EXAMPLE_AGENT}'",
    ]
    text = Text("\n".join(lines))
    text.stylize("bold", 0, len("tenantry"))
    return text
