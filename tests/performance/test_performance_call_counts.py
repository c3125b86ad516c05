"""Guard rails on the hot paths: Python function calls counted, never timed.

Each test counts the Python-level function calls (``sys.setprofile`` "call" events) of an
aiomotorengine operation and of the same work done with raw PyMongo in the same test, and
bounds the difference per document. A regression (a per-field or per-document Python call
sneaking into hydration, conversion or filter compilation) fails here deterministically.
Bounds are ~1.5x what was measured when they were set; see each constant.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any, TypeVar

from aiomotorengine import (
    Database,
    Q,
)

# The benchmark's own model and documents: the guard rails watch what `make bench` measures.
from bench.data import user_values
from bench.models import Address, User

DOCUMENTS = 1_000

# Measured when set (calls per document, aiomotorengine minus raw PyMongo): hydration alone
# 0.02 (no call per document); hydration + reading one string attribute 1.0; reading all 8
# fields (the embedded one back to SON) 24; building + bulk-inserting 21 (35 before models
# compiled their __init__/to_son/_validate); building alone 5 (absolute: the two compiled
# __init__, and check() of the list and of the embedded document, which validates itself).
# Filters (absolute, calls per filter): the Q tree 19 (34 before keywords compiled once per
# model and trees in one pass: Q() x3, & and | with their one _combine, to_query, two nodes,
# merge_and, a keyword compilation per leaf, to_query per value); the queryset filter 7 (16
# before: objects, QuerySet(), filter(), one keyword compilation, to_query per value, query).
# Bounds: ~1.5x those (building: 6, so that one more call per document fails).
MAX_CALLS_HYDRATE = 0.5
MAX_CALLS_HYDRATE_READ_ONE = 1.5
MAX_CALLS_READ_ALL_FIELDS = 32
MAX_CALLS_BULK_INSERT = 30
MAX_CALLS_BUILD = 6
MAX_CALLS_Q_TREE = 24
MAX_CALLS_QUERYSET_FILTER = 10.5

T = TypeVar("T")


async def count_calls(operation: Callable[[], Awaitable[T]]) -> tuple[int, T]:
    """Python function calls made while awaiting ``operation()`` (this thread: the loop's)."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = await operation()
    finally:
        sys.setprofile(previous)
    return calls, result


async def per_document_overhead(
    raw: Callable[[], Awaitable[Any]], odm: Callable[[], Awaitable[Any]]
) -> float:
    """(aiomotorengine calls - raw PyMongo calls) / DOCUMENTS, after one warm-up of each."""
    raw_result = await raw()
    odm_result = await odm()
    assert raw_result == odm_result  # the same work, or the comparison means nothing
    raw_calls, _ = await count_calls(raw)
    odm_calls, _ = await count_calls(odm)
    return (odm_calls - raw_calls) / DOCUMENTS


async def insert_users(db: Database) -> None:
    await db[User.__collection__].insert_many([user_values(index) for index in range(DOCUMENTS)])


async def test_hydration_makes_no_python_call_per_document(db: Database) -> None:
    await insert_users(db)
    collection = db[User.__collection__]

    async def raw() -> int:
        return len(await collection.find({}).to_list(None))

    async def odm() -> int:
        return len(await User.objects.find_all())

    overhead = await per_document_overhead(raw, odm)
    assert overhead <= MAX_CALLS_HYDRATE, f"{overhead:.2f} calls per hydrated document"


async def test_hydration_and_reading_one_attribute_call_bound(db: Database) -> None:
    await insert_users(db)
    collection = db[User.__collection__]

    async def raw() -> list[Any]:
        return [document["name"] for document in await collection.find({}).to_list(None)]

    async def odm() -> list[Any]:
        return [user.name for user in await User.objects.find_all()]

    overhead = await per_document_overhead(raw, odm)
    assert overhead <= MAX_CALLS_HYDRATE_READ_ONE, f"{overhead:.2f} calls per document"


async def test_reading_every_field_call_bound(db: Database) -> None:
    await insert_users(db)
    collection = db[User.__collection__]
    names = [name for name in User._fields if name != "_id"]

    async def raw() -> list[Any]:
        return [
            [document[name] for name in names]
            for document in await collection.find({}).to_list(None)
        ]

    async def odm() -> list[Any]:
        return [
            [
                getattr(user, name).to_son() if name == "address" else getattr(user, name)
                for name in names
            ]
            for user in await User.objects.find_all()
        ]

    overhead = await per_document_overhead(raw, odm)
    assert overhead <= MAX_CALLS_READ_ALL_FIELDS, f"{overhead:.2f} calls per document"


async def test_building_and_bulk_inserting_call_bound(db: Database) -> None:
    values = [user_values(index) for index in range(DOCUMENTS)]
    collection = db[User.__collection__]

    async def raw() -> int:
        documents = [
            {**value, "tags": list(value["tags"]), "address": dict(value["address"])}
            for value in values
        ]
        return len((await collection.insert_many(documents)).inserted_ids)

    async def odm() -> int:
        users = [User(**{**value, "address": Address(**value["address"])}) for value in values]
        return len(await User.objects.bulk_insert(users))

    overhead = await per_document_overhead(raw, odm)
    assert overhead <= MAX_CALLS_BULK_INSERT, f"{overhead:.2f} calls per document"
    assert await collection.count_documents({}) == 4 * DOCUMENTS


async def test_building_documents_call_bound() -> None:
    """Building a document calls its compiled ``__init__`` and a ``check()`` only for values
    the inline tests cannot accept as they are (here the list and the embedded document)."""
    values = [user_values(index) for index in range(DOCUMENTS)]

    async def build() -> list[User]:
        return [User(**{**value, "address": Address(**value["address"])}) for value in values]

    calls, users = await count_calls(build)
    assert [user.name for user in users] == [value["name"] for value in values]
    per_document = calls / DOCUMENTS
    assert per_document <= MAX_CALLS_BUILD, f"{per_document:.2f} calls per built document"


FILTERS = 1_000
NAMES = [f"user {index:05d}" for index in range(FILTERS)]


async def test_q_tree_compilation_call_bound() -> None:
    """The benchmark's W5 filter: a ``Q`` tree, each compiled for another value."""

    async def compile_all() -> list[dict[str, Any]]:
        return [
            (Q(age__gt=20) & (Q(name=name) | Q(tags__in=["tag1", "tag2"]))).to_query(User)
            for name in NAMES
        ]

    expected = [
        {"age": {"$gt": 20}, "$or": [{"name": name}, {"tags": {"$in": ["tag1", "tag2"]}}]}
        for name in NAMES
    ]
    assert await compile_all() == expected  # warms the model's compiled keywords
    calls, compiled = await count_calls(compile_all)
    assert compiled == expected
    per_filter = calls / FILTERS
    assert per_filter <= MAX_CALLS_Q_TREE, f"{per_filter:.2f} calls per Q tree"


async def test_queryset_filter_call_bound() -> None:
    """The benchmark's W8 filter: keywords on a fresh ``Model.objects`` (building it too)."""

    async def compile_all() -> list[dict[str, Any]]:
        return [User.objects.filter(age__gt=20, name=name).query for name in NAMES]

    expected = [{"age": {"$gt": 20}, "name": name} for name in NAMES]
    assert await compile_all() == expected  # warms the model's compiled keywords
    calls, compiled = await count_calls(compile_all)
    assert compiled == expected
    per_filter = calls / FILTERS
    assert per_filter <= MAX_CALLS_QUERYSET_FILTER, f"{per_filter:.2f} calls per filter"
