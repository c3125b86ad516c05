"""``BatchQuery``: writes queued, validated up front, sent at the end of the block as one ordered
``bulk_write`` per collection on the batch's connection, optionally in a transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BatchQuery,
    ConnectionError,
    Database,
    Document,
    DocumentDeletedError,
    IntField,
    InvalidDocumentError,
    StringField,
    UniqueKeyViolationError,
    connect,
    switch_connection,
)
from aiomotorengine.testing import CommandRecorder

# The write commands a batch sends, and the key of their statements.
STATEMENTS = {"insert": "documents", "update": "updates", "delete": "deletes"}


class Car(Document):
    __collection__ = "cars"
    manufacturer = StringField(required=True)
    model = StringField()
    year = IntField()


class Owner(Document):
    __collection__ = "owners"
    name = StringField(required=True, unique=True)


class Archived(Document):
    __collection__ = "archived_cars"
    __alias__ = "other"
    manufacturer = StringField()


def sent_writes(recorder: CommandRecorder) -> list[tuple[str, str, int]]:
    """(command, collection, number of statements) of every insert, update and delete sent."""
    return [
        (name, command[name], len(command[STATEMENTS[name]]))
        for name, command in recorder.commands
        if name in STATEMENTS
    ]


class Setup:
    def __init__(self, default: Database, other: Database, recorder: CommandRecorder) -> None:
        self.default = default
        self.other = other
        self.recorder = recorder

    async def stored(self, handle: Database, collection: str) -> list[dict[str, Any]]:
        return await handle[collection].find({}, sort=[("_id", 1)]).to_list(None)


@pytest.fixture
async def setup(
    monitored: tuple[Database, CommandRecorder], mongodb_uri: str
) -> AsyncIterator[Setup]:
    default, recorder = monitored
    other = connect(f"{default.name}_other", alias="other", host=mongodb_uri)
    await default.owners.create_index("name", unique=True)
    recorder.clear()
    try:
        yield Setup(default, other, recorder)
    finally:
        await other.client.drop_database(other.name)


async def test_a_document_saved_again_to_another_database_is_written_to_both(
    setup: Setup,
) -> None:
    car = await Car.objects.create(manufacturer="honda", year=1)
    archive = f"{setup.default.name}_archive"
    try:
        async with BatchQuery() as batch:
            car.year = 2
            batch.save(car)  # an update where it lives
            car.using(db=archive)
            car.year = 3
            batch.save(car)  # a copy of the whole document into the archive
        assert [d["year"] for d in await setup.stored(setup.default, "cars")] == [2]
        copied = await setup.default.client[archive].cars.find_one({}, {"_id": 0})
        assert copied == {"manufacturer": "honda", "year": 3}
        car.year = 4
        await car.save()  # it lives in the archive now
        assert (await setup.default.client[archive].cars.find_one())["year"] == 4  # type: ignore[index]
        assert [d["year"] for d in await setup.stored(setup.default, "cars")] == [2]
    finally:
        await setup.default.client.drop_database(archive)


async def test_writes_are_queued_and_sent_at_the_end(setup: Setup) -> None:
    async with BatchQuery() as batch:
        honda = batch.create(Car, manufacturer="honda", model="civic", year=2010)
        assert isinstance(honda._id, ObjectId)  # assigned up front
        tesla = batch.save(Car(manufacturer="tesla"))
        owner = batch.create(Owner, name="ada")
        assert await setup.stored(setup.default, "cars") == []  # nothing sent yet
        assert sent_writes(setup.recorder) == []
    stored = await setup.stored(setup.default, "cars")
    assert {(d["_id"], d["manufacturer"]) for d in stored} == {
        (honda._id, "honda"),
        (tesla._id, "tesla"),
    }
    assert [d["name"] for d in await setup.stored(setup.default, "owners")] == ["ada"]
    # One ordered bulk_write per collection: here one insert command each.
    assert sent_writes(setup.recorder) == [("insert", "cars", 2), ("insert", "owners", 1)]
    assert all(c.get("ordered", True) for c in setup.recorder.named("insert"))
    # The documents are saved: a later change is a delta update.
    assert honda._state.persisted and owner._state.persisted
    honda.year = 2011
    await honda.save()
    assert sent_writes(setup.recorder)[-1] == ("update", "cars", 1)


async def test_save_of_loaded_documents_sends_only_changes(setup: Setup) -> None:
    car = await Car.objects.create(manufacturer="honda", model="civic", year=2010)
    loaded = await Car.objects.get(car._id)
    assert loaded is not None
    setup.recorder.clear()
    async with BatchQuery() as batch:
        loaded.year = 2012
        loaded.model = None
        batch.save(loaded)
        unchanged = await Car.objects.get(car._id)
        assert unchanged is not None
        batch.save(unchanged)  # unchanged: nothing queued
    updates = setup.recorder.named("update")
    assert len(updates) == 1
    [statement] = updates[0]["updates"]
    assert statement["q"] == {"_id": car._id}
    assert statement["u"] == {"$set": {"year": 2012}, "$unset": {"model": ""}}
    stored = await setup.stored(setup.default, "cars")
    assert stored == [{"_id": car._id, "manufacturer": "honda", "year": 2012}]


async def test_order_is_kept_and_a_resaved_document_sends_its_latest_state(setup: Setup) -> None:
    kept = await Car.objects.create(manufacturer="kept")
    async with BatchQuery() as batch:
        gone = batch.create(Car, manufacturer="temporary")
        batch.delete(gone)  # after its insert, in order
        batch.delete(kept)
        late = batch.create(Car, manufacturer="draft")
        late.manufacturer = "final"
        batch.save(late)  # still queued: the insert is replaced, not repeated
        batch.delete(Car(manufacturer="never saved"))  # no _id: nothing to delete
    assert [d["manufacturer"] for d in await setup.stored(setup.default, "cars")] == ["final"]
    assert sent_writes(setup.recorder)[-3:] == [
        ("insert", "cars", 1),
        ("delete", "cars", 2),
        ("insert", "cars", 1),
    ]


async def test_nothing_is_sent_when_the_block_raises(setup: Setup) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with BatchQuery() as batch:
            car = batch.create(Car, manufacturer="honda")
            raise RuntimeError("boom")
    assert await setup.stored(setup.default, "cars") == []
    assert sent_writes(setup.recorder) == []
    assert not car._state.persisted


async def test_invalid_documents_fail_when_queued_and_nothing_is_written(setup: Setup) -> None:
    with pytest.raises(InvalidDocumentError, match=r"Car\.manufacturer is required"):
        async with BatchQuery() as batch:
            batch.create(Car, manufacturer="honda")
            batch.create(Car, model="no manufacturer")
    assert await setup.stored(setup.default, "cars") == []
    with pytest.raises(TypeError, match="Document class"):
        BatchQuery().create(dict)  # type: ignore[type-var]


async def test_duplicate_keys_become_unique_key_violations(setup: Setup) -> None:
    await Owner.objects.create(name="ada")
    with pytest.raises(UniqueKeyViolationError, match="Owner") as caught:
        async with BatchQuery() as batch:
            first = batch.create(Owner, name="grace")
            batch.create(Owner, name="ada")
            batch.create(Owner, name="never sent")  # ordered: stops at the failure
    assert caught.value.fields == ("name",)
    names = sorted(d["name"] for d in await setup.stored(setup.default, "owners"))
    assert names == ["ada", "grace"]
    assert first._state.persisted  # it was applied before the failure


async def test_transaction_is_all_or_nothing(setup: Setup) -> None:
    await Owner.objects.create(name="ada")
    setup.recorder.clear()
    with pytest.raises(UniqueKeyViolationError):
        async with BatchQuery(transaction=True) as batch:
            car = batch.create(Car, manufacturer="honda")
            batch.create(Owner, name="grace")
            batch.create(Owner, name="ada")
    assert await setup.stored(setup.default, "cars") == []
    assert [d["name"] for d in await setup.stored(setup.default, "owners")] == ["ada"]
    assert not car._state.persisted
    assert "abortTransaction" in setup.recorder.names()

    setup.recorder.clear()
    async with BatchQuery(transaction=True) as batch:
        batch.create(Car, manufacturer="tesla")
        batch.create(Owner, name="grace")
    assert [d["manufacturer"] for d in await setup.stored(setup.default, "cars")] == ["tesla"]
    writes = [c for name, c in setup.recorder.commands if name in STATEMENTS]
    assert writes and all("txnNumber" in c for c in writes)
    assert len({c["lsid"]["id"] for c in writes}) == 1  # one session
    assert "commitTransaction" in setup.recorder.names()


async def test_without_transaction_earlier_collections_stay_written(setup: Setup) -> None:
    await Owner.objects.create(name="ada")
    with pytest.raises(UniqueKeyViolationError):
        async with BatchQuery() as batch:
            car = batch.create(Car, manufacturer="honda")
            batch.create(Owner, name="ada")
    assert [d["manufacturer"] for d in await setup.stored(setup.default, "cars")] == ["honda"]
    assert car._state.persisted


async def test_a_saved_document_deleted_meanwhile_is_reported(setup: Setup) -> None:
    car = await Car.objects.create(manufacturer="honda")
    await setup.default.cars.delete_one({"_id": car._id})
    car.year = 2020
    with pytest.raises(DocumentDeletedError, match="Car: 1 of 1"):
        async with BatchQuery(transaction=True) as batch:
            batch.create(Car, manufacturer="rolled back")
            batch.save(car)
    assert await setup.stored(setup.default, "cars") == []


async def test_batch_runs_on_its_connection(setup: Setup) -> None:
    async with BatchQuery(connection="other") as batch:
        assert batch.alias == "other"
        car = batch.create(Car, manufacturer="honda")
        archived = batch.create(Archived, manufacturer="ford")
    assert [d["_id"] for d in await setup.stored(setup.other, "cars")] == [car._id]
    assert [d["_id"] for d in await setup.stored(setup.other, "archived_cars")] == [archived._id]
    assert await setup.stored(setup.default, "cars") == []
    assert sent_writes(setup.recorder) == []  # the default connection's client sent nothing
    # Saved on "other", the document now belongs there.
    car.year = 1999
    await car.save()
    assert (await setup.stored(setup.other, "cars"))[0]["year"] == 1999


async def test_documents_of_another_connection_are_refused(setup: Setup) -> None:
    on_default = await Car.objects.create(manufacturer="honda")
    async with BatchQuery(connection="other") as batch:
        with pytest.raises(ConnectionError, match=r"Car.*'default'.*batch runs on 'other'"):
            batch.save(on_default)
        with pytest.raises(ConnectionError, match=r"'default'.*'other'"):
            batch.delete(on_default)
        with pytest.raises(ConnectionError, match=r"Car\.objects.*'default'"):
            Car.objects.using("default").batch(batch)
    async with BatchQuery() as default_batch:
        with pytest.raises(ConnectionError, match=r"Archived.*'other'.*'default'"):
            default_batch.create(Archived, manufacturer="x")
    assert await setup.stored(setup.other, "cars") == []
    with pytest.raises(ConnectionError, match="'nowhere'"):
        async with BatchQuery(connection="nowhere"):
            pass


async def test_batch_follows_switch_connection(setup: Setup) -> None:
    with switch_connection("other"):
        async with BatchQuery() as batch:
            car = batch.create(Car, manufacturer="switched")
    assert [d["_id"] for d in await setup.stored(setup.other, "cars")] == [car._id]


async def test_queryset_batch_create_update_and_delete(setup: Setup) -> None:
    await Car.objects.create(manufacturer="old", year=1980)
    await Car.objects.create(manufacturer="older", year=1970)
    async with BatchQuery() as batch:
        new = Car.objects.batch(batch).create(manufacturer="honda", year=2010)
        Car.objects.filter(year__lt=1975).batch(batch).delete()
        Car.objects.filter(year__lt=2000).batch(batch).update(inc__year=1)
        assert len(await setup.stored(setup.default, "cars")) == 2
    stored = await setup.stored(setup.default, "cars")
    assert [(d["manufacturer"], d["year"]) for d in stored] == [("old", 1981), ("honda", 2010)]
    assert new._state.persisted
    assert sent_writes(setup.recorder)[-3:] == [
        ("insert", "cars", 1),
        ("delete", "cars", 1),
        ("update", "cars", 1),
    ]


async def test_batched_writes_to_every_match_refuse_skip_and_limit(setup: Setup) -> None:
    from aiomotorengine import InvalidQueryError

    await Car.objects.create(manufacturer="old", year=1980)
    async with BatchQuery() as batch:
        with pytest.raises(InvalidQueryError, match="limit"):
            Car.objects.limit(1).batch(batch).update(inc__year=1)
        with pytest.raises(InvalidQueryError, match="skip"):
            Car.objects.skip(1).batch(batch).delete()
    stored = await setup.stored(setup.default, "cars")
    assert [(d["manufacturer"], d["year"]) for d in stored] == [("old", 1980)]


async def test_execute_without_a_block(setup: Setup) -> None:
    batch = BatchQuery()
    batch.create(Car, manufacturer="honda")
    assert "writes=1" in repr(batch)
    await batch.execute()
    assert len(await setup.stored(setup.default, "cars")) == 1
    await batch.execute()  # the queue was emptied: nothing sent twice
    assert len(await setup.stored(setup.default, "cars")) == 1
