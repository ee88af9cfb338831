"""schemathesis over the live server's OpenAPI document, with a valid tenant token: no answer is a
5xx, and every answer's status, content type, headers and body are the ones the document gives.

Generated requests (valid and invalid) go to every operation; a bounded number of examples per
operation, derandomized, keeps the run to a few seconds per operation. The tenant is one no other
adversarial suite uses, so what the generated requests create disturbs nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingress.app import create_app
from shared.settings import Settings
from tests.adversarial.conftest import Rs256Deployment

pytestmark = pytest.mark.slow

TENANT = "northwind"
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, from the same app factory the live server runs."""
    config = Settings(jwt_algorithm="HS256", jwt_secret_key="x" * 32)
    document = create_app(config).openapi()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    ]


@pytest.fixture(scope="session")
def live_schema(rs256: Rs256Deployment) -> Any:
    return schemathesis.openapi.from_url(f"{rs256.url}/openapi.json")


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_answers_as_its_schema_says_and_never_5xx(
    method: str, path: str, live_schema: Any, rs256: Rs256Deployment
) -> None:
    operation = live_schema[path][method]
    headers = {"Authorization": f"Bearer {rs256.token(TENANT)}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(base_url=rs256.url, headers=headers, checks=CHECKS, timeout=30)

    answers_as_documented()
