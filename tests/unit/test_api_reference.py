"""docs/API.md, the HTTP reference kept in the repository, and the OpenAPI document the ingress
serves name the same operations, and the README links both."""

from __future__ import annotations

import re
from pathlib import Path

from ingress.app import create_app
from ingress.openapi_schemas import BODIES, RESULTS
from tests.harness import settings_for

REPO = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(GET|POST|PATCH|PUT|DELETE) (/[^`]*)` \|", re.MULTILINE)


def _documented() -> set[tuple[str, str]]:
    return set(ROW.findall((REPO / "docs" / "API.md").read_text()))


def _served(tmp_path: Path) -> set[tuple[str, str]]:
    document = create_app(settings_for(tmp_path)).openapi()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_the_reference_and_the_openapi_document_name_the_same_operations(
    tmp_path: Path,
) -> None:
    documented, served = _documented(), _served(tmp_path)
    assert len(documented) > 30
    assert served - documented == set(), "served but not in docs/API.md"
    assert documented - served == set(), "in docs/API.md but not served"


def test_the_readme_links_the_reference_and_the_live_docs() -> None:
    readme = (REPO / "README.md").read_text()
    assert "(docs/API.md)" in readme
    assert "/docs" in readme and "/openapi.json" in readme
    assert "../shared/API.md" not in readme


def test_the_openapi_document_is_complete_for_client_generators(tmp_path: Path) -> None:
    document = create_app(settings_for(tmp_path)).openapi()
    assert document["components"]["securitySchemes"]["bearer"]["bearerFormat"] == "JWT"
    assert document["security"] == [{"bearer": []}] and document["servers"]
    assert all(tag.get("description") for tag in document["tags"])
    operations = [
        (method, path, operation)
        for path, ops in document["paths"].items()
        for method, operation in ops.items()
    ]
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)*", i) for i in ids), ids
    assert {"createAgent", "getJob", "listJobs", "uploadFile", "createRun"} <= set(ids)
    assert set(BODIES) | set(RESULTS) <= set(ids), "a schema table names no operation"
    for method, path, operation in operations:
        statuses = set(operation["responses"])
        if path.startswith("/health"):
            assert operation["security"] == []
        if method == "get":
            assert not statuses & {"409", "413", "415"}, (method, path)
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (method, path, status)
            for content in response.get("content", {}).values():
                assert content.get("schema") not in ({}, None), (method, path, status)
        if "202" in statuses and "Operation-Location" in operation["responses"]["202"]["headers"]:
            names = {p["name"] for p in operation["parameters"]}
            assert {"Prefer", "Idempotency-Key", "traceparent"} <= names, path
            waited = statuses & {"200", "201"}
            assert len(waited) == 1, (method, path)
            assert "$ref" in str(operation["responses"][waited.pop()]["content"])
    schemas = document["components"]["schemas"]
    assert all("example" in schemas[name] for name in ("AgentCreate", "Job", "ProblemDetails"))
    upload = document["paths"]["/files"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    download = document["paths"]["/files/{file_id}/content"]["get"]["responses"]["200"]
    assert list(download["content"]) == ["application/octet-stream"]
