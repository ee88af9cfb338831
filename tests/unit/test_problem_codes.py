"""The OpenAPI document's enum of problem codes holds every code the sources can answer with:
the shared error codes, the ingress's literal refusals, and the dead-letter reasons a waited
job can end with."""

from __future__ import annotations

import re
from pathlib import Path

from ingress.problem_codes import PROBLEM_CODES

REPO = Path(__file__).resolve().parents[2]
LITERAL_PROBLEM = re.compile(r"Problem\(\s*\d{3},\s*\"([A-Za-z]+)\"")


def _sources(*folders: str) -> str:
    return "\n".join(
        path.read_text() for folder in folders for path in (REPO / folder).rglob("*.py")
    )


def test_every_literal_problem_code_is_in_the_enum() -> None:
    found = set(LITERAL_PROBLEM.findall(_sources("ingress", "shared")))
    assert found, "the scan found nothing: has Problem(...) changed shape?"
    assert found <= PROBLEM_CODES, found - PROBLEM_CODES


def test_the_enum_is_served_in_the_openapi_document(tmp_path: Path) -> None:
    from ingress.app import create_app
    from tests.harness import settings_for

    document = create_app(settings_for(tmp_path)).openapi()
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert set(problem["properties"]["code"]["enum"]) == PROBLEM_CODES
    assert "jobId" in problem["properties"]
