"""Declared indexes enforce themselves: the first operation on a model's collection through a
client creates them (one ``createIndexes``), with per-model and per-connection opt-outs.
``ensure_index()`` itself is covered in ``test_indexes.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect, OperationFailure

from aiomotorengine import (
    BatchQuery,
    Database,
    Document,
    ListField,
    ReferenceField,
    StringField,
    UniqueKeyViolationError,
    connect,
    disconnect,
    get_connection,
    sync_indexes,
)
from aiomotorengine.testing import CommandRecorder


class Account(Document):
    __collection__ = "auto_accounts"
    email = StringField(unique=True)
    name = StringField()


class Label(Document):
    __collection__ = "auto_labels"
    name = StringField()


class Entry(Document):
    __collection__ = "auto_entries"
    title = StringField()
    owner = ReferenceField(Account)
    labels = ListField(ReferenceField(Label))


class Legacy(Document):
    """Indexes managed elsewhere: no automatic creation, for this model and its subclasses."""

    __collection__ = "auto_legacy"
    __auto_index__ = False
    code = StringField(unique=True)


class LegacyChild(Legacy):
    __collection__ = "auto_legacy_children"


def _created(recorder: CommandRecorder) -> list[str]:
    """The collections ``createIndexes`` went to, in order."""
    return recorder.targets("createIndexes")


async def _indexes(db: Database, collection: str) -> set[str]:
    return set(await db.collection(collection).index_information())


# --- unique holds from the very first write ---------------------------------------------------
async def test_unique_holds_from_the_very_first_insert(db: Database) -> None:
    await Account.objects.create(email="ada@example.org")
    with pytest.raises(UniqueKeyViolationError) as error:
        await Account.objects.create(email="ada@example.org")
    assert error.value.model == "Account" and error.value.fields == ("email",)
    assert await db.collection("auto_accounts").count_documents({}) == 1


# --- once per client, whatever the operations ---------------------------------------------------
async def test_one_create_indexes_for_every_operation_path(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    account = await Account.objects.create(email="a@x", name="A")
    assert recorder.names()[:2] == ["createIndexes", "insert"]
    account.name = "B"
    await account.save()
    await account.reload()
    await Account.objects.get(account._id)
    await Account.objects.get(email="a@x")
    await Account.objects.find_all()
    await Account.objects.to_list(1)
    assert [item async for item in Account.objects.filter(email="a@x")] == [account]
    await Account.objects.count()
    await Account.objects.first()
    await Account.objects.exists()
    await Account.objects.distinct("email")
    await Account.objects.bulk_insert([Account(email="b@x"), Account(email="c@x")])
    await Account.objects.filter(email="b@x").update({"name": "b"})
    await Account.objects.filter(email="c@x").update_one(set__name="c")
    await Account.objects.aggregate.match(name="b").fetch()
    assert [row async for row in Account.objects.aggregate.match(name="c")]
    async with BatchQuery() as batch:
        batch.create(Account, email="d@x")
    await Account.objects.filter(email="d@x").delete()
    await account.delete()
    assert _created(recorder) == ["auto_accounts"]
    assert await _indexes(db, "auto_accounts") == {"_id_", "email_1"}


async def test_fifty_concurrent_first_saves_send_one_create_indexes(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await asyncio.gather(*(Account(email=f"{i}@x").save() for i in range(50)))
    assert recorder.names()[0] == "createIndexes"
    assert recorder.names().count("createIndexes") == 1
    assert recorder.names().count("insert") == 50
    assert await db.collection("auto_accounts").count_documents({}) == 50


async def test_a_cancelled_first_operation_leaves_the_creation_to_those_waiting(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    first = asyncio.create_task(Account.objects.count())

    async def sent() -> None:
        while "createIndexes" not in recorder.names():
            await asyncio.sleep(0)

    await asyncio.wait_for(sent(), 10)  # the first task is waiting for the server now
    second = asyncio.create_task(Account.objects.count())
    first.cancel()
    assert await second == 0
    with pytest.raises(asyncio.CancelledError):
        await first
    assert _created(recorder) == ["auto_accounts"]
    assert "email_1" in await _indexes(db, "auto_accounts")


QUERIES: dict[str, Callable[[], Awaitable[Any]]] = {
    "find_all": lambda: Account.objects.find_all(),
    "get": lambda: Account.objects.get(email="a@x"),
    "count": lambda: Account.objects.count(),
    "exists": lambda: Account.objects.exists(),
    "aggregate": lambda: Account.objects.aggregate.match(email="a@x").fetch(),
}


@pytest.mark.parametrize("query", list(QUERIES))
async def test_a_query_creates_them_too(
    monitored: tuple[Database, CommandRecorder], query: str
) -> None:
    db, recorder = monitored
    await QUERIES[query]()
    assert recorder.names()[0] == "createIndexes"
    assert _created(recorder) == ["auto_accounts"]
    assert "email_1" in await _indexes(db, "auto_accounts")


async def test_loading_references_creates_those_of_the_referenced_models(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    account_id = (await db.collection("auto_accounts").insert_one({"email": "a@x"})).inserted_id
    await db.collection("auto_entries").insert_one({"title": "t", "owner": account_id})
    recorder.clear()
    entries = await Entry.objects.find_all(lazy=False)
    assert entries[0].owner.email == "a@x"
    # Entry and Label declare none: only the referenced Account's index is created.
    assert _created(recorder) == ["auto_accounts"]
    assert recorder.names() == ["find", "createIndexes", "find"]


async def test_a_transactional_batch_creates_them_before_the_transaction(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    async with BatchQuery(transaction=True) as batch:
        batch.create(Account, email="a@x")
    create_indexes = recorder.named("createIndexes")
    assert len(create_indexes) == 1 and "txnNumber" not in create_indexes[0]
    assert recorder.names().index("createIndexes") < recorder.names().index("insert")
    assert await db.collection("auto_accounts").count_documents({}) == 1


async def test_ensure_index_counts_as_the_first_creation(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    assert await Account.ensure_index() == 1
    recorder.clear()
    await Account.objects.create(email="a@x")
    assert recorder.names() == ["insert"]


async def test_a_model_without_indexes_sends_nothing_extra(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    label = await Label.objects.create(name="x")
    await Label.objects.get(label._id)
    assert recorder.names() == ["insert", "find"]


# --- opt-outs -------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [Legacy, LegacyChild])
async def test_a_model_can_opt_out(
    monitored: tuple[Database, CommandRecorder], model: type[Legacy]
) -> None:
    db, recorder = monitored
    await model.objects.create(code="same")
    await model.objects.create(code="same")
    assert await model.objects.count() == 2
    assert _created(recorder) == []
    await db.collection(model.__collection__).delete_many({})
    assert await model.ensure_index() == 1  # the explicit tool still works
    assert "code_1" in await _indexes(db, model.__collection__)


async def test_a_connection_can_opt_out(db: Database, mongodb_uri: str) -> None:
    recorder = CommandRecorder()
    connect(
        db.name, alias="managed", host=mongodb_uri, event_listeners=[recorder], auto_index=False
    )
    managed = Account.objects.using("managed")
    await managed.create(email="same")
    await managed.create(email="same")
    await managed.find_all()
    assert await managed.count() == 2
    assert _created(recorder) == []
    await db.collection("auto_accounts").delete_many({})
    assert await sync_indexes([Account], connections=["managed"]) == {"managed": {"Account": 1}}
    assert _created(recorder) == ["auto_accounts"]


# --- stored duplicates ----------------------------------------------------------------------------
async def test_stored_duplicates_make_the_first_write_raise_and_write_nothing(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db.collection("auto_accounts").insert_many([{"email": "dup"}, {"email": "dup"}])
    recorder.clear()
    with pytest.raises(UniqueKeyViolationError) as error:
        await Account.objects.create(email="new")
    assert error.value.model == "Account"
    assert error.value.fields == ("email",)
    assert error.value.key_value == {"email": "dup"}
    assert "Account" in str(error.value) and "email='dup'" in str(error.value)
    assert recorder.writes() == ["createIndexes"]  # the insert was never sent
    with pytest.raises(UniqueKeyViolationError) as explicit:
        await Account.ensure_index()
    assert (explicit.value.model, explicit.value.fields, explicit.value.key_value) == (
        "Account",
        ("email",),
        {"email": "dup"},
    )
    with pytest.raises(UniqueKeyViolationError, match="email='dup'"):
        await sync_indexes([Account])
    assert await db.collection("auto_accounts").count_documents({}) == 2


async def test_stored_duplicates_fail_every_concurrent_first_operation_with_one_command(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db.collection("auto_accounts").insert_many([{"email": "dup"}, {"email": "dup"}])
    recorder.clear()
    results = await asyncio.gather(
        *(Account.objects.create(email=f"{i}@x") for i in range(20)), return_exceptions=True
    )
    assert all(isinstance(result, UniqueKeyViolationError) for result in results)
    assert recorder.names() == ["createIndexes"]


async def test_stored_duplicates_make_a_batch_write_nothing(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db.collection("auto_accounts").insert_many([{"email": "dup"}, {"email": "dup"}])
    recorder.clear()
    with pytest.raises(UniqueKeyViolationError, match="email='dup'"):
        async with BatchQuery() as batch:
            batch.create(Label, name="first")
            batch.create(Account, email="new")
    assert recorder.writes() == ["createIndexes"]
    assert await db.collection("auto_labels").count_documents({}) == 0


# --- failures are not remembered ------------------------------------------------------------------
async def test_a_failed_creation_is_retried_by_the_next_operation(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db.collection("auto_accounts").insert_many([{"email": "dup"}, {"email": "dup"}])
    with pytest.raises(UniqueKeyViolationError):
        await Account.objects.count()
    with pytest.raises(UniqueKeyViolationError):
        await Account.objects.count()
    await db.collection("auto_accounts").delete_one({"email": "dup"})
    assert await Account.objects.count() == 1
    assert await Account.objects.count() == 1
    assert _created(recorder) == ["auto_accounts"] * 3


async def test_a_transient_failure_is_retried_by_the_next_operation(
    monitored: tuple[Database, CommandRecorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = monitored
    create_indexes = AsyncCollection.create_indexes
    attempts: list[str] = []

    async def flaky(collection: AsyncCollection[Any], *args: Any, **kwargs: Any) -> list[str]:
        attempts.append(collection.name)
        if len(attempts) == 1:
            raise AutoReconnect("connection reset")
        return await create_indexes(collection, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "create_indexes", flaky)
    with pytest.raises(AutoReconnect):
        await Account.objects.create(email="a@x")
    await Account.objects.create(email="a@x")
    await Account.objects.create(email="b@x")
    assert attempts == ["auto_accounts", "auto_accounts"]
    assert await db.collection("auto_accounts").count_documents({}) == 2


async def test_a_conflicting_index_surfaces_the_driver_error(db: Database) -> None:
    await db.collection("auto_accounts").create_index("email")  # same key, not unique
    with pytest.raises(OperationFailure):
        await Account.objects.find_all()


# --- the cache follows the client -----------------------------------------------------------------
async def test_a_new_client_creates_them_again(db: Database, mongodb_uri: str) -> None:
    first, second = CommandRecorder(), CommandRecorder()
    connect(db.name, alias="again", host=mongodb_uri, event_listeners=[first])
    await Account.objects.using("again").create(email="a@x")
    await get_connection("again").close()  # the next use builds a new client
    await Account.objects.using("again").create(email="b@x")
    disconnect("again")
    connect(db.name, alias="again", host=mongodb_uri, event_listeners=[second])
    await Account.objects.using("again").create(email="c@x")
    await Account.objects.using("again").create(email="d@x")
    assert _created(first) == ["auto_accounts"] * 2  # before and after close()
    assert _created(second) == ["auto_accounts"]


def test_a_new_event_loop_creates_them_again(mongodb_uri: str, database_name: str) -> None:
    recorder = CommandRecorder()
    handle = connect(database_name, alias="loops", host=mongodb_uri, event_listeners=[recorder])

    async def save(email: str, close: bool) -> None:
        await Account(email=email).save(alias="loops")
        await Account(email=email + ".2").save(alias="loops")
        if close:
            await handle.client.drop_database(database_name)
            await handle.close()
        else:
            await handle.client.close()  # the loop ends (the handle still holds the client)

    try:
        asyncio.run(save("a@x", close=False))
        asyncio.run(save("b@x", close=True))
    finally:
        disconnect("loops")
    assert _created(recorder) == ["auto_accounts"] * 2
