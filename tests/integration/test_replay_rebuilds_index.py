"""The search index lost: `tenantry replay` of `file.create` and `document.index` on a live
deployment brings both back, each found once (the file's record saying `processed` must not
stop its passages from being rebuilt)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment

pytestmark = pytest.mark.slow


def search(http: httpx.Client, auth: dict[str, str], word: str) -> list[str]:
    response = http.get("/search/documents", params={"query": word}, headers=auth)
    assert response.status_code == 200, response.text
    return sorted(str(hit["id"]) for hit in response.json())


def test_replay_rebuilds_a_files_passages_and_indexed_documents_once(tmp_path: Path) -> None:
    word = "xylophonic"
    with (
        LocalDeployment(tmp_path, workers=1) as live,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        auth = {"Authorization": f"Bearer {live.token('contoso')}", "Prefer": "wait=30"}
        uploaded = http.post(
            "/files",
            headers=auth,
            files={"file": ("notes.txt", f"A {word} passage about tuning.".encode(), "text/plain")},
            data={"purpose": "assistants"},
        )
        assert uploaded.status_code == 201, uploaded.text
        indexed = http.post(
            "/search/documents",
            headers=auth,
            json=[{"id": "doc-1", "content": f"A {word} document."}],
        )
        assert indexed.status_code == 200, indexed.text
        found = search(http, auth, word)
        assert len(found) == 2 and "doc-1" in found, found

    for path in tmp_path.glob("search.sqlite3*"):  # the index is lost
        path.unlink()

    with (
        LocalDeployment(tmp_path, workers=1) as live,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        auth = {"Authorization": f"Bearer {live.token('contoso')}"}
        assert search(http, auth, word) == []
        replay = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli.main",
                "replay",
                "--tenant",
                "contoso",
                "--type",
                "file.create",
                "--type",
                "document.index",
                "--data-dir",
                str(tmp_path),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert replay.returncode == 0, replay.stderr
        assert json.loads(replay.stdout)["count"] == 2
        deadline = 30.0
        start = time.monotonic()
        while (hits := search(http, auth, word)) != found:
            assert time.monotonic() - start < deadline, hits
            time.sleep(0.1)
        time.sleep(1.0)  # anything twice would show by now
        assert search(http, auth, word) == found
