"""The KQL files read only fields, metrics and names that tenantry really emits.

Application Insights puts span, metric and log attributes in `customDimensions`; a query that
reads a key no code writes returns nothing, silently. Each key a query reads must be written
by the telemetry code, and each metric it reads must be one of `shared.metrics`.
(tests/unit/test_azure_monitor_export.py shows the exporter carries these keys unchanged.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared import metrics

ROOT = Path(__file__).resolve().parents[2]
KQL = sorted((ROOT / "infra" / "kql").glob("*.kql"))
EMITTERS = [
    "shared/telemetry.py",
    "shared/metrics.py",
    "shared/tracing.py",
    "shared/boundary.py",
    "shared/logs.py",
    "workers/observe.py",
]
METRICS = {
    value
    for name, value in vars(metrics).items()
    if name.isupper() and isinstance(value, str) and value.startswith("tenantry.")
}


def _emitted_literals() -> set[str]:
    """String literals of the emitting code, and the extra ids passed to `boundary.report`."""
    found: set[str] = set()
    for path in EMITTERS:
        found |= set(re.findall(r"\"([A-Za-z_][A-Za-z0-9_.]*)\"", (ROOT / path).read_text()))
    for path in [*EMITTERS, "ingress/deps.py", "ingress/overrides.py"]:
        for call in re.findall(r"boundary\.report\((.*?)\n\s*\)", (ROOT / path).read_text(), re.S):
            found |= set(re.findall(r"\b([a-z_]+)=", call))
    # ids bound to the log context: every record made in that context carries them
    for package in ("ingress", "shared", "workers", "functions"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            for call in re.findall(r"logs\.(?:bind|bound)\(([^)]*)\)", text):
                found |= set(re.findall(r"\b([a-z_]+)=", call))
    return found


def test_there_are_the_five_operations_queries() -> None:
    assert {path.stem for path in KQL} == {
        "tenant-call-statistics",
        "boundary-violations",
        "error-rate-per-tenant",
        "queue-wait-per-tenant",
        "dead-letters-per-tenant",
    }


@pytest.mark.parametrize("path", KQL, ids=lambda p: p.stem)
def test_every_custom_dimension_a_query_reads_is_written_by_the_code(path: Path) -> None:
    query = path.read_text()
    read = set(re.findall(r'customDimensions\["([^"]+)"\]', query))
    read |= set(re.findall(r"customDimensions\.([A-Za-z_][A-Za-z0-9_]*)", query))
    assert read, "the query reads no custom dimension"
    assert read - _emitted_literals() == set()


@pytest.mark.parametrize("path", KQL, ids=lambda p: p.stem)
def test_every_metric_a_query_reads_exists(path: Path) -> None:
    named = set(re.findall(r'name == "(tenantry\.[a-z_.]+)"', path.read_text()))
    assert named <= METRICS


@pytest.mark.parametrize("path", KQL, ids=lambda p: p.stem)
def test_the_role_names_a_query_filters_on_are_the_deployed_ones(path: Path) -> None:
    roles = set(re.findall(r'cloud_RoleName == "([^"]+)"', path.read_text()))
    main = (ROOT / "infra" / "main.bicep").read_text()
    for role in roles:
        assert f"OTEL_SERVICE_NAME: '{role}'" in main
