"""Ambient transactions: ``async with transaction():`` binds a session and a transaction to the
task, and every ODM read and write of that task inside the block runs in it; a rollback leaves
the documents as they were; ``run_in_transaction`` retries as PyMongo's ``with_transaction``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BatchQuery,
    ConcurrentModificationError,
    Database,
    Document,
    Index,
    IntField,
    ListField,
    ReferenceField,
    StringField,
    TransactionError,
    connect,
    run_in_transaction,
    transaction,
)
from aiomotorengine.connection import disconnect_all
from aiomotorengine.testing import CommandRecorder, EmbeddedServer


class Account(Document):
    __collection__ = "tx_accounts"
    owner = StringField(required=True)
    balance = IntField(default=0)


class Entry(Document):
    __collection__ = "tx_entries"
    account = ReferenceField(Account)
    amount = IntField()
    tags = ListField(StringField())


class Versioned(Document):
    __collection__ = "tx_versioned"
    __versioned__ = True
    balance = IntField()


class Registered(Document):
    __collection__ = "tx_registered"
    __indexes__ = [Index("-email")]
    email = StringField(unique=True)


def transactional(recorder: CommandRecorder) -> list[tuple[str, Any, Any]]:
    """(command, lsid, txnNumber) of every command sent, in order."""
    return [
        (name, command.get("lsid"), command.get("txnNumber")) for name, command in recorder.commands
    ]


async def test_reads_and_writes_two_collections_and_rolls_back_on_an_exception(
    db: Database,
) -> None:
    account = await Account.objects.create(owner="ada", balance=100)
    with pytest.raises(RuntimeError, match="card declined"):
        async with transaction():
            loaded = await Account.objects.get(owner="ada")
            assert loaded is not None
            loaded.balance -= 30
            await loaded.save()
            entry = await Entry.objects.create(account=loaded, amount=-30)
            # The transaction reads its own writes.
            assert (await Account.objects.get(owner="ada")).balance == 70  # type: ignore[union-attr]
            assert await Entry.objects.count() == 1
            raise RuntimeError("card declined")
    # Nothing was committed, and outside the block nothing of it was ever visible.
    assert await db.tx_accounts.find_one({}, {"_id": 0, "balance": 1}) == {"balance": 100}
    assert await db.tx_entries.count_documents({}) == 0
    # The documents read as before the block: the entry is new again, the account's change
    # is unsaved again, so saving each sends it anew.
    assert not entry._state.persisted
    assert loaded.balance == 70
    await entry.save()
    await loaded.save()
    assert await db.tx_entries.count_documents({}) == 1
    assert await db.tx_accounts.find_one({"_id": account._id}, {"_id": 0, "balance": 1}) == {
        "balance": 70
    }


async def test_commits_when_the_block_ends(db: Database) -> None:
    async with transaction() as session:
        account = await Account.objects.create(owner="ada", balance=10)
        await Entry.objects.create(account=account, amount=10)
        # A raw driver call joins through the session the block yields.
        await db.tx_entries.insert_one({"amount": 1}, session=session)
        assert await db.tx_entries.count_documents({}) == 0  # outside the transaction
    assert await db.tx_accounts.count_documents({}) == 1
    assert await db.tx_entries.count_documents({}) == 2


async def test_every_operation_in_the_block_runs_in_the_transaction(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    seed = await Account.objects.create(owner="seed", balance=1)
    await Entry.objects.create(account=seed, amount=1)
    await Account.objects.filter(owner="none").count()  # every declared index exists now
    await Registered.objects.count()
    recorder.clear()
    async with transaction():
        account = await Account.objects.create(owner="ada", balance=5)
        await Account.objects.bulk_insert([Account(owner="bob"), Account(owner="cy")])
        await Account.objects.find_all()
        await Account.objects.filter(owner="ada").to_list(1)
        await Account.objects.get(account._id)
        await Account.objects.get(owner="ada")
        await Account.objects.first()
        await Account.objects.count()
        await Account.objects.filter(owner="ada").exists()
        await Account.objects.distinct("owner")
        await Account.objects.aggregate.group_by("owner").fetch()
        async for _ in Account.objects.filter(owner="ada"):
            pass
        await Entry.objects.find_all(lazy=False)  # and its references
        # Queries through references: one aggregation each.
        await Entry.objects.filter(account__owner="ada").find_all()
        await Entry.objects.filter(account__owner="ada").count()
        await Entry.objects.select_related("account").first()
        await Entry.objects.filter(account__owner="ada").aggregate.fetch()
        account.balance = 6
        await account.save()
        await account.reload()
        await Account.objects.filter(owner="bob").update(inc__balance=1)
        await Account.objects.filter(owner="bob").update_one(inc__balance=1)
        await Account.objects.filter(owner="cy").delete()
        await account.delete()
        async with BatchQuery() as batch:
            batch.create(Account, owner="dee")
        await Registered.objects.create(email="a@x")
    sent = transactional(recorder)
    *operations, (last, _, _) = sent
    assert last == "commitTransaction"
    assert len(operations) >= 25
    # count_documents, group_by and the four queries through references
    assert len([name for name, _, _ in operations if name == "aggregate"]) == 6
    lsid, number = operations[0][1], operations[0][2]
    assert number is not None
    assert all((session, txn) == (lsid, number) for _, session, txn in operations), sent
    assert recorder.commands[0][1]["startTransaction"] is True
    assert all(command.get("autocommit") is False for _, command in recorder.commands)
    assert await db.tx_accounts.count_documents({}) == 3  # seed, bob, dee


async def test_two_tasks_in_separate_transactions_do_not_see_each_other(db: Database) -> None:
    # Two transactions that both create the collection conflict (a transient error): it exists.
    await db.database.create_collection(Account.__collection__)
    both_written = asyncio.Event()
    written = 0

    async def deposit(owner: str) -> tuple[list[str], list[str]]:
        nonlocal written
        async with transaction():
            await Account.objects.create(owner=owner)
            written += 1
            if written == 2:
                both_written.set()
            await both_written.wait()  # the other task's write is done, not committed
            inside = sorted(a.owner for a in await Account.objects.find_all())
        outside = sorted(a.owner for a in await Account.objects.find_all())
        return inside, outside

    first, second = await asyncio.gather(deposit("ada"), deposit("bob"))
    assert first[0] == ["ada"]
    assert second[0] == ["bob"]
    assert await db.tx_accounts.count_documents({}) == 2


async def test_a_task_outside_the_block_is_unaffected(db: Database) -> None:
    await db.database.create_collection(Account.__collection__)
    written = asyncio.Event()
    done = asyncio.Event()

    async def writer() -> None:
        async with transaction():
            await Account.objects.create(owner="ada")
            written.set()
            await done.wait()
            raise RuntimeError("rolled back")

    async def reader() -> list[str]:
        await written.wait()
        await Account.objects.create(owner="bob")  # committed on its own
        owners = [a.owner for a in await Account.objects.find_all()]
        done.set()
        return owners

    results = await asyncio.gather(writer(), reader(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert results[1] == ["bob"]
    assert [a.owner for a in await Account.objects.find_all()] == ["bob"]


async def test_a_nested_block_joins_the_outer_one(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await Account.objects.count()
    recorder.clear()
    async with transaction() as outer:
        await Account.objects.create(owner="ada")
        async with transaction() as inner:
            assert inner is outer
            await Account.objects.create(owner="bob")
        assert await db.tx_accounts.count_documents({}) == 0  # not committed yet
        await run_in_transaction(lambda: Account.objects.create(owner="cy"))
    assert recorder.names().count("commitTransaction") == 1
    in_transaction = [(name, lsid) for name, lsid, number in transactional(recorder) if number]
    assert [name for name, _ in in_transaction].count("insert") == 3
    assert len({str(lsid) for _, lsid in in_transaction}) == 1
    assert await db.tx_accounts.count_documents({}) == 3


async def test_a_nested_block_that_raises_rolls_the_whole_transaction_back(db: Database) -> None:
    ada = Account(owner="ada")
    with pytest.raises(TransactionError, match=r"nested transaction block .* raised ValueError"):
        async with transaction():
            await ada.save()
            try:
                async with transaction():
                    await Account.objects.create(owner="bob")
                    raise ValueError("inner")
            except ValueError:
                pass
    assert await db.tx_accounts.count_documents({}) == 0
    assert not ada._state.persisted


async def test_a_task_started_inside_the_block_cannot_use_its_transaction(db: Database) -> None:
    async with transaction():
        await Account.objects.create(owner="ada")
        with pytest.raises(TransactionError, match="another task"):
            await asyncio.create_task(Account.objects.count())
        background = asyncio.create_task(asyncio.sleep(0))
        await background
    # Once the block is over, a task started in it runs outside any transaction.
    assert await asyncio.create_task(Account.objects.count()) == 1


async def test_declared_indexes_are_created_outside_the_transaction(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    with pytest.raises(RuntimeError):
        async with transaction():
            await Registered.objects.create(email="a@x")  # the model's first operation
            raise RuntimeError("rolled back")
    [create_indexes] = recorder.named("createIndexes")
    assert "txnNumber" not in create_indexes and "autocommit" not in create_indexes
    [insert] = recorder.named("insert")
    assert insert["startTransaction"] is True
    # The rollback took the document, not the indexes.
    assert await db.tx_registered.count_documents({}) == 0
    indexes = await db.tx_registered.index_information()
    assert {"email_1", "email_-1"} <= set(indexes)


async def test_batches_use_the_same_transactions(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with transaction():
            async with BatchQuery(transaction=True) as batch:  # joins the open transaction
                queued = batch.create(Account, owner="ada")
            async with BatchQuery() as batch:
                batch.create(Account, owner="bob")
            assert await Account.objects.count() == 2
            raise RuntimeError("rolled back")
    assert await db.tx_accounts.count_documents({}) == 0
    assert not queued._state.persisted
    async with BatchQuery(transaction=True) as batch:  # a transaction of its own
        batch.save(queued)
    assert queued._state.persisted
    assert await db.tx_accounts.count_documents({}) == 1


async def test_a_batch_in_the_transaction_sees_its_earlier_saves(db: Database) -> None:
    account = await Versioned.objects.create(balance=100)
    async with transaction():
        account.balance = 90
        await account.save()  # version 1 -> 2, in the transaction
        async with BatchQuery() as batch:  # its stale-copy check reads in the transaction
            account.balance = 80
            batch.save(account)
    assert await db.tx_versioned.find_one({}, {"_id": 0}) == {"balance": 80, "_v": 3}


async def test_a_save_that_matches_nothing_is_explained_from_inside_the_transaction(
    db: Database,
) -> None:
    async with transaction():
        created = await Versioned.objects.create(balance=1)  # visible in the transaction only
        other = await Versioned.objects.get(created._id)
        assert other is not None
        other.balance = 2
        await other.save()
        created.balance = 3
        with pytest.raises(ConcurrentModificationError, match="1 expected, 2 stored"):
            await created.save()


async def test_a_rolled_back_copy_leaves_the_document_where_it_lived(
    db: Database, mongodb_uri: str
) -> None:
    archive = f"{db.name}_archive"
    account = await Account.objects.create(owner="ada", balance=1)
    try:
        with pytest.raises(RuntimeError):
            async with transaction():
                account.using(db=archive)
                account.balance = 2
                await account.save()  # a copy into the archive database
                raise RuntimeError("rolled back")
        # The document still lives in its own database; the using() is still pending, like
        # the unsaved change, so the next save makes the copy again.
        assert await db.tx_accounts.find_one({}, {"_id": 0}) == {"owner": "ada", "balance": 1}
        await account.save()
        copied = await db.client[archive].tx_accounts.find_one({}, {"_id": 0})
        assert copied == {"owner": "ada", "balance": 2}
        assert await db.tx_accounts.find_one({}, {"_id": 0}) == {"owner": "ada", "balance": 1}
        account.balance = 3
        await account.save()  # it lives in the archive now
        assert (await db.client[archive].tx_accounts.find_one({}, {"_id": 0}))["balance"] == 3
    finally:
        await db.client.drop_database(archive)


async def test_run_in_transaction_returns_the_result_and_does_not_retry_other_errors(
    db: Database,
) -> None:
    calls = 0

    async def open_account() -> ObjectId | None:
        nonlocal calls
        calls += 1
        return (await Account.objects.create(owner="ada"))._id

    identifier = await run_in_transaction(open_account)
    assert identifier is not None and calls == 1

    async def fail() -> None:
        nonlocal calls
        calls += 1
        await Account.objects.create(owner="bob")
        raise ValueError("not transient")

    with pytest.raises(ValueError):
        await run_in_transaction(fail)
    assert calls == 2
    assert [a.owner for a in await Account.objects.find_all()] == ["ada"]


async def test_the_connection_can_be_named(db: Database, mongodb_uri: str) -> None:
    connect(db.name, alias="other", host=mongodb_uri)
    # Created first: a write outside would wait for a transaction that creates the collection.
    await db.database.create_collection(Account.__collection__)
    ada = Account(owner="ada")
    with pytest.raises(RuntimeError):
        async with transaction("other"):
            await ada.using("other").save()
            await Account.objects.create(owner="outside")  # the default connection: no transaction
            raise RuntimeError("rolled back")
    assert [a.owner for a in await Account.objects.find_all()] == ["outside"]


# --- retries, with faults injected by the embedded server's failCommand --------------------


@pytest.fixture(scope="module")
def fault_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(test_commands=True) as server:
        yield server


@pytest.fixture
async def faulty(
    fault_server: EmbeddedServer, database_name: str
) -> AsyncIterator[tuple[Database, CommandRecorder]]:
    """The default connection to the fault-injecting server, its commands recorded, under an
    ``appName`` that scopes fail points to it; a state-change error is noticed at the next
    heartbeat (0.5 s)."""
    recorder = CommandRecorder()
    handle = connect(
        database_name,
        host=fault_server.uri,
        appName="transactions-test",
        heartbeatFrequencyMS=500,
        serverSelectionTimeoutMS=10_000,
        event_listeners=[recorder],
    )
    try:
        yield handle, recorder
    finally:
        await handle.client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        await handle.client.drop_database(database_name)
        await disconnect_all()


async def fail_next(handle: Database, commands: list[str], times: int, **data: Any) -> None:
    await handle.client.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": times},
            "data": {"failCommands": commands, "appName": "transactions-test", **data},
        }
    )


async def test_run_in_transaction_retries_a_transient_error(
    faulty: tuple[Database, CommandRecorder],
) -> None:
    handle, recorder = faulty
    account = await Account.objects.create(owner="ada", balance=10)
    await Entry.objects.count()
    order = Entry(account=account, amount=5)
    attempts = 0

    async def pay() -> None:
        nonlocal attempts
        attempts += 1
        await order.save()  # an insert, each attempt: the rollback made it new again
        await Account.objects.filter(owner="ada").update(inc__balance=-5)

    await fail_next(handle, ["update"], 1, errorCode=112, errorLabels=["TransientTransactionError"])
    recorder.clear()
    await run_in_transaction(pay)
    assert attempts == 2
    assert recorder.names() == [
        "insert",
        "update",  # failed: WriteConflict
        "abortTransaction",
        "insert",
        "update",
        "commitTransaction",
    ]
    assert await handle.tx_entries.count_documents({}) == 1
    assert (await handle.tx_accounts.find_one({}))["balance"] == 5  # type: ignore[index]
    assert order._state.persisted


async def test_run_in_transaction_retries_a_commit_with_an_unknown_result(
    faulty: tuple[Database, CommandRecorder],
) -> None:
    handle, recorder = faulty
    await Account.objects.count()
    attempts = 0

    async def open_account() -> None:
        nonlocal attempts
        attempts += 1
        await Account.objects.create(owner="ada")

    # Twice: the commit's own retry fails too, so the result is unknown to the driver.
    await fail_next(
        handle, ["commitTransaction"], 2, errorCode=91, errorLabels=["RetryableWriteError"]
    )
    recorder.clear()
    await run_in_transaction(open_account)
    assert attempts == 1
    # The commit, the driver's own retry of it, then with_transaction's retry.
    assert recorder.names() == ["insert", *["commitTransaction"] * 3]
    assert await handle.tx_accounts.count_documents({}) == 1


async def test_a_rolled_back_bulk_insert_leaves_every_document_new(db: Database) -> None:
    await db.database.create_collection(Account.__collection__)
    accounts = [Account(owner=f"owner {index}", balance=index) for index in range(3)]
    with pytest.raises(RuntimeError):
        async with transaction():
            await Account.objects.bulk_insert(accounts)
            assert all(account._id is not None for account in accounts)
            raise RuntimeError("rolled back")
    assert await db.tx_accounts.count_documents({}) == 0
    # Each document is restored, not the last one three times: all new again, each its own.
    assert [account.owner for account in accounts] == ["owner 0", "owner 1", "owner 2"]
    assert all(not account._state.persisted for account in accounts)
    await Account.objects.bulk_insert(accounts)  # insertable again, as new documents
    assert await db.tx_accounts.count_documents({}) == 3
