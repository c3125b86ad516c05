"""Load: 1,000 concurrent tasks through one bounded pool, no error, nothing lost, memory flat.

Each round starts 1,000 tasks at once on one connection whose pool holds at most 20 sockets:
gets, saves (one appending to a list, one changing a field), ``update()`` increments and finds,
mixed. Every task must succeed; the stored counters and lists must account for every increment
and every append (concurrent appends are ``$push``es, never lost); the pool must never open
more than its 20 connections; and the memory Python holds (``tracemalloc``) must not grow from
one round to the next once the first has warmed the caches.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import monitoring

from aiomotorengine import (
    Document,
    IntField,
    ListField,
    StringField,
    connect,
    get_connection,
)
from aiomotorengine.connection import disconnect_all

TASKS = 1_000
POOL = 20
DOCUMENTS = 50
# What Python holds after a traced round is ~0.9 MB (the pool's sockets, buffers, caches);
# measured when set, the next round changed it by -8 KB to +75 KB (allocator and cache noise).
# Keeping one loaded document per appending task (250 a round) adds ~570 KB.
MAX_GROWTH_BYTES = 256 * 1024


class Counter(Document):
    __collection__ = "load_counters"
    name = StringField(required=True)
    hits = IntField(default=0)
    note = StringField()
    marks = ListField(IntField())


class PoolWatch(monitoring.ConnectionPoolListener):
    """Counts the connections a pool opens and how many are checked out at once."""

    def __init__(self) -> None:
        self.created = 0
        self.checked_out = 0
        self.most_checked_out = 0

    def connection_created(self, event: monitoring.ConnectionCreatedEvent) -> None:
        self.created += 1

    def connection_checked_out(self, event: monitoring.ConnectionCheckedOutEvent) -> None:
        self.checked_out += 1
        self.most_checked_out = max(self.most_checked_out, self.checked_out)

    def connection_checked_in(self, event: monitoring.ConnectionCheckedInEvent) -> None:
        self.checked_out -= 1

    def pool_created(self, event: monitoring.PoolCreatedEvent) -> None: ...
    def pool_ready(self, event: monitoring.PoolReadyEvent) -> None: ...
    def pool_cleared(self, event: monitoring.PoolClearedEvent) -> None: ...
    def pool_closed(self, event: monitoring.PoolClosedEvent) -> None: ...
    def connection_ready(self, event: monitoring.ConnectionReadyEvent) -> None: ...
    def connection_closed(self, event: monitoring.ConnectionClosedEvent) -> None: ...
    def connection_check_out_started(
        self, event: monitoring.ConnectionCheckOutStartedEvent
    ) -> None: ...
    def connection_check_out_failed(
        self, event: monitoring.ConnectionCheckOutFailedEvent
    ) -> None: ...


@pytest.fixture
async def pool(mongodb_uri: str, database_name: str) -> AsyncIterator[PoolWatch]:
    """The default connection with a pool of at most ``POOL`` sockets, watched."""
    watch = PoolWatch()
    handle = connect(
        database_name,
        host=mongodb_uri,
        maxPoolSize=POOL,
        serverSelectionTimeoutMS=10_000,
        event_listeners=[watch],
    )
    try:
        yield watch
    finally:
        await handle.client.drop_database(database_name)
        await disconnect_all()


async def one_task(index: int, identifiers: list[Any]) -> str:
    identifier = identifiers[index % len(identifiers)]
    kind = index % 4
    if kind == 0:  # load, append to a list, save: a $push
        counter = await Counter.objects.get(identifier)
        assert counter is not None
        counter.marks.append(index)
        await counter.save()
        return "append"
    if kind == 1:  # an atomic increment without loading
        await Counter.objects.filter(id=identifier).update(inc__hits=1)
        return "increment"
    if kind == 2:  # load, change a field, save
        counter = await Counter.objects.get(identifier)
        assert counter is not None
        counter.note = f"task {index}"
        await counter.save()
        return "save"
    found = await Counter.objects.filter(hits__gte=0).order_by("name").limit(10).find_all()
    assert len(found) == 10
    return "find"


async def one_round(identifiers: list[Any]) -> dict[str, int]:
    outcomes = await asyncio.gather(
        *(one_task(index, identifiers) for index in range(TASKS)), return_exceptions=True
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == [], f"{len(errors)} of {TASKS} tasks failed, first: {errors[0]!r}"
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[str(outcome)] = counts.get(str(outcome), 0) + 1
    return counts


def held_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def test_a_thousand_concurrent_tasks_through_one_bounded_pool(pool: PoolWatch) -> None:
    counters = await Counter.objects.bulk_insert(
        [Counter(name=f"counter-{index:03}") for index in range(DOCUMENTS)]
    )
    identifiers = [counter._id for counter in counters]
    rounds = [await one_round(identifiers)]  # warms the caches and fills the pool
    tracemalloc.start()
    try:
        rounds.append(await one_round(identifiers))
        before = held_bytes()
        rounds.append(await one_round(identifiers))
        after = held_bytes()
    finally:
        tracemalloc.stop()

    assert rounds[0] == {"append": 250, "increment": 250, "save": 250, "find": 250}
    assert pool.created <= POOL and pool.most_checked_out <= POOL
    assert after - before <= MAX_GROWTH_BYTES, (before, after)
    stored = await get_connection().collection("load_counters").find({}).to_list(None)
    assert sum(document["hits"] for document in stored) == 3 * 250
    assert sum(len(document["marks"]) for document in stored) == 3 * 250  # no append lost
