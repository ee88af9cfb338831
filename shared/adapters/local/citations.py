"""How the local engine quotes retrieved passages and cites them, as the Agents API annotates.

Each quote is followed by a marker such as `【0:1†handbook.md】`; the message's annotations hold
one `file_citation` per marker with the marker's `text`, its `start_index` and `end_index` in the
message, and the cited `file_id` (for a document indexed directly, its document id).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from shared.ports.engine import Passage

MAX_QUOTES = 3
MAX_QUOTE_CHARS = 300
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_WORD = re.compile(r"\w+", re.UNICODE)
_LABEL_UNSAFE = re.compile(r"[【】†\s]+")


def best_sentence(text: str, question: str) -> str:
    """The sentence of `text` sharing most words with `question` (the first on a tie), cut short."""
    wanted = {w.lower() for w in _WORD.findall(question)}
    sentences = [" ".join(s.split()) for s in _SENTENCE.split(text) if s.strip()]
    if not sentences:
        return ""
    best = max(
        enumerate(sentences),
        key=lambda item: (len(wanted & {w.lower() for w in _WORD.findall(item[1])}), -item[0]),
    )[1]
    if len(best) <= MAX_QUOTE_CHARS:
        return best
    cut = best[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def _label(passage: Passage) -> str:
    label = _LABEL_UNSAFE.sub(" ", passage.title or passage.document_id).strip()
    return label[:80] or "source"


def cite(
    prefix: str, passages: Sequence[Passage], question: str
) -> tuple[str, list[dict[str, Any]]]:
    """`prefix` followed by quotes of the best passages with their markers, and the annotations."""
    text = prefix
    annotations: list[dict[str, Any]] = []
    for index, passage in enumerate(passages[:MAX_QUOTES]):
        quote = best_sentence(passage.text, question)
        if not quote:
            continue
        text += f' "{quote}" '
        marker = f"【0:{index}†{_label(passage)}】"
        start = len(text)
        text += marker
        annotations.append(
            {
                "type": "file_citation",
                "text": marker,
                "start_index": start,
                "end_index": start + len(marker),
                "file_citation": {
                    "file_id": passage.file_id or passage.document_id,
                    "document_id": passage.document_id,
                    "quote": quote,
                },
            }
        )
    return text, annotations
