"""Retained memory of hydrated documents against raw dicts: measured, not timed.

The benchmark's users are encoded to BSON once and decoded with ``bson.decode_all``, as the
driver returns them; tracemalloc then counts the bytes still allocated (after ``gc.collect()``,
with every object still referenced) at each stage:

1. the raw dicts alone, and again after reading every key of every dict;
2. the same dicts plus ``User.hydrate(dicts)``: the documents' own extra and the total;
3. after reading every declared field of every document (conversions are cached on it).

Peaks are not measured: only what stays allocated while the objects live. No server is needed.
"""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass
from typing import Any

import bson

from bench import data
from bench.models import User

DOCUMENTS = data.USERS  # 10,000
_WARMUP_DOCUMENTS = 100


@dataclass(frozen=True)
class MemoryResult:
    """Bytes retained by ``documents`` user documents at each stage (totals, not per document).

    ``raw``/``raw_read``: the decoded dicts (and their list) before/after reading every key;
    ``hydrated``/``hydrated_read``: those dicts plus the hydrated documents (and their list)
    before/after reading every field.
    """

    documents: int
    raw: int
    raw_read: int
    hydrated: int
    hydrated_read: int

    @property
    def documents_extra(self) -> int:
        """What the documents add to the dicts they wrap, as hydrated."""
        return self.hydrated - self.raw

    @property
    def documents_extra_read(self) -> int:
        """What the documents add to the dicts they wrap, after every field was read."""
        return self.hydrated_read - self.raw_read

    def per_document(self, size: int) -> float:
        return size / self.documents

    @property
    def ratio(self) -> float:
        """Documents and dicts over the dicts alone, as hydrated."""
        return self.hydrated / self.raw

    @property
    def ratio_read(self) -> float:
        """Documents and dicts over the dicts alone, both after every field was read."""
        return self.hydrated_read / self.raw_read


def encoded_users(count: int = DOCUMENTS) -> bytes:
    """The benchmark's users as the concatenated BSON a reply batch carries."""
    return b"".join(bson.encode(data.user_son(index)) for index in range(count))


def _read_dicts(dicts: list[dict[str, Any]]) -> None:
    for son in dicts:
        for key in son:
            son[key]


def _read_documents(documents: list[User]) -> None:
    names = list(User._fields)
    for document in documents:
        for name in names:
            getattr(document, name)


def _current() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def measure(count: int = DOCUMENTS) -> MemoryResult:
    """Decode, hydrate and read ``count`` users under tracemalloc; deterministic for a given
    interpreter and library versions."""
    encoded = encoded_users(count)
    # Once untraced on a few documents first: lazily built caches (of the model, its fields,
    # the BSON codec) belong to the process, not to the documents measured.
    warm = User.hydrate(bson.decode_all(encoded_users(_WARMUP_DOCUMENTS)))
    _read_documents(warm)
    del warm

    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        baseline = _current()
        dicts: list[dict[str, Any]] = bson.decode_all(encoded)
        raw = _current() - baseline
        _read_dicts(dicts)
        raw_read = _current() - baseline
        documents = User.hydrate(dicts)
        hydrated = _current() - baseline
        _read_documents(documents)
        hydrated_read = _current() - baseline
        if len(documents) != count or len(dicts) != count:
            raise AssertionError(f"memory: {len(documents)} documents of {count}")
        del documents, dicts
    finally:
        if not started:
            tracemalloc.stop()
    return MemoryResult(count, raw, raw_read, hydrated, hydrated_read)


def table(result: MemoryResult) -> str:
    """The Markdown table: bytes per document at each stage, and the ratio to raw dicts."""

    def per(size: int) -> str:
        return f"{result.per_document(size):,.0f}"

    rows = [
        [
            "stage",
            "raw dicts: B/doc",
            "documents: extra B/doc",
            "documents + dicts: B/doc",
            "ratio",
        ],
        ["---"] * 5,
        [
            "as loaded (hydrated)",
            per(result.raw),
            per(result.documents_extra),
            per(result.hydrated),
            f"{result.ratio:.2f}x",
        ],
        [
            "after reading every field",
            per(result.raw_read),
            per(result.documents_extra_read),
            per(result.hydrated_read),
            f"{result.ratio_read:.2f}x",
        ],
    ]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)
