"""Background responses as the port's run states."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.contracts.resources import RunError, RunStatus, Usage
from shared.ports.engine import Passage, RunState

STATUS: dict[str, RunStatus] = {
    "queued": RunStatus.QUEUED,
    "in_progress": RunStatus.IN_PROGRESS,
    "completed": RunStatus.COMPLETED,
    "failed": RunStatus.FAILED,
    "cancelled": RunStatus.CANCELLED,
    "incomplete": RunStatus.FAILED,
}


def knowledge_input(passages: Sequence[Passage]) -> dict[str, Any]:
    """The tenant's retrieved passages as a developer message the answer can cite."""
    lines = ["Answer from these passages of the tenant's own documents; cite them as [n]."]
    for number, passage in enumerate(passages, start=1):
        title = f" ({passage.title})" if passage.title else ""
        lines.append(f"[{number}] {passage.document_id}{title}: {passage.text}")
    return {"type": "message", "role": "developer", "content": "\n".join(lines)}


def _annotations(response: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in getattr(response, "output", None) or []:
        for part in getattr(item, "content", None) or []:
            for annotation in getattr(part, "annotations", None) or []:
                found.append(annotation.model_dump(mode="json"))
    return found


def run_state(response: Any, metadata: dict[str, str]) -> RunState:
    """The run state of a response (`incomplete` is a failure that says why)."""
    status = STATUS.get(str(response.status), RunStatus.IN_PROGRESS)
    usage = None
    if response.usage is not None:
        usage = Usage(
            prompt_tokens=response.usage.input_tokens,
            completion_tokens=response.usage.output_tokens,
            total_tokens=response.usage.total_tokens,
        )
    error = None
    if response.error is not None:
        error = RunError(code=str(response.error.code), message=str(response.error.message))
    elif response.status == "incomplete":
        reason = getattr(response.incomplete_details, "reason", None) or "incomplete"
        error = RunError(code="incomplete", message=f"The response ended early: {reason}.")
    return RunState(
        status=status,
        output_text=response.output_text if status is RunStatus.COMPLETED else None,
        annotations=_annotations(response) if status is RunStatus.COMPLETED else [],
        usage=usage,
        last_error=error,
        metadata=metadata,
    )
