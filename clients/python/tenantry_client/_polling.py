"""Commands as azure-core long-running operations: `LROBasePolling` over `Operation-Location`,
with a failed or canceled job raised as the `TenantryError` its `error.code` names."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.core.polling.async_base_polling import AsyncLROBasePolling
from azure.core.polling.base_polling import LROBasePolling

from tenantry_client._errors import TenantryError, error_from_job, error_from_response


def _translated(polling: Any, raised: HttpResponseError) -> TenantryError | None:
    pipeline_response = getattr(polling, "_pipeline_response", None)
    if pipeline_response is None:
        return None
    response = pipeline_response.http_response
    if response.status_code >= 400:
        return error_from_response(response)
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and "status" in body and "type" in body:
        return error_from_job(body, response)
    return None


class JobPolling(LROBasePolling[Any, Any, Any]):
    """azure-core's own polling; only its errors are made `TenantryError`s."""

    def run(self) -> None:
        try:
            super().run()
        except HttpResponseError as raised:
            translated = _translated(self, raised)
            if translated is None:
                raise
            raise translated from raised


class AsyncJobPolling(AsyncLROBasePolling[Any, Any, Any]):
    """The async twin of `JobPolling`."""

    async def run(self) -> None:
        try:
            await super().run()
        except HttpResponseError as raised:
            translated = _translated(self, raised)
            if translated is None:
                raise
            raise translated from raised
