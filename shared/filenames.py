"""A client's file name, kept as metadata only: reduced to a harmless display name.

It never becomes a path (blobs are named by the service), but it is shown in lists, in
`Content-Disposition` and in citations, so whatever could mislead or break those goes.
"""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_CHARS = 255
FALLBACK = "file"
_UNSAFE = re.compile(r'[<>:"|?*\\/]')
_SPACES = re.compile(r"\s+")


def safe_filename(raw: str | None) -> str:
    """The last path segment of `raw`, NFC, without control or format characters, at most 255.

    `../../etc/passwd` becomes `passwd`, `C:\\boot.ini` becomes `boot.ini`, a name of only dots
    or nothing at all becomes `file`.
    """
    if not raw:
        return FALLBACK
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip().lstrip(".").strip()
    if not name:
        return FALLBACK
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = f"{stem[: MAX_FILENAME_CHARS - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for the `filename=` parameter of `Content-Disposition`."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._ ()\-]", "_", folded).strip()
    return cleaned or FALLBACK
