"""No lost updates: in-place list changes that can be atomic are sent as ``$push``/``$pullAll``.

A list changed only by appends is sent as ``$push`` with ``$each``, one changed only by removing
every occurrence of some values as ``$pullAll``; anything order-dependent (an insert in the
middle, a reorder, a replaced item, appends mixed with removals) falls back to ``$set`` of the
whole list. Each path appears once in an update, and the document's stored state (its raw SON)
stays exactly what the server holds: proven on the wire, in the database, and by a save that
sends nothing afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiomotorengine import (
    BatchQuery,
    Database,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    ListField,
    StringField,
    get_connection,
)
from aiomotorengine.testing import CommandRecorder


class Entry(EmbeddedDocument):
    text = StringField()
    votes = IntField(default=0)


class Shelf(EmbeddedDocument):
    labels = ListField(StringField())


class Board(Document):
    __collection__ = "boards"
    title = StringField()
    tags = ListField(StringField(), db_field="t")
    scores = ListField(IntField())
    entries = ListField(EmbeddedDocumentField(Entry))
    shelf = EmbeddedDocumentField(Shelf)


@pytest.fixture
def wire(monitored: tuple[Database, CommandRecorder]) -> CommandRecorder:
    return monitored[1]


def update_of(wire: CommandRecorder) -> dict[str, Any]:
    """The update document of the one update statement sent since the last clear()."""
    statements = [s for command in wire.named("update") for s in command["updates"]]
    assert len(statements) == 1, wire.commands
    return statements[0]["u"]  # type: ignore[no-any-return]


async def stored(board: Board) -> dict[str, Any]:
    found = await get_connection().collection("boards").find_one({"_id": board._id})
    assert found is not None
    return found


async def saved_board(**values: Any) -> Board:
    board = Board(title="b", tags=["a", "b"], scores=[1, 2, 2, 3], **values)
    await board.save()
    loaded = await Board.objects.get(board._id)
    assert loaded is not None
    return loaded


async def assert_in_sync(board: Board, wire: CommandRecorder) -> None:
    """The stored document equals the local one, and the local raw state is exact: saving
    again sends nothing."""
    assert await stored(board) == board.to_son()
    assert board._state.raw == await stored(board)
    wire.clear()
    await board.save()
    assert wire.writes() == []


async def test_appends_are_one_push_with_each(wire: CommandRecorder) -> None:
    board = await saved_board()
    board.tags.append("c")
    board.tags.extend(["d", "e"])
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$push": {"t": {"$each": ["c", "d", "e"]}}}
    assert (await stored(board))["t"] == ["a", "b", "c", "d", "e"]
    await assert_in_sync(board, wire)
    board.tags.append("f")  # the raw state was brought up to date: only the new item goes
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$push": {"t": {"$each": ["f"]}}}


async def test_removals_are_one_pull_all(wire: CommandRecorder) -> None:
    board = await saved_board()
    board.scores.remove(2)
    board.scores.remove(2)  # every occurrence of 2
    board.scores.remove(3)
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$pullAll": {"scores": [2, 3]}}
    assert (await stored(board))["scores"] == [1]
    await assert_in_sync(board, wire)
    board.scores.clear()
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$pullAll": {"scores": [1]}}
    await assert_in_sync(board, wire)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s.remove(2), [1, 2, 3]),  # one of two copies: $pullAll would take both
        (lambda s: s.insert(1, 9), [1, 9, 2, 2, 3]),
        (lambda s: s.sort(reverse=True), [3, 2, 2, 1]),
        (lambda s: s.__setitem__(0, 7), [7, 2, 2, 3]),
        (lambda s: (s.__setitem__(0, 7), s.append(8)), [7, 2, 2, 3, 8]),
        (lambda s: (s.remove(1), s.append(8)), [2, 2, 3, 8]),
    ],
    ids=["remove-one-copy", "insert", "sort", "replace", "replace-and-append", "pull-and-push"],
)
async def test_order_dependent_edits_set_the_whole_list(
    wire: CommandRecorder, edit: Any, expected: list[int]
) -> None:
    board = await saved_board()
    edit(board.scores)
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$set": {"scores": expected}}
    await assert_in_sync(board, wire)


async def test_several_lists_and_fields_in_one_update_each_path_once(
    wire: CommandRecorder,
) -> None:
    board = await saved_board(shelf=Shelf(labels=["x"]))
    board.title = "new"
    board.tags.append("c")
    board.scores.remove(1)
    board.shelf.labels.append("y")  # inside an embedded document: a dotted path
    wire.clear()
    await board.save()
    assert update_of(wire) == {
        "$set": {"title": "new"},
        "$push": {"t": {"$each": ["c"]}, "shelf.labels": {"$each": ["y"]}},
        "$pullAll": {"scores": [1]},
    }
    await assert_in_sync(board, wire)


async def test_appended_embedded_documents_are_pushed_and_linked(wire: CommandRecorder) -> None:
    board = await saved_board(entries=[Entry(text="one")])
    board.entries.append(Entry(text="two", votes=2))
    board.entries.append({"text": "three"})  # type: ignore[arg-type]
    wire.clear()
    await board.save()
    assert update_of(wire) == {
        "$push": {
            "entries": {"$each": [{"text": "two", "votes": 2}, {"text": "three", "votes": 0}]}
        }
    }
    await assert_in_sync(board, wire)
    board.entries[2].votes = 5  # a pushed item changed in place: a replaced item
    wire.clear()
    await board.save()
    assert update_of(wire)["$set"]["entries"][2] == {"text": "three", "votes": 5}
    removed = board.entries.pop(0)
    assert removed.text == "one"
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$pullAll": {"entries": [{"text": "one", "votes": 0}]}}
    await assert_in_sync(board, wire)


async def test_undeclared_list_key_appends_are_pushed(wire: CommandRecorder) -> None:
    collection = get_connection().collection("boards")
    inserted = await collection.insert_one({"title": "legacy", "history": [1]})
    board = await Board.objects.get(inserted.inserted_id)
    assert board is not None
    board.history.append(2)
    wire.clear()
    await board.save()
    assert update_of(wire) == {"$push": {"history": {"$each": [2]}}}
    await assert_in_sync(board, wire)


async def test_fifty_concurrent_appends_to_one_document_keep_fifty_items(db: Database) -> None:
    board = Board(title="busy", tags=[])
    await board.save()

    async def append(index: int) -> None:
        mine = await Board.objects.get(board._id)
        assert mine is not None
        await asyncio.sleep(0)  # let the other tasks load the same state
        mine.tags.append(f"tag-{index}")
        await mine.save()

    await asyncio.gather(*(append(index) for index in range(50)))
    found = await stored(board)
    assert sorted(found["t"]) == sorted(f"tag-{index}" for index in range(50))


async def test_concurrent_removal_and_append_both_survive(db: Database) -> None:
    board = await saved_board()
    theirs = await Board.objects.get(board._id)
    assert theirs is not None
    board.tags.remove("a")
    theirs.tags.append("c")
    await theirs.save()
    await board.save()
    assert (await stored(board))["t"] == ["b", "c"]


async def test_batched_save_pushes_too(wire: CommandRecorder) -> None:
    board = await saved_board()
    board.tags.append("c")
    wire.clear()
    async with BatchQuery() as batch:
        batch.save(board)
    (statement,) = wire.named("update")[0]["updates"]
    assert statement["u"] == {"$push": {"t": {"$each": ["c"]}}}
    await assert_in_sync(board, wire)


async def test_partly_projected_list_takes_appends_but_no_removals(wire: CommandRecorder) -> None:
    board = await saved_board(entries=[Entry(text="one", votes=1), Entry(text="two")])
    partial = await Board.objects.only("entries__text").get(board._id)
    assert partial is not None
    partial.entries.append(Entry(text="three"))
    wire.clear()
    await partial.save()
    assert update_of(wire) == {"$push": {"entries": {"$each": [{"text": "three", "votes": 0}]}}}
    partial.entries.pop(0)  # the loaded item lacks its votes: $pullAll could never match it
    wire.clear()
    with pytest.raises(InvalidDocumentError, match="loaded partially"):
        await partial.save()
    assert wire.writes() == []
    assert [entry["votes"] for entry in (await stored(board))["entries"]] == [1, 0, 0]


# Edits of a list, as (name, argument): what a program may do between a load and a save.
_EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 4)),
        st.tuples(st.just("remove_all"), st.integers(0, 4)),
        st.tuples(st.just("remove_one"), st.integers(0, 4)),
        st.tuples(st.just("insert"), st.integers(0, 4)),
        st.tuples(st.just("pop"), st.integers(0, 4)),
        st.tuples(st.just("sort"), st.just(0)),
    ),
    max_size=5,
)


def _apply(items: list[int], edits: list[tuple[str, int]]) -> None:
    for name, argument in edits:
        if name == "append":
            items.append(argument)
        elif name == "remove_all":
            items[:] = [item for item in items if item != argument]
        elif name == "remove_one" and argument in items:
            items.remove(argument)
        elif name == "insert":
            items.insert(argument, argument)
        elif name == "pop" and items:
            items.pop(argument % len(items))
        elif name == "sort":
            items.sort()


@settings(
    max_examples=40,
    deadline=2_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(start=st.lists(st.integers(0, 4), max_size=6), edits=_EDITS)
async def test_any_edit_saves_exactly_the_local_list(
    wire: CommandRecorder, start: list[int], edits: list[tuple[str, int]]
) -> None:
    board = Board(scores=start)
    await board.save()
    loaded = await Board.objects.get(board._id)
    assert loaded is not None
    _apply(loaded.scores, edits)
    wire.clear()
    await loaded.save()
    if wire.writes():
        update = update_of(wire)
        assert len({path for paths in update.values() for path in paths}) == sum(
            len(paths) for paths in update.values()
        )
    assert (await stored(loaded))["scores"] == loaded.scores
    await assert_in_sync(loaded, wire)
