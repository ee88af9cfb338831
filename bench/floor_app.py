"""The floor for the ingress benchmark: a bare FastAPI endpoint answering 202, nothing else."""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/cosmos/{container}", status_code=202)
async def accept(container: str, body: dict[str, object]) -> JSONResponse:
    job = {"id": f"job_{secrets.token_hex(12)}", "status": "NotStarted", "type": "item.create"}
    return JSONResponse(job, status_code=202, headers={"Operation-Location": f"/jobs/{job['id']}"})
