"""Streaming: ``async for`` batch by batch, ``to_list(length)``, closing cursors early."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aiomotorengine import Database, Document, IntField, InvalidQueryError, StringField
from aiomotorengine.testing import CommandRecorder


class Row(Document):
    __collection__ = "rows"

    n = IntField()
    label = StringField()


COUNT = 450  # the first batch holds 101 documents: several getMore are needed


@pytest.fixture
async def rows(db: Database) -> None:
    await Row.objects.bulk_insert([Row(n=i, label=f"r{i}") for i in range(COUNT)])


async def wait_for(commands: CommandRecorder, name: str) -> list[dict[str, Any]]:
    """The ``name`` commands seen after a few event-loop turns (no wall-clock wait: the
    driver's own background cleanup of abandoned cursors, about once a second, must not be
    what the test observes)."""
    for _ in range(200):
        seen = commands.named(name)
        if seen:
            return seen
        await asyncio.sleep(0)
    return commands.named(name)


@pytest.mark.usefixtures("rows")
async def test_async_for_iterates_batch_by_batch(commands: CommandRecorder) -> None:
    queryset = Row.objects.filter(n__gte=10).order_by("n").using("monitored")
    seen: list[int] = []
    async for row in queryset:
        if not seen:
            # the first document arrived: one find, nothing more fetched yet
            assert len(commands.named("find")) == 1
            assert commands.named("getMore") == []
        assert isinstance(row, Row)
        seen.append(row.n or 0)
    assert seen == list(range(10, COUNT))
    assert len(commands.named("getMore")) >= 1
    assert commands.named("killCursors") == []  # exhausted: nothing left to kill


@pytest.mark.usefixtures("rows")
async def test_async_for_with_projection_and_limit() -> None:
    labels = [row.label async for row in Row.objects.order_by("-n").limit(3).only("label")]
    assert labels == [f"r{COUNT - 1}", f"r{COUNT - 2}", f"r{COUNT - 3}"]


@pytest.mark.usefixtures("rows")
async def test_leaving_async_for_early_closes_the_server_cursor(commands: CommandRecorder) -> None:
    async for row in Row.objects.order_by("n").using("monitored"):
        if row.n == 5:
            break
    assert len(commands.named("find")) == 1
    kills = await wait_for(commands, "killCursors")
    assert len(kills) == 1
    assert kills[0]["killCursors"] == "rows"
    assert len(kills[0]["cursors"]) == 1


@pytest.mark.usefixtures("rows")
async def test_an_error_in_the_loop_body_closes_the_server_cursor(
    commands: CommandRecorder,
) -> None:
    with pytest.raises(RuntimeError, match="stop"):
        async for _row in Row.objects.using("monitored"):
            raise RuntimeError("stop")
    assert len(await wait_for(commands, "killCursors")) == 1


@pytest.mark.usefixtures("rows")
async def test_to_list_with_a_length(commands: CommandRecorder) -> None:
    queryset = Row.objects.order_by("n").using("monitored")
    first = await queryset.to_list(5)
    assert [row.n for row in first] == [0, 1, 2, 3, 4]
    many = await queryset.to_list(150)  # more than a first batch
    assert [row.n for row in many] == list(range(150))
    assert len(await queryset.to_list()) == COUNT
    assert len(await queryset.to_list(None)) == COUNT
    assert await queryset.to_list(0) == []
    # the queryset's own limit still applies
    assert len(await Row.objects.limit(3).to_list(10)) == 3
    assert len(await Row.objects.limit(30).to_list(10)) == 10
    # the server is asked for no more than needed, so no cursor is left open behind
    finds = commands.named("find")
    assert [find.get("limit") for find in finds[:3]] == [5, 150, None]
    assert commands.named("killCursors") == []


async def test_to_list_rejects_negative_lengths(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match=r"to_list\(\) takes a non-negative int"):
        await Row.objects.to_list(-1)


@pytest.mark.usefixtures("rows")
async def test_streaming_keeps_the_queryset_reusable() -> None:
    queryset = Row.objects.filter(n__lt=200)
    first = [row.n async for row in queryset]
    second = [row.n async for row in queryset]
    assert len(first) == len(second) == 200
    assert await queryset.count() == 200
