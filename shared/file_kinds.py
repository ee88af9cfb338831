"""Which uploaded files can be read for search: by extension, confirmed by content type."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath


class FileKind(StrEnum):
    """How a file's text is extracted."""

    TEXT = "text"
    MARKDOWN = "markdown"
    PDF = "pdf"
    DOCX = "docx"


EXTENSIONS: dict[str, FileKind] = {
    ".txt": FileKind.TEXT,
    ".text": FileKind.TEXT,
    ".csv": FileKind.TEXT,
    ".json": FileKind.TEXT,
    ".log": FileKind.TEXT,
    ".rst": FileKind.TEXT,
    ".md": FileKind.MARKDOWN,
    ".markdown": FileKind.MARKDOWN,
    ".pdf": FileKind.PDF,
    ".docx": FileKind.DOCX,
}

CONTENT_TYPES: dict[str, FileKind] = {
    "text/plain": FileKind.TEXT,
    "text/csv": FileKind.TEXT,
    "application/json": FileKind.TEXT,
    "text/markdown": FileKind.MARKDOWN,
    "text/x-markdown": FileKind.MARKDOWN,
    "application/pdf": FileKind.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": FileKind.DOCX,
}

SUPPORTED = ", ".join(sorted(EXTENSIONS))


def kind_of(filename: str, content_type: str) -> FileKind | None:
    """The file's kind from its extension, else from its content type; None if unreadable."""
    extension = PurePosixPath(filename.lower()).suffix
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    return CONTENT_TYPES.get(content_type.split(";", 1)[0].strip().lower())
