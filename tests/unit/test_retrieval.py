"""Retrieval for runs: rank fusion, and how the local engine quotes and cites passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.local.citations import best_sentence, cite
from shared.adapters.local.engine import LocalEngine
from shared.adapters.local.rank_fusion import reciprocal_rank_fusion
from shared.ports.engine import AgentDefinition, Passage, RunRequest
from shared.ports.search import SearchHit
from workers.retrieval import passages


def test_rank_fusion_rewards_keys_ranked_well_by_several_rankings() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[-1][1] == pytest.approx(1 / 63)


def test_rank_fusion_breaks_ties_by_first_appearance() -> None:
    assert [k for k, _ in reciprocal_rank_fusion([["x", "y"], ["y", "x"]])] == ["x", "y"]
    assert reciprocal_rank_fusion([]) == []


def test_the_best_sentence_is_the_one_sharing_most_words_with_the_question() -> None:
    text = "Welcome to the handbook. Refunds are paid within 45 days. Contact support."
    assert best_sentence(text, "How many days until refunds are paid?") == (
        "Refunds are paid within 45 days."
    )
    assert best_sentence(text, "unrelated") == "Welcome to the handbook."
    assert best_sentence("Heading\n\nBody text here.", "body") == "Body text here."


def test_a_long_sentence_is_quoted_cut_at_a_word() -> None:
    quote = best_sentence("word " * 200, "word")
    assert len(quote) <= 301 and quote.endswith("…")


def test_each_citation_marks_exactly_its_place_in_the_text() -> None:
    knowledge = [
        Passage("file_a-00000", "Refunds take 45 days.", title="policy.md", file_id="file_a"),
        Passage("faq-1", "Call support for refunds.", title="FAQ 【x】"),
    ]
    text, annotations = cite("Answer:", knowledge, "refunds")
    assert len(annotations) == 2
    for note in annotations:
        assert text[note["start_index"] : note["end_index"]] == note["text"]
        assert note["type"] == "file_citation"
    first, second = annotations
    assert first["text"] == "【0:0†policy.md】"
    assert first["file_citation"] == {
        "file_id": "file_a",
        "document_id": "file_a-00000",
        "quote": "Refunds take 45 days.",
    }
    assert second["file_citation"]["file_id"] == "faq-1"
    assert "【x】" not in second["text"]
    assert '"Refunds take 45 days."' in text


def test_search_hits_become_passages_naming_their_file() -> None:
    hits = [
        SearchHit("file_a-00001", "chunk", "a.pdf", "file_a", 2.0),
        SearchHit("doc1", "direct", "Doc", "", 1.0),
    ]
    assert [(p.document_id, p.file_id) for p in passages(hits)] == [
        ("file_a-00001", "file_a"),
        ("doc1", ""),
    ]


AGENT = AgentDefinition("asst_1", "Helper", "Answer from documents.", "gpt-4o", [])
SEARCHING = AgentDefinition(
    "asst_2", "Finder", "Answer from documents.", "gpt-4o", [{"type": "file_search"}]
)


async def run_answer(
    tmp_path: Path, agent: AgentDefinition, knowledge: list[Passage]
) -> tuple[str, list[dict[str, object]]]:
    engine = LocalEngine(tmp_path / "engine.sqlite3")
    try:
        tenant = engine.for_tenant("contoso")
        await tenant.create_thread("t1")
        await tenant.add_message("t1", "m1", "user", "How long do refunds take?")
        await tenant.start_run(RunRequest("r1", "t1", agent, agent.agent_id, knowledge=knowledge))
        state = await tenant.poll_run("r1")
        assert state.output_text is not None
        return state.output_text, state.annotations
    finally:
        await engine.close()


async def test_an_agent_with_file_search_quotes_and_cites_its_passages(tmp_path: Path) -> None:
    knowledge = [Passage("file_a-00000", "Refunds take 45 days.", "policy.md", "file_a", 1.0)]
    text, annotations = await run_answer(tmp_path, SEARCHING, knowledge)
    assert "Refunds take 45 days." in text
    [note] = annotations
    assert note["file_citation"] == {
        "file_id": "file_a",
        "document_id": "file_a-00000",
        "quote": "Refunds take 45 days.",
    }


async def test_an_agent_with_file_search_and_nothing_found_says_so(tmp_path: Path) -> None:
    text, annotations = await run_answer(tmp_path, SEARCHING, [])
    assert "found nothing" in text
    assert annotations == []


async def test_an_agent_without_file_search_cites_nothing(tmp_path: Path) -> None:
    knowledge = [Passage("d", "Refunds take 45 days.")]
    text, annotations = await run_answer(tmp_path, AGENT, knowledge)
    assert annotations == [] and "45 days" not in text
