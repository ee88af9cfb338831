"""Search: indexing throughput and query latency of the embedded index, per mode.

Builds a corpus of synthetic chunks (a Zipf-distributed vocabulary, seeded, so every run indexes
the same text) for one tenant among several, indexes it through the `TenantIndex` port, then
times queries in each mode the configuration offers: `text` (FTS5/BM25) always, `vector` and
`hybrid` with the local model (all-MiniLM-L6-v2 int8 on onnxruntime). Prints figures and writes
JSON to bench/results/. Not a test: nothing here asserts a time.

    .venv/bin/python bench/search_bench.py --chunks 10000 --queries 200
    .venv/bin/python bench/search_bench.py --chunks 10000 --no-vectors
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from shared.adapters.local.embedder import LocalEmbedder
from shared.adapters.local.search import SqliteSearchIndex
from shared.ports.search import SearchDocument, SearchMode

TOPICS = [
    "refund policy customers receive their money back within forty five days",
    "travel expenses economy class flights hotel limits per night receipts",
    "password reset account recovery login credentials security questions",
    "quarterly revenue growth region forecast margin sales pipeline",
    "onboarding checklist new employees laptop badge training schedule",
    "holiday calendar office closed public holidays leave requests",
    "incident response escalation on call pager severity postmortem",
    "data retention privacy personal information deletion requests audit",
]
FILLER = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "for",
    "on",
    "with",
    "by",
    "from",
    "at",
    "as",
    "is",
    "are",
    "was",
    "be",
    "this",
    "that",
    "it",
    "which",
    "or",
    "policy",
    "team",
    "process",
    "document",
    "section",
    "update",
    "request",
    "approval",
    "manager",
    "system",
]


def corpus(chunks: int, seed: int) -> list[SearchDocument]:
    """`chunks` passages of about 120 words, each about one topic, mixed with common words."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(FILLER))]
    documents = []
    for i in range(chunks):
        topic = TOPICS[i % len(TOPICS)].split()
        words = [
            rng.choice(topic) if rng.random() < 0.35 else rng.choices(FILLER, weights)[0]
            for _ in range(120)
        ]
        documents.append(
            SearchDocument(
                id=f"file_bench{i // 20:05d}-{i % 20:05d}",
                content=" ".join(words).capitalize() + ".",
                title=f"Document {i // 20}",
                source=f"file_bench{i // 20:05d}",
            )
        )
    return documents


QUESTIONS = [
    "how long until I get my refund",
    "hotel limit per night when travelling",
    "I forgot my password",
    "revenue forecast for the north region",
    "what does a new employee need on the first day",
    "is the office closed on public holidays",
    "who do I page during an incident",
    "how long do we keep personal data",
]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def bench(
    chunks: int, queries: int, vectors: bool, batch: int, seed: int
) -> dict[str, object]:
    documents = corpus(chunks, seed)
    with tempfile.TemporaryDirectory(prefix="tenantry-search-bench-") as folder:
        embedder = LocalEmbedder() if vectors else None
        if embedder is not None:
            await embedder.embed(["warm up the model"])  # loading is not indexing
        path = Path(folder) / "search.sqlite3"
        others = SqliteSearchIndex(path)  # other tenants' rows share the file (text only)
        for other in ("fabrikam", "northwind"):
            await others.for_tenant(other).upsert(corpus(1000, seed + 1))
        await others.close()
        index = SqliteSearchIndex(path, embedder=embedder)
        tenant = index.for_tenant("contoso")
        started = time.perf_counter()
        for start in range(0, len(documents), batch):
            await tenant.upsert(documents[start : start + batch])
            done = min(start + batch, len(documents))
            elapsed = time.perf_counter() - started
            print(f"  indexed {done}/{len(documents)} ({done / elapsed:.1f}/s)", file=sys.stderr)
        indexing_seconds = time.perf_counter() - started
        modes: list[SearchMode] = ["text", "vector", "hybrid"] if vectors else ["text"]
        latencies: dict[str, dict[str, float]] = {}
        for mode in modes:
            await tenant.search(QUESTIONS[0], mode=mode, top=10)  # first query loads caches
            samples = []
            for i in range(queries):
                began = time.perf_counter()
                hits = await tenant.search(QUESTIONS[i % len(QUESTIONS)], mode=mode, top=10)
                samples.append((time.perf_counter() - began) * 1000)
                assert hits, mode
            latencies[mode] = {
                "median_ms": round(statistics.median(samples), 2),
                "p95_ms": round(percentile(samples, 0.95), 2),
            }
        await index.close()
    return {
        "chunks": chunks,
        "other_tenants_rows": 2000,
        "embedder": "all-MiniLM-L6-v2-onnx-int8" if vectors else "none",
        "indexing_seconds": round(indexing_seconds, 2),
        "documents_per_second": round(chunks / indexing_seconds, 1),
        "queries_per_mode": queries,
        "latency": latencies,
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256, help="documents per upsert")
    parser.add_argument("--no-vectors", action="store_true", help="text mode only, no embedder")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = asyncio.run(
        bench(args.chunks, args.queries, not args.no_vectors, args.batch, args.seed)
    )
    print(
        f"indexed {result['chunks']} chunks in {result['indexing_seconds']} s: "
        f"{result['documents_per_second']} documents/s (embedder: {result['embedder']})"
    )
    for mode, figures in result["latency"].items():  # type: ignore[attr-defined]
        print(f"{mode:>6}: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    name = "search_bench.json" if not args.no_vectors else "search_bench_text.json"
    (out / name).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
