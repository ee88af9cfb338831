"""docs/API.md, the HTTP reference kept in the repository, and the OpenAPI document the ingress
serves name the same operations, and the README links both."""

from __future__ import annotations

import re
from pathlib import Path

from ingress.app import create_app
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
