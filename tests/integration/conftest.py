"""A live `tenantry up` (ingress + two worker processes) shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment


class Api:
    """An HTTP client of the live deployment that speaks as a given tenant."""

    def __init__(self, deployment: LocalDeployment) -> None:
        self.deployment = deployment
        self.http = httpx.Client(base_url=deployment.url, timeout=30)

    def auth(self, tenant: str, **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.deployment.token(tenant, **kwargs)}"}  # type: ignore[arg-type]

    def as_(
        self,
        tenant: str,
        method: str,
        path: str,
        *,
        wait: int | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> httpx.Response:
        merged = self.auth(tenant) | (headers or {})
        if wait is not None:
            merged["Prefer"] = f"wait={wait}"
        return self.http.request(method, path, headers=merged, **kwargs)  # type: ignore[arg-type]

    def create(self, tenant: str, path: str, body: object) -> dict[str, object]:
        """POST with `Prefer: wait` and insist on the synchronous 201."""
        response = self.as_(tenant, "POST", path, wait=30, json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def job(self, tenant: str, job_id: str) -> dict[str, object]:
        response = self.as_(tenant, "GET", f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def collect(http: httpx.Client, path: str, headers: dict[str, str]) -> list[dict[str, object]]:
    """Every item of a list, following its `Link: rel="next"` headers."""
    items: list[dict[str, object]] = []
    url: str | None = f"{path}?limit=100"
    while url is not None:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, response.text
        items += response.json()
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
    return items


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    data_dir: Path = tmp_path_factory.mktemp("tenantry")
    with LocalDeployment(data_dir, workers=2) as live:
        yield live


@pytest.fixture(scope="session")
def api(deployment: LocalDeployment) -> Iterator[Api]:
    client = Api(deployment)
    yield client
    client.http.close()
