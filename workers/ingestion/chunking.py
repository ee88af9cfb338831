"""Text cut into overlapping passages of about `size` characters, on sentence boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    """One passage and its place in the file."""

    index: int
    text: str


def _units(text: str, size: int) -> list[tuple[str, str]]:
    """Sentences (whitespace collapsed), none longer than `size` (a longer one is cut at spaces),
    each with the separator that goes before it: a blank line when it opens a paragraph."""
    units: list[tuple[str, str]] = []
    for paragraph in _PARAGRAPHS.split(text):
        separator = "\n\n"
        for sentence in _SENTENCES.split(" ".join(paragraph.split())):
            while len(sentence) > size:
                cut = sentence.rfind(" ", 0, size + 1)
                cut = cut if cut > size // 2 else size
                units.append((sentence[:cut].strip(), separator))
                sentence, separator = sentence[cut:].strip(), " "
            if sentence:
                units.append((sentence, separator))
                separator = " "
    return units


def _joined(units: list[tuple[str, str]]) -> str:
    return "".join(sep + text if index else text for index, (text, sep) in enumerate(units))


def chunk_text(text: str, *, size: int = 1200, overlap: int = 200) -> list[Chunk]:
    """Passages of at most `size` characters; each starts with up to `overlap` characters of
    whole sentences that ended the one before, so a fact split by a boundary is found whole."""
    if size < 20:
        raise ValueError("a chunk is at least 20 characters")
    if not 0 <= overlap < size:
        raise ValueError("the overlap is less than the chunk size")
    chunks: list[str] = []
    current: list[tuple[str, str]] = []
    for unit in _units(text, size):
        if current and len(_joined([*current, unit])) > size:
            chunks.append(_joined(current))
            carried: list[tuple[str, str]] = []
            for previous in reversed(current):
                if len(_joined([previous, *carried])) > overlap:
                    break
                carried.insert(0, previous)
            if carried and len(_joined([*carried, unit])) > size:
                carried = []
            current = carried
        current.append(unit)
    if current:
        chunks.append(_joined(current))
    return [Chunk(index, passage) for index, passage in enumerate(chunks)]
