"""Files, documents and search over HTTP against a live `tenantry up`, tenant by tenant."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment
from tests.integration.conftest import Api

pytestmark = pytest.mark.slow


def unique(word: str) -> str:
    """A word no other test indexes, so tests sharing the deployment cannot see each other."""
    return f"{word}{uuid.uuid4().hex[:10]}"


def upload(
    api: Api,
    tenant: str,
    name: str,
    data: bytes,
    *,
    purpose: str = "assistants",
    content_type: str = "text/plain",
    wait: int | None = 30,
) -> httpx.Response:
    return api.as_(
        tenant,
        "POST",
        "/files",
        wait=wait,
        files={"file": (name, data, content_type)},
        data={"purpose": purpose},
    )


def search(api: Api, tenant: str, **params: object) -> list[dict[str, object]]:
    response = api.as_(tenant, "GET", "/search/documents", params=params)
    assert response.status_code == 200, response.text
    hits: list[dict[str, object]] = response.json()
    return hits


def index(api: Api, tenant: str, documents: list[dict[str, object]]) -> None:
    response = api.as_(tenant, "POST", "/search/documents", wait=30, json=documents)
    assert response.status_code == 200, response.text


def test_the_seed_search_isolation_case(api: Api) -> None:
    word = unique("confidential")
    index(api, "contoso", [{"id": f"doc-{word}", "content": f"Contoso {word} document"}])
    assert search(api, "fabrikam", query=word) == []
    [hit] = search(api, "contoso", query=word)
    assert hit["id"] == f"doc-{word}"
    assert float(hit["@search.score"]) > 0  # type: ignore[arg-type]


def test_two_tenants_indexing_the_same_id_keep_their_own(api: Api) -> None:
    doc_id, word = f"doc1-{uuid.uuid4().hex[:6]}", unique("shared")
    index(api, "contoso", [{"id": doc_id, "content": f"{word} contoso version", "title": "C"}])
    index(api, "fabrikam", [{"id": doc_id, "content": f"{word} fabrikam version", "title": "F"}])
    [mine] = search(api, "contoso", query=word)
    [theirs] = search(api, "fabrikam", query=word)
    assert (mine["id"], mine["title"]) == (doc_id, "C")
    assert (theirs["id"], theirs["title"]) == (doc_id, "F")
    deleted = api.as_("fabrikam", "DELETE", f"/search/documents/{doc_id}", wait=30)
    assert deleted.status_code == 200, deleted.text
    assert search(api, "fabrikam", query=word) == []
    assert [h["id"] for h in search(api, "contoso", query=word)] == [doc_id]


def test_deleting_another_tenants_document_is_not_found_and_changes_nothing(api: Api) -> None:
    word = unique("private")
    index(api, "contoso", [{"id": f"p-{word}", "content": word}])
    refused = api.as_("fabrikam", "DELETE", f"/search/documents/p-{word}", wait=30)
    assert refused.status_code == 404
    assert refused.json()["code"] == "NotFound"
    assert len(search(api, "contoso", query=word)) == 1


def test_user_filters_with_quotes_and_odata_operators_cannot_widen_a_query(api: Api) -> None:
    word = unique("quarterly")
    index(
        api,
        "contoso",
        [
            {"id": f"a-{word}", "content": word, "title": "Q1", "region": "north"},
            {"id": f"b-{word}", "content": word, "title": "Q2", "region": "south"},
        ],
    )
    assert [h["id"] for h in search(api, "contoso", query=word, title="Q1")] == [f"a-{word}"]
    assert [h["id"] for h in search(api, "contoso", query=word, region="south")] == [f"b-{word}"]
    for hostile in [
        "Q1' or title ne 'x",
        "Q1') or (title eq 'Q2",
        "x' or tenantId ne 'contoso",
        "' or 1 eq 1 or '",
        "Q1\u2019 or true",
    ]:
        assert search(api, "contoso", query=word, title=hostile) == []
    for field in ("tenantId", "id"):
        refused = api.as_("contoso", "GET", "/search/documents", params={"query": word, field: "x"})
        assert refused.status_code == 400, field
    odd = api.as_(
        "contoso", "GET", "/search/documents", params={"query": word, "title eq 'Q1' or x": "1"}
    )
    assert (odd.status_code, odd.json()["code"]) == (400, "InvalidFilter")


def test_vector_search_without_an_embedder_is_a_clear_400(api: Api) -> None:
    response = api.as_(
        "contoso", "GET", "/search/documents", params={"query": "x", "mode": "vector"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "EmbedderNotConfigured"


def test_an_upload_is_stored_downloaded_indexed_and_deleted(api: Api) -> None:
    word = unique("onboarding")
    data = f"# Handbook\n\nThe {word} checklist has twelve steps.\n".encode()
    created = upload(api, "contoso", "handbook.md", data, content_type="text/markdown")
    assert created.status_code == 201, created.text
    record = created.json()
    file_id = record["id"]
    assert created.headers["Location"] == f"{api.deployment.url}/files/{file_id}"
    assert record["bytes"] == len(data)
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert (record["filename"], record["purpose"], record["status"]) == (
        "handbook.md",
        "assistants",
        "processed",
    )
    assert record["chunks"] == 1 and record["metadata"] == {"tenantId": "contoso"}

    assert api.as_("contoso", "GET", f"/files/{file_id}").json() == record
    content = api.as_("contoso", "GET", f"/files/{file_id}/content")
    assert content.status_code == 200 and content.content == data
    assert content.headers["content-type"] == "application/octet-stream"
    assert content.headers["content-disposition"].startswith('attachment; filename="handbook.md"')
    assert file_id in {f["id"] for f in api.as_("contoso", "GET", "/files").json()}
    [hit] = search(api, "contoso", query=word)
    assert (hit["source"], hit["title"]) == (file_id, "handbook.md")

    for path in (f"/files/{file_id}", f"/files/{file_id}/content"):
        assert api.as_("fabrikam", "GET", path).status_code == 404
    assert file_id not in {f["id"] for f in api.as_("fabrikam", "GET", "/files").json()}
    assert api.as_("fabrikam", "DELETE", f"/files/{file_id}", wait=30).status_code == 404

    deleted = api.as_("contoso", "DELETE", f"/files/{file_id}", wait=30)
    assert deleted.status_code == 200, deleted.text
    assert api.as_("contoso", "GET", f"/files/{file_id}").status_code == 404
    assert api.as_("contoso", "GET", f"/files/{file_id}/content").status_code == 404
    assert search(api, "contoso", query=word) == []
    assert not list((api.deployment.data_dir / "blobs" / "contoso").rglob(f"{file_id}*"))


def test_an_upload_is_a_job_whose_command_carries_no_bytes(api: Api) -> None:
    accepted = upload(api, "northwind", "n.txt", b"northwind notes", wait=None)
    assert accepted.status_code == 202
    job = accepted.json()
    assert job["type"] == "file.create"
    assert accepted.headers["Operation-Location"] == f"{api.deployment.url}/jobs/{job['id']}"


def test_a_file_that_is_not_for_search_is_kept_but_not_indexed(api: Api) -> None:
    word = unique("rawdata")
    created = upload(api, "contoso", "data.bin", word.encode(), purpose="user_data")
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["chunks"]) == ("processed", 0)
    assert search(api, "contoso", query=word) == []


def test_a_file_whose_name_tries_to_escape_its_folder_is_stored_safely(api: Api) -> None:
    word = unique("escape")
    for name in ("../../../../etc/passwd.txt", "..\\..\\evil.txt", "/abs/\x07bell.txt"):
        created = upload(api, "contoso", name, word.encode())
        assert created.status_code == 201, created.text
        record = created.json()
        assert "/" not in record["filename"] and "\\" not in record["filename"]
        assert not record["filename"].startswith(".")
        stored = api.deployment.data_dir / "blobs" / "contoso" / "data" / record["id"]
        assert stored.read_bytes() == word.encode()
    root = api.deployment.data_dir.parent
    assert not [p for p in root.rglob("passwd.txt")]
    assert not [p for p in root.rglob("evil.txt")]


def test_a_bad_upload_is_refused_and_leaves_nothing_behind(api: Api) -> None:
    before = set((api.deployment.data_dir / "blobs").rglob("file_*"))
    bad_purpose = upload(api, "contoso", "a.txt", b"x", purpose="everything")
    assert (bad_purpose.status_code, bad_purpose.json()["code"]) == (422, "Invalid")
    unreadable = upload(api, "contoso", "photo.png", b"\x89PNG", content_type="image/png")
    assert (unreadable.status_code, unreadable.json()["code"]) == (415, "UnsupportedMediaType")
    no_file = api.as_("contoso", "POST", "/files", data={"purpose": "assistants"}, files={})
    assert no_file.status_code in (400, 422)
    assert set((api.deployment.data_dir / "blobs").rglob("file_*")) == before


def test_a_run_with_file_search_cites_its_tenants_own_document_and_never_anothers(
    api: Api,
) -> None:
    word = unique("refundpolicy")
    contoso_file = upload(
        api, "contoso", "policy.txt", f"Contoso {word}: refunds within 45 days.".encode()
    ).json()["id"]
    index(api, "fabrikam", [{"id": f"fab-{word}", "content": f"Fabrikam {word}: 10 days."}])

    def ask(tenant: str) -> dict[str, object]:
        agent = api.create(
            tenant,
            "/agents/",
            {
                "name": "Finder",
                "instructions": "Answer from files.",
                "tools": [{"type": "file_search"}],
            },
        )
        thread = api.create(tenant, "/agents/threads", {})
        api.create(tenant, f"/agents/threads/{thread['id']}/messages", {"content": f"{word}?"})
        run = api.create(tenant, f"/agents/threads/{thread['id']}/runs", {"agent_id": agent["id"]})
        assert run["status"] == "completed"
        messages = api.as_(tenant, "GET", f"/agents/threads/{thread['id']}/messages").json()
        answer = messages[-1]
        assert answer["role"] == "assistant"
        text: dict[str, object] = answer["content"][0]["text"]
        return text

    contoso = ask("contoso")
    value = str(contoso["value"])
    assert "45 days" in value and "Fabrikam" not in value and "10 days" not in value
    citations = contoso["annotations"]
    assert isinstance(citations, list) and citations
    for note in citations:
        assert note["type"] == "file_citation"
        assert value[note["start_index"] : note["end_index"]] == note["text"]
    assert {n["file_citation"]["file_id"] for n in citations} == {contoso_file}

    fabrikam = ask("fabrikam")
    assert "45 days" not in str(fabrikam["value"])
    notes = fabrikam["annotations"]
    assert isinstance(notes, list)
    assert {n["file_citation"]["file_id"] for n in notes} == {f"fab-{word}"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A deployment with a 64 KiB upload limit and the local embedding model."""
    data_dir: Path = tmp_path_factory.mktemp("tenantry-small")
    env = {"FILES_MAX_BYTES": "65536", "EMBEDDER": "local"}
    with LocalDeployment(data_dir, workers=1, env=env) as live:
        client = Api(live)
        yield client
        client.http.close()


def test_an_upload_over_the_limit_is_a_413_and_nothing_is_kept(small: Api) -> None:
    just_over = upload(small, "contoso", "big.txt", b"a" * 65_537)
    assert just_over.status_code == 413
    assert just_over.json()["code"] == "PayloadTooLarge"

    def endless() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
        boundary = "xyz"
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n\r\n'
        ).encode()
        for _ in range(64):
            yield b"b" * 65_536
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = small.http.post(
        "/files",
        content=endless(),
        headers=small.auth("contoso") | {"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert streamed.status_code == 413
    assert upload(small, "contoso", "fits.txt", b"a" * 65_536).status_code == 201
    files = [p.name for p in (small.deployment.data_dir / "blobs").rglob("*") if p.is_file()]
    assert len([name for name in files if not name.endswith(".json")]) == 1


def test_hybrid_search_with_the_local_model_finds_meaning(small: Api) -> None:
    index(
        small,
        "contoso",
        [
            {"id": "pw", "content": "Steps to reset a forgotten password."},
            {"id": "food", "content": "The cafeteria serves lunch at noon."},
        ],
    )
    index(small, "fabrikam", [{"id": "theirs", "content": "Recover your account credentials."}])
    for mode in ("vector", "hybrid"):
        hits = search(small, "contoso", query="I cannot log in to my account", mode=mode)
        assert hits[0]["id"] == "pw", mode
        assert "theirs" not in {h["id"] for h in hits}
