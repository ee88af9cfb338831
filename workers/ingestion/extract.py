"""Text out of an uploaded file: plain text and Markdown, PDF (pypdf), DOCX (python-docx).

Files are untrusted: every parser failure becomes `ExtractionFailed` with a reason the client
can read, a DOCX whose parts would inflate past a limit is refused before it is parsed, and the
text kept is capped.
"""

from __future__ import annotations

import re
import zipfile
from typing import BinaryIO

from shared.file_kinds import FileKind

_MARKUP = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|```.*$)", re.MULTILINE)
"""Markdown's heading, quote and fence markers: the words stay, the markup goes."""

MAX_DOCX_INFLATED_BYTES = 256 * 1024 * 1024
"""A DOCX whose parts together inflate past this is refused (a zip bomb, or nothing to read)."""


class ExtractionFailed(Exception):
    """The file's text cannot be read; the message says why."""


def extract_text(kind: FileKind, stream: BinaryIO, *, max_chars: int) -> str:
    """The file's text, at most `max_chars` of it (raises `ExtractionFailed`)."""
    if kind is FileKind.TEXT:
        return _plain(stream, max_chars)
    if kind is FileKind.MARKDOWN:
        return _MARKUP.sub("", _plain(stream, max_chars))
    if kind is FileKind.PDF:
        return _pdf(stream, max_chars)
    return _docx(stream, max_chars)


def _plain(stream: BinaryIO, max_chars: int) -> str:
    raw = stream.read(max_chars * 4 + 4)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not merely a character cut at the read limit
            raise ExtractionFailed("the file is not UTF-8 text") from exc
        text = raw[: exc.start].decode("utf-8-sig")
    if "\x00" in text:
        raise ExtractionFailed("the file holds NUL characters: it is not text")
    return text[:max_chars]


def _pdf(stream: BinaryIO, max_chars: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if stream.read(5) != b"%PDF-":
        raise ExtractionFailed("the file is not a PDF")
    stream.seek(0)
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionFailed("the PDF is encrypted")
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            pages.append(text)
            total += len(text)
            if total >= max_chars:
                break
    except ExtractionFailed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ExtractionFailed(f"the PDF cannot be read ({type(exc).__name__})") from exc
    return "\n\n".join(pages)[:max_chars]


def _docx(stream: BinaryIO, max_chars: int) -> str:
    import docx

    try:
        with zipfile.ZipFile(stream) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ExtractionFailed("the file is not a DOCX (not a zip archive)") from exc
    if inflated > MAX_DOCX_INFLATED_BYTES:
        raise ExtractionFailed("the DOCX inflates past the size this service reads")
    stream.seek(0)
    try:
        document = docx.Document(stream)
    except (ValueError, KeyError, zipfile.BadZipFile, OSError) as exc:
        raise ExtractionFailed(f"the DOCX cannot be read ({type(exc).__name__})") from exc
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n\n".join(part for part in parts if part.strip())[:max_chars]
