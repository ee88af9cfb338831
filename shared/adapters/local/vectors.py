"""Vectors for the embedded search index: stored as float32 bytes, compared by cosine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


def to_blob(vector: Sequence[float]) -> bytes:
    """A vector as unit-length float32 bytes (a zero vector is refused: it has no direction)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    if array.ndim != 1 or not np.isfinite(norm) or norm == 0.0:
        raise ValueError("an embedding must be a non-zero, finite, one-dimensional vector")
    return (array / norm).astype(np.float32).tobytes()


def stack(blobs: Sequence[bytes], dimensions: int) -> Matrix:
    """The stored vectors as one (n, dimensions) matrix."""
    if not blobs:
        return np.zeros((0, dimensions), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimensions)


def top_k(matrix: Matrix, query: Sequence[float], k: int) -> list[tuple[int, float]]:
    """Row indexes of the `k` rows most similar to `query` (cosine), best first, with scores."""
    if k <= 0 or matrix.shape[0] == 0:
        return []
    unit = np.frombuffer(to_blob(query), dtype=np.float32)
    if unit.shape[0] != matrix.shape[1]:
        raise ValueError("the query vector's dimensions differ from the index's")
    scores = matrix @ unit
    k = min(k, scores.shape[0])
    best = np.argpartition(-scores, k - 1)[:k]
    ordered = best[np.lexsort((best, -scores[best]))]
    return [(int(i), float(scores[i])) for i in ordered]


@dataclass(frozen=True)
class TenantVectors:
    """One tenant's vectors as of an index version: row keys and the matrix."""

    version: int
    keys: npt.NDArray[np.int64]
    matrix: Matrix
