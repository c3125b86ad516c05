"""Guard rails on building filters: Python function calls counted, never timed.

Two shapes, the benchmark's (issue 14), each compiled for FILTERS different values after one
warm-up (the model's per-keyword compilation is then done): a ``Q`` tree, and a filter on a
fresh ``Model.objects`` (building the queryset included). A regression (a helper call per
node, per keyword or per queryset sneaking back in) fails here deterministically. The work is
real: each result is compared with the dict literal it stands for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

from aiomotorengine import Q

# The benchmark's own model: the guard rails watch what `make bench` measures.
from bench.models import User

FILTERS = 1_000
NAMES = [f"user {index:05d}" for index in range(FILTERS)]

# Measured when set (Python calls per filter, absolute, no baseline): the Q tree 16 (34 before
# keywords compiled once per model and trees in one pass: Q() x3, & and |, to_query, two
# nodes, a keyword compilation per leaf, to_query per value); the queryset filter 7 (16 before:
# objects, QuerySet(), filter(), one keyword compilation, to_query per value, query). Bounds:
# ~1.5x those.
MAX_CALLS_Q_TREE = 24
MAX_CALLS_QUERYSET_FILTER = 10.5

T = TypeVar("T")


def count_calls(operation: Callable[[], T]) -> tuple[int, T]:
    """Python function calls made while running ``operation()``."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = operation()
    finally:
        sys.setprofile(previous)
    return calls, result


def test_q_tree_compilation_call_bound() -> None:
    def compile_all() -> list[dict[str, Any]]:
        return [
            (Q(age__gt=20) & (Q(name=name) | Q(tags__in=["tag1", "tag2"]))).to_query(User)
            for name in NAMES
        ]

    expected = [
        {"age": {"$gt": 20}, "$or": [{"name": name}, {"tags": {"$in": ["tag1", "tag2"]}}]}
        for name in NAMES
    ]
    assert compile_all() == expected  # warms the model's compiled keywords
    calls, compiled = count_calls(compile_all)
    assert compiled == expected
    per_filter = calls / FILTERS
    assert per_filter <= MAX_CALLS_Q_TREE, f"{per_filter:.2f} calls per Q tree"


def test_queryset_filter_call_bound() -> None:
    def compile_all() -> list[dict[str, Any]]:
        return [User.objects.filter(age__gt=20, name=name).query for name in NAMES]

    expected = [{"age": {"$gt": 20}, "name": name} for name in NAMES]
    assert compile_all() == expected  # warms the model's compiled keywords
    calls, compiled = count_calls(compile_all)
    assert compiled == expected
    per_filter = calls / FILTERS
    assert per_filter <= MAX_CALLS_QUERYSET_FILTER, f"{per_filter:.2f} calls per filter"
