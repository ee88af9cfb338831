"""A misconfigured ingress stays up, says what to fix on `/health/ready`, and refuses the rest.

In process, every Azure adapter chosen without its setting; then the production entry point
(`python -m ingress`, what the image runs) as a real process, which must not exit.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ingress.app import create_app
from shared.adapters.azure.requirements import ADAPTER_SETTINGS
from shared.tokens import issue_dev_token
from tests.harness import settings_for
from tests.production_ingress import production_ingress

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("adapter", "needed"), sorted(ADAPTER_SETTINGS.items()))
def test_each_azure_adapter_without_its_setting_is_reported_on_readiness(
    tmp_path: Path, adapter: str, needed: tuple[str, ...]
) -> None:
    settings = settings_for(tmp_path).model_copy(update={adapter.lower(): "azure"})
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        body = ready.json()
        assert body["status"] == "misconfigured"
        assert all(name in body["checks"]["configuration"] for name in needed)
        token = issue_dev_token(settings, tenant_id="contoso", roles=("user",))
        refused = client.get("/agents/", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "ServiceUnavailable"
        assert needed[0] in refused.json()["detail"]


def test_an_ingress_that_cannot_verify_tokens_is_reported_misconfigured(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, jwt_algorithm="RS256")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert "JWT_JWKS_URL" in ready.json()["checks"]["configuration"]
        assert client.get("/jobs/x").status_code == 503


def test_a_configured_ingress_reports_its_configuration_ok(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path))) as client:
        ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"configuration": "ok", "bus": "ok", "store": "ok"}


@pytest.mark.slow
def test_the_production_entry_point_without_the_foundry_endpoint_stays_up(
    tmp_path: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FOUNDRY_", "ENGINE_", "TENANTS"))
    }
    env |= {
        "DATA_DIR": str(tmp_path),
        "ENGINE_ADAPTER": "azure",
        "LOG_FORMAT": "json",
        "JWT_ALGORITHM": "HS256",
        "JWT_SECRET_KEY": "a-test-secret-that-is-long-enough-for-hs256",
    }
    with production_ingress(env, tmp_path / "ingress.log") as ingress:
        ready: httpx.Response | None = httpx.get(f"{ingress.url}/health/ready", timeout=2)
        assert ingress.process.poll() is None, ingress.log.read_text()
        assert ready is not None and ready.status_code == 503
        assert "FOUNDRY_PROJECT_ENDPOINT" in ready.json()["checks"]["configuration"]
        time.sleep(1.0)
        assert ingress.process.poll() is None, "the process must not exit"
        assert httpx.get(f"{ingress.url}/health", timeout=2).status_code == 200
