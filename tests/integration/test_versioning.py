"""Optimistic concurrency (``__versioned__ = True``): a stale copy never overwrites.

Documents of a versioned model store a version under ``_v``: 1 on insert, incremented by every
save and every ``update()``. A save names the version it loaded in its filter; a copy that
another writer saved meanwhile matches nothing and raises ``ConcurrentModificationError``
(model and id named, nothing written), in ``save()`` and in batches alike.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BatchQuery,
    ConcurrentModificationError,
    Database,
    Document,
    DocumentDeletedError,
    IntField,
    ListField,
    StringField,
    get_connection,
)
from aiomotorengine.testing import CommandRecorder


class Page(Document):
    __collection__ = "pages"
    __versioned__ = True
    title = StringField()
    views = IntField(default=0)
    tags = ListField(StringField())


class Plain(Document):
    __collection__ = "plain_pages"
    title = StringField()


@pytest.fixture
def wire(monitored: tuple[Database, CommandRecorder]) -> CommandRecorder:
    return monitored[1]


async def stored(identifier: ObjectId) -> dict[str, Any]:
    found = await get_connection().collection("pages").find_one({"_id": identifier})
    assert found is not None
    return found


async def two_copies() -> tuple[Page, Page]:
    page = Page(title="draft")
    await page.save()
    mine = await Page.objects.get(page._id)
    theirs = await Page.objects.get(page._id)
    assert mine is not None and theirs is not None
    return mine, theirs


async def test_insert_starts_the_version_and_each_save_increments_it(
    wire: CommandRecorder,
) -> None:
    page = Page(title="a")
    await page.save()
    assert (await stored(page._id))["_v"] == 1
    page.title = "b"
    wire.clear()
    await page.save()
    (statement,) = wire.named("update")[0]["updates"]
    assert statement["q"] == {"_id": page._id, "_v": 1}
    assert statement["u"] == {"$set": {"title": "b"}, "$inc": {"_v": 1}}
    assert (await stored(page._id))["_v"] == 2
    wire.clear()
    await page.save()  # nothing changed: nothing sent, no new version
    assert wire.writes() == []
    page.title = "c"
    await page.save()
    assert (await stored(page._id))["_v"] == 3
    await Plain(title="x").save()
    raw = await get_connection().collection("plain_pages").find_one({})
    assert raw is not None and "_v" not in raw  # only versioned models store one


async def test_stale_save_raises_naming_model_and_id_and_writes_nothing(
    wire: CommandRecorder,
) -> None:
    mine, theirs = await two_copies()
    theirs.title = "theirs"
    await theirs.save()
    mine.title = "mine"
    wire.clear()
    with pytest.raises(ConcurrentModificationError) as raised:
        await mine.save()
    error = raised.value
    assert (error.model, error.document_id) == ("Page", mine._id)
    assert (error.expected_version, error.stored_version) == (1, 2)
    assert "Page" in str(error) and str(mine._id) in str(error)
    assert [name for name, _ in wire.commands if name != "find"] == ["update"]
    assert (await stored(mine._id))["title"] == "theirs"
    await mine.reload()
    mine.title = "mine"
    await mine.save()
    assert (await stored(mine._id))["title"] == "mine"
    assert (await stored(mine._id))["_v"] == 3


async def test_concurrent_saves_of_one_field_never_overwrite_silently(db: Database) -> None:
    page = Page(title="start")
    await page.save()

    async def rename(index: int) -> str:
        copy = await Page.objects.get(page._id)
        assert copy is not None
        await asyncio.sleep(0)
        copy.title = f"title-{index}"
        try:
            await copy.save()
        except ConcurrentModificationError:
            return "conflict"
        return copy.title

    outcomes = await asyncio.gather(*(rename(index) for index in range(20)))
    winners = [outcome for outcome in outcomes if outcome != "conflict"]
    assert 1 <= len(winners) < 20
    # Each save that went through applied to the version it had loaded: one version each.
    found = await stored(page._id)
    assert found["title"] in winners and found["_v"] == 1 + len(winners)


async def test_deleted_document_is_reported_as_deleted_not_as_a_conflict(db: Database) -> None:
    mine, _ = await two_copies()
    await get_connection().collection("pages").delete_one({"_id": mine._id})
    mine.title = "gone"
    with pytest.raises(DocumentDeletedError):
        await mine.save()


async def test_document_stored_without_a_version_gets_one(wire: CommandRecorder) -> None:
    inserted = await get_connection().collection("pages").insert_one({"title": "legacy"})
    mine = await Page.objects.get(inserted.inserted_id)
    theirs = await Page.objects.get(inserted.inserted_id)
    assert mine is not None and theirs is not None
    mine.title = "first"
    wire.clear()
    await mine.save()
    assert wire.named("update")[0]["updates"][0]["q"] == {"_id": mine._id, "_v": None}
    assert (await stored(mine._id))["_v"] == 1
    theirs.title = "second"
    with pytest.raises(ConcurrentModificationError):
        await theirs.save()


async def test_projection_loads_the_version(db: Database) -> None:
    mine, theirs = await two_copies()
    partial = await Page.objects.only("views").get(mine._id)
    assert partial is not None
    partial.views = 5
    await partial.save()
    theirs.title = "stale"
    with pytest.raises(ConcurrentModificationError):
        await theirs.save()
    assert (await stored(mine._id))["_v"] == 2


async def test_queryset_update_makes_loaded_copies_stale(wire: CommandRecorder) -> None:
    mine, _ = await two_copies()
    wire.clear()
    await Page.objects.filter(id=mine._id).update(inc__views=1)
    assert wire.named("update")[0]["updates"][0]["u"] == {"$inc": {"views": 1, "_v": 1}}
    mine.views = 10
    with pytest.raises(ConcurrentModificationError):
        await mine.save()
    assert (await stored(mine._id))["views"] == 1


async def test_appends_of_a_stale_copy_conflict_too(db: Database) -> None:
    mine, theirs = await two_copies()
    theirs.tags.append("b")
    await theirs.save()
    mine.tags.append("a")
    with pytest.raises(ConcurrentModificationError):
        await mine.save()
    assert (await stored(mine._id))["tags"] == ["b"]


async def test_bulk_insert_starts_versions(db: Database) -> None:
    pages = await Page.objects.bulk_insert([Page(title="a"), Page(title="b")])
    for page in pages:
        assert (await stored(page._id))["_v"] == 1


@pytest.mark.parametrize("transaction", [False, True], ids=["plain", "transaction"])
async def test_batch_with_a_stale_copy_raises_and_keeps_the_others(
    db: Database, transaction: bool
) -> None:
    mine, theirs = await two_copies()
    fresh = Page(title="fresh")
    await fresh.save()
    theirs.title = "theirs"
    await theirs.save()
    mine.title = "mine"
    fresh.title = "fresher"
    with pytest.raises(ConcurrentModificationError) as raised:
        async with BatchQuery(transaction=transaction) as batch:
            batch.save(fresh)
            batch.save(mine)
    assert (raised.value.model, raised.value.document_id) == ("Page", mine._id)
    assert str(mine._id) in str(raised.value)
    assert "nothing was written" in str(raised.value)
    assert (await stored(mine._id))["title"] == "theirs"
    fresh_stored = await stored(fresh._id)  # checked before sending: nothing was sent
    assert (fresh_stored["title"], fresh_stored["_v"]) == ("fresh", 1)
    await fresh.save()  # its change is still pending, and its version still current
    assert (await stored(fresh._id))["title"] == "fresher"


async def test_batch_with_update_many_still_detects_a_stale_copy(db: Database) -> None:
    mine, theirs = await two_copies()
    theirs.title = "theirs"
    await theirs.save()
    mine.title = "mine"
    with pytest.raises(ConcurrentModificationError):
        async with BatchQuery() as batch:
            Page.objects.filter(title="nothing").batch(batch).update(inc__views=1)
            batch.save(mine)
    assert (await stored(mine._id))["title"] == "theirs"


@pytest.mark.parametrize("transaction", [False, True], ids=["plain", "transaction"])
async def test_two_copies_in_one_batch_never_both_count_as_saved(
    db: Database, transaction: bool
) -> None:
    # Both pass the check before sending; the second update then matches nothing. The bulk
    # result does not say which one: neither is taken as saved.
    first, second = await two_copies()
    first.title = "first"
    second.title = "second"
    with pytest.raises(ConcurrentModificationError) as raised:
        async with BatchQuery(transaction=transaction) as batch:
            batch.save(first)
            batch.save(second)
    assert raised.value.document_id == first._id
    found = await stored(first._id)
    if transaction:
        assert (found["title"], found["_v"]) == ("draft", 1)
    else:
        assert (found["title"], found["_v"]) == ("first", 2)
        with pytest.raises(ConcurrentModificationError):
            await first.save()  # not taken as saved: its version is the old one
