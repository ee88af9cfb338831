"""Extraction (text, Markdown, PDF, DOCX) and chunking of uploaded files."""

from __future__ import annotations

import io
import itertools
import zipfile

import docx
import pytest

from shared.file_kinds import FileKind, kind_of
from workers.ingestion.chunking import chunk_text
from workers.ingestion.extract import ExtractionFailed, extract_text


def pdf_with(lines: list[str]) -> bytes:
    """A minimal, valid one-page PDF showing `lines` in Helvetica (built by hand, offsets exact)."""
    text = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
        for line in lines
    )
    stream = text + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def docx_with(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def extract(kind: FileKind, data: bytes, max_chars: int = 100_000) -> str:
    return extract_text(kind, io.BytesIO(data), max_chars=max_chars)


def test_plain_text_is_read_as_utf8_without_its_bom() -> None:
    assert extract(FileKind.TEXT, "\ufeffZoë's notes".encode()) == "Zoë's notes"


def test_text_that_is_not_utf8_is_refused_with_a_reason() -> None:
    with pytest.raises(ExtractionFailed, match="UTF-8"):
        extract(FileKind.TEXT, b"\xff\xfe\x00\x00 binary \x80\x81 junk" * 10)


def test_binary_with_nul_characters_is_not_text() -> None:
    with pytest.raises(ExtractionFailed, match="NUL"):
        extract(FileKind.TEXT, b"abc\x00def")


def test_text_is_capped_without_splitting_a_character() -> None:
    assert extract(FileKind.TEXT, "ééééé".encode(), max_chars=3) == "ééé"


def test_markdown_keeps_the_words_and_drops_heading_quote_and_fence_markers() -> None:
    source = b"# Refunds\n\n> Quoted policy.\n```python\nprint(1)\n```\nThe window is *45* days."
    assert extract(FileKind.MARKDOWN, source) == (
        "Refunds\n\nQuoted policy.\n\nprint(1)\n\nThe window is *45* days."
    )


def test_a_pdfs_text_is_extracted_page_by_page() -> None:
    text = extract(FileKind.PDF, pdf_with(["Contoso refund policy", "Refunds within 45 days."]))
    assert "Contoso refund policy" in text
    assert "Refunds within 45 days." in text


def test_a_file_that_only_claims_to_be_a_pdf_is_refused() -> None:
    with pytest.raises(ExtractionFailed, match="not a PDF"):
        extract(FileKind.PDF, b"hello, I am text")


def test_a_broken_pdf_is_refused_with_a_reason() -> None:
    with pytest.raises(ExtractionFailed, match="PDF"):
        extract(FileKind.PDF, b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n%%EOF")


def test_a_docx_gives_its_paragraphs_and_tables() -> None:
    data = docx_with(
        ["Travel policy", "Book economy class."], [["Role", "Limit"], ["Staff", "500"]]
    )
    text = extract(FileKind.DOCX, data)
    assert "Travel policy\n\nBook economy class." in text
    assert "Staff | 500" in text


def test_a_docx_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(ExtractionFailed, match="zip"):
        extract(FileKind.DOCX, b"PK but not really a zip archive")


def test_a_docx_that_would_inflate_past_the_limit_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("workers.ingestion.extract.MAX_DOCX_INFLATED_BYTES", 10_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * 50_000)
    with pytest.raises(ExtractionFailed, match="inflates"):
        extract(FileKind.DOCX, buffer.getvalue())


@pytest.mark.parametrize(
    ("filename", "content_type", "kind"),
    [
        ("notes.TXT", "", FileKind.TEXT),
        ("readme.md", "application/octet-stream", FileKind.MARKDOWN),
        ("report.pdf", "", FileKind.PDF),
        ("memo.docx", "", FileKind.DOCX),
        ("blob", "application/pdf", FileKind.PDF),
        ("blob", "text/plain; charset=utf-8", FileKind.TEXT),
        ("image.png", "image/png", None),
        ("archive.zip", "", None),
    ],
)
def test_a_files_kind_comes_from_its_extension_then_its_type(
    filename: str, content_type: str, kind: FileKind | None
) -> None:
    assert kind_of(filename, content_type) == kind


SENTENCES = [f"Sentence {i} is about topic {i % 5} and nothing else." for i in range(120)]


def test_chunks_stay_within_the_size_and_cover_every_sentence() -> None:
    chunks = chunk_text(" ".join(SENTENCES), size=300, overlap=80)
    assert all(len(c.text) <= 300 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for sentence in SENTENCES:
        assert any(sentence in c.text for c in chunks), sentence


def test_each_chunk_begins_with_the_last_sentences_of_the_one_before() -> None:
    chunks = chunk_text(" ".join(SENTENCES), size=300, overlap=80)
    for before, after in itertools.pairwise(chunks):
        last = before.text.split(". ")[-1]
        assert after.text.startswith(last.rstrip(".")), (before.text, after.text)


def test_without_overlap_no_sentence_is_repeated() -> None:
    chunks = chunk_text(" ".join(SENTENCES), size=300, overlap=0)
    joined = " ".join(c.text for c in chunks)
    assert all(joined.count(s) == 1 for s in SENTENCES)


def test_a_paragraph_break_is_kept_inside_a_chunk() -> None:
    [chunk] = chunk_text("Title\n\nFirst sentence. Second one.", size=200, overlap=0)
    assert chunk.text == "Title\n\nFirst sentence. Second one."


def test_a_sentence_longer_than_a_chunk_is_cut_at_spaces() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    chunks = chunk_text(words, size=100, overlap=0)
    assert all(len(c.text) <= 100 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == words.split()


def test_empty_text_has_no_chunks() -> None:
    assert chunk_text("  \n\n ", size=100, overlap=10) == []


def test_an_overlap_as_large_as_the_chunk_is_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("x", size=100, overlap=100)
