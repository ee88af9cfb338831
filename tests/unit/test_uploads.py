"""Uploads at the ingress: the streaming multipart reader and the sanitised file name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingress.multipart import MAX_PARTS, MalformedMultipart, MultipartReader
from shared.filenames import ascii_filename, safe_filename

BOUNDARY = "----tenantry-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def form(*parts: tuple[str, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: text/plain\r\n"
        body += b"\r\n" + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


async def pieces(body: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for size in sizes:
        if start >= len(body):
            break
        yield body[start : start + size]
        start += size
    if start < len(body):
        yield body[start:]


async def read_form(body: bytes, sizes: list[int]) -> dict[str, tuple[str | None, bytes]]:
    reader = MultipartReader(CONTENT_TYPE, pieces(body, sizes))
    found: dict[str, tuple[str | None, bytes]] = {}
    while (part := await reader.next_part()) is not None:
        if part.filename is None:
            found[part.name] = (None, (await reader.read_field()).encode())
        else:
            found[part.name] = (part.filename, b"".join([c async for c in reader.data()]))
    return found


async def test_a_file_and_a_field_are_read_in_order() -> None:
    body = form(("purpose", None, b"assistants"), ("file", "notes.txt", b"line 1\r\nline 2"))
    assert await read_form(body, [len(body)]) == {
        "purpose": (None, b"assistants"),
        "file": ("notes.txt", b"line 1\r\nline 2"),
    }


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=5000),
    sizes=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=40),
)
async def test_a_file_comes_through_whole_however_the_network_cuts_the_body(
    data: bytes, sizes: list[int]
) -> None:
    body = form(("file", "blob.bin", data), ("purpose", None, b"user_data"))
    found = await read_form(body, sizes)
    assert found["file"] == ("blob.bin", data)
    assert found["purpose"] == (None, b"user_data")


async def test_file_data_is_yielded_as_it_arrives_not_buffered() -> None:
    data = b"z" * 300_000
    body = form(("file", "big.bin", data))
    reader = MultipartReader(CONTENT_TYPE, pieces(body, [10_000] * 40))
    part = await reader.next_part()
    assert part is not None and part.filename == "big.bin"
    sizes = [len(chunk) async for chunk in reader.data()]
    assert sum(sizes) == len(data)
    assert max(sizes) <= 10_000


async def test_an_unread_part_is_skipped() -> None:
    body = form(("ignored", "x.bin", b"skip me"), ("purpose", None, b"vision"))
    reader = MultipartReader(CONTENT_TYPE, pieces(body, [7] * 100))
    first = await reader.next_part()
    second = await reader.next_part()
    assert first is not None and second is not None
    assert (second.name, await reader.read_field()) == ("purpose", "vision")
    assert await reader.next_part() is None


async def test_a_body_cut_before_its_closing_boundary_is_malformed() -> None:
    body = form(("file", "a.txt", b"abc"))[:-20]
    with pytest.raises(MalformedMultipart):
        await read_form(body, [len(body)])


async def test_a_part_without_a_name_is_malformed() -> None:
    body = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
    ).encode()
    with pytest.raises(MalformedMultipart, match="name"):
        await read_form(body, [len(body)])


async def test_an_oversized_field_is_refused() -> None:
    body = form(("purpose", None, b"a" * 10_000))
    with pytest.raises(MalformedMultipart, match="over"):
        await read_form(body, [len(body)])


async def test_too_many_parts_are_refused() -> None:
    body = form(*[(f"f{i}", None, b"v") for i in range(MAX_PARTS + 1)])
    with pytest.raises(MalformedMultipart, match="parts"):
        await read_form(body, [len(body)])


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data", "text/plain; boundary=x"]
)
def test_a_body_that_is_not_multipart_with_a_boundary_is_refused(content_type: str) -> None:
    async def empty() -> AsyncIterator[bytes]:
        yield b""

    with pytest.raises(MalformedMultipart):
        MultipartReader(content_type, empty())


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/absolute/path/notes.md", "notes.md"),
        ("C:\\boot.ini", "boot.ini"),
        ("..", "file"),
        ("...hidden", "hidden"),
        ("", "file"),
        (None, "file"),
        ("a\x00b\x1fc\nd.txt", "abcd.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ('quote"d<name>|?*.txt', "quote_d_name____.txt"),
        ("  spaced   out  .txt ", "spaced out .txt"),
        ("Cafe\u0301.md", "Café.md"),
    ],
)
def test_a_file_name_keeps_only_a_harmless_last_segment(raw: str | None, safe: str) -> None:
    assert safe_filename(raw) == safe


def test_a_long_file_name_keeps_its_extension() -> None:
    name = safe_filename("a" * 400 + ".docx")
    assert len(name) == 255
    assert name.endswith(".docx")


@given(st.text())
def test_no_file_name_can_hold_a_separator_a_control_character_or_start_with_a_dot(
    raw: str,
) -> None:
    name = safe_filename(raw)
    assert name and len(name) <= 255
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert all(ch.isprintable() or ch == " " for ch in name)


def test_the_ascii_stand_in_of_a_name_is_plain() -> None:
    assert ascii_filename('Résumé "final".pdf') == "Resume _final_.pdf"
    assert ascii_filename("日本語") == "file"
