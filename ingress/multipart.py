"""A streaming `multipart/form-data` reader: file parts flow through in pieces, never buffered.

Starlette's form parser spools every file to a temporary file before the route runs; an upload
here goes straight from the socket to the tenant's blob area instead, one network chunk at a time.
Small fields (such as `purpose`) are read whole, up to a limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 4096
MAX_PARTS = 16


class MalformedMultipart(Exception):
    """The body is not well-formed `multipart/form-data`; the message says what is wrong."""


@dataclass(frozen=True)
class PartHeaders:
    """A part's name, its file name if it is a file, and its declared content type."""

    name: str
    filename: str | None
    content_type: str


def boundary_of(content_type: str) -> bytes:
    """The boundary of a `multipart/form-data` content type (raises `MalformedMultipart`)."""
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise MalformedMultipart("the body must be multipart/form-data")
    boundary = options.get(b"boundary")
    if not boundary:
        raise MalformedMultipart("the multipart content type has no boundary")
    return boundary


class MultipartReader:
    """Reads a body part by part: `next_part()`, then `data()` or `read_field()` or `skip()`."""

    def __init__(self, content_type: str, body: AsyncIterator[bytes]) -> None:
        self._body = body
        self._events: deque[tuple[str, object]] = deque()
        self._headers: list[tuple[bytes, bytes]] = []
        self._field = b""
        self._value = b""
        self._parts = 0
        self._done = False
        self._in_part = False
        self._parser = MultipartParser(
            boundary_of(content_type),
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": lambda: self._events.append(("end", None)),
                "on_end": lambda: self._events.append(("done", None)),
            },
        )

    def _on_part_begin(self) -> None:
        self._headers = []
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise MalformedMultipart(f"at most {MAX_PARTS} parts")

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers.append((self._field.lower(), self._value))
        self._field, self._value = b"", b""

    def _on_headers_finished(self) -> None:
        headers = dict(self._headers)
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise MalformedMultipart("a part has no name in its Content-Disposition")
        filename = options.get(b"filename")
        part = PartHeaders(
            name=name.decode("utf-8", "replace"),
            filename=None if filename is None else filename.decode("utf-8", "replace"),
            content_type=headers.get(b"content-type", b"").decode("latin-1").strip(),
        )
        self._events.append(("part", part))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", bytes(data[start:end])))

    async def _next_event(self) -> tuple[str, object]:
        while not self._events:
            if self._done:
                raise MalformedMultipart("the body ended before the closing boundary")
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._done = True
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise MalformedMultipart(f"the multipart body is malformed: {exc}") from exc
        return self._events.popleft()

    async def next_part(self) -> PartHeaders | None:
        """The headers of the next part, or None after the last (skips what is left of this one)."""
        if self._in_part:
            await self.skip()
        kind, value = await self._next_event()
        if kind == "done":
            return None
        if kind != "part" or not isinstance(value, PartHeaders):
            raise MalformedMultipart("unexpected data between parts")
        self._in_part = True
        return value

    async def data(self) -> AsyncIterator[bytes]:
        """The current part's bytes as they arrive."""
        while self._in_part:
            kind, value = await self._next_event()
            if kind == "end":
                self._in_part = False
            elif kind == "data" and isinstance(value, bytes):
                yield value
            else:
                raise MalformedMultipart("a part ended without its boundary")

    async def read_field(self, max_bytes: int = MAX_FIELD_BYTES) -> str:
        """The current part whole, as UTF-8 text (at most `max_bytes`)."""
        value = b""
        async for piece in self.data():
            value += piece
            if len(value) > max_bytes:
                raise MalformedMultipart(f"a form field is over {max_bytes} bytes")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedMultipart("a form field is not UTF-8") from exc

    async def skip(self) -> None:
        """Read past the rest of the current part."""
        async for _ in self.data():
            pass
