"""Read preferences, read concerns and write concerns: declared per model, set per queryset or
per call, over the connection's own (which keep passing through to the client); what each
command carries is read from a ``CommandRecorder``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo import ReadPreference, WriteConcern
from pymongo.read_concern import ReadConcern

from aiomotorengine import (
    BatchQuery,
    Database,
    Document,
    IntField,
    InvalidQueryError,
    ReferenceField,
    StringField,
    connect,
    transaction,
)
from aiomotorengine.testing import CommandRecorder


class Plain(Document):
    __collection__ = "concern_plain"
    name = StringField()


class Ledger(Document):
    __collection__ = "concern_ledger"
    __write_concern__ = {"w": "majority", "wtimeout": 5000}
    __read_concern__ = "majority"
    __read_preference__ = "secondaryPreferred"
    amount = IntField()
    plain = ReferenceField(Plain)


class Audit(Document):
    __collection__ = "concern_audit"
    __write_concern__ = WriteConcern(w=1, j=True)
    __read_concern__ = ReadConcern("local")
    __read_preference__ = ReadPreference.PRIMARY_PREFERRED
    action = StringField()


def last(recorder: CommandRecorder, name: str) -> dict[str, object]:
    return recorder.named(name)[-1]


async def test_a_model_declares_them_for_all_its_operations(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    entry = await Ledger.objects.create(amount=1)
    entry.amount = 2
    await entry.save()
    await Ledger.objects.filter(amount=2).update(inc__amount=1)
    await Ledger.objects.bulk_insert([Ledger(amount=5)])
    async with BatchQuery() as batch:
        batch.create(Ledger, amount=6)
    await entry.delete()
    for name in ("insert", "update", "delete"):
        for command in recorder.named(name):
            assert command["writeConcern"] == {"w": "majority", "wtimeout": 5000}, name
    assert len(recorder.named("insert")) == 3 and len(recorder.named("update")) == 2

    await Ledger.objects.find_all()
    await Ledger.objects.count()
    await Ledger.objects.aggregate.group_by("amount").fetch()
    for name in ("find", "aggregate"):
        command = last(recorder, name)
        assert command["readConcern"] == {"level": "majority"}, name
        assert command["$readPreference"] == {"mode": "secondaryPreferred"}, name

    await Audit.objects.create(action="x")
    await Audit.objects.find_all()
    assert last(recorder, "insert")["writeConcern"] == {"w": 1, "j": True}
    assert last(recorder, "find")["readConcern"] == {"level": "local"}
    assert last(recorder, "find")["$readPreference"] == {"mode": "primaryPreferred"}


async def test_reference_loading_reads_with_the_referenced_models_own(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    plain = await Plain.objects.create(name="p")
    await Ledger.objects.create(amount=1, plain=plain)
    recorder.clear()
    await Ledger.objects.find_all(lazy=False)
    ledger_find, plain_find = recorder.named("find")
    assert ledger_find["readConcern"] == {"level": "majority"}
    assert "readConcern" not in plain_find and "$readPreference" not in plain_find


async def test_a_model_without_a_declaration_sends_none(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await Plain.objects.create(name="x")
    await Plain.objects.find_all()
    assert "writeConcern" not in last(recorder, "insert")
    assert "readConcern" not in last(recorder, "find")
    assert "$readPreference" not in last(recorder, "find")


async def test_a_queryset_sets_them_over_the_model(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await Ledger.objects.write_concern(1).create(amount=1)
    assert last(recorder, "insert")["writeConcern"] == {"w": 1}
    await (
        Ledger.objects.write_concern(WriteConcern(w="majority", j=True))
        .filter(amount=1)
        .update(set__amount=2)
    )
    assert last(recorder, "update")["writeConcern"] == {"w": "majority", "j": True}
    await Plain.objects.write_concern({"w": 1}).filter(name="x").delete()
    assert last(recorder, "delete")["writeConcern"] == {"w": 1}

    queryset = Ledger.objects.read_concern("local").read_preference("nearest")
    await queryset.clone().filter(amount=2).find_all()
    find = last(recorder, "find")
    assert find["readConcern"] == {"level": "local"}
    assert find["$readPreference"] == {"mode": "nearest"}
    await Plain.objects.read_concern(ReadConcern("majority")).get(name="x")
    assert last(recorder, "find")["readConcern"] == {"level": "majority"}


async def test_a_call_sets_the_write_concern_of_save_and_delete(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    plain = await Plain(name="x").save(write_concern="majority")
    assert last(recorder, "insert")["writeConcern"] == {"w": "majority"}
    plain.name = "y"
    await plain.save(write_concern={"w": 1, "wtimeout": 100})
    assert last(recorder, "update")["writeConcern"] == {"w": 1, "wtimeout": 100}
    await plain.delete(write_concern=WriteConcern(w="majority"))
    assert last(recorder, "delete")["writeConcern"] == {"w": "majority"}
    ledger = await Ledger.objects.create(amount=1)
    await ledger.delete(write_concern=1)  # over the model's
    assert last(recorder, "delete")["writeConcern"] == {"w": 1}


@pytest.fixture
async def majority_connection(
    db: Database, mongodb_uri: str
) -> AsyncIterator[tuple[Database, CommandRecorder]]:
    """A second connection to the ``db`` database with its own concerns and read preference."""
    recorder = CommandRecorder()
    handle = connect(
        db.name,
        alias="majority",
        host=mongodb_uri,
        w="majority",
        readConcernLevel="majority",
        readPreference="secondaryPreferred",
        event_listeners=[recorder],
    )
    yield handle, recorder


async def test_the_connections_own_pass_through_and_a_model_overrides_them(
    majority_connection: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = majority_connection
    await Plain.objects.using("majority").create(name="x")
    await Plain.objects.using("majority").find_all()
    assert last(recorder, "insert")["writeConcern"] == {"w": "majority"}
    assert last(recorder, "find")["readConcern"] == {"level": "majority"}
    assert last(recorder, "find")["$readPreference"] == {"mode": "secondaryPreferred"}

    await Audit.objects.using("majority").create(action="x")
    await Audit.objects.using("majority").find_all()
    assert last(recorder, "insert")["writeConcern"] == {"w": 1, "j": True}
    assert last(recorder, "find")["readConcern"] == {"level": "local"}
    assert last(recorder, "find")["$readPreference"] == {"mode": "primaryPreferred"}


async def test_inside_a_transaction_the_transactions_own_apply(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await Ledger.objects.count()
    recorder.clear()
    async with transaction(write_concern="majority", read_concern="snapshot"):
        await Ledger.objects.create(amount=1)
        await Ledger.objects.find_all()
    insert, find = recorder.named("insert")[0], recorder.named("find")[0]
    assert "writeConcern" not in insert  # MongoDB refuses one per operation in a transaction
    assert insert["readConcern"] == {"level": "snapshot"}  # the transaction's first command
    assert "readConcern" not in find and "$readPreference" not in find
    assert last(recorder, "commitTransaction")["writeConcern"] == {"w": "majority"}


async def test_bad_values_are_refused_naming_where(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match=r"Plain.objects.read_preference\(\): .*'anywhere'"):
        Plain.objects.read_preference("anywhere")
    with pytest.raises(InvalidQueryError, match=r"Plain.objects.read_concern\(\): read concern 5"):
        Plain.objects.read_concern(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidQueryError, match=r"Plain.objects.write_concern\(\): .*wtimeout"):
        Plain.objects.write_concern({"w": 1, "wtimeout": "soon"})
    with pytest.raises(InvalidQueryError, match=r"Plain.save\(write_concern=...\)"):
        await Plain(name="x").save(write_concern=[1])  # type: ignore[arg-type]

    class Misdeclared(Document):
        __collection__ = "concern_misdeclared"
        __write_concern__ = {"w": 1, "fast": True}

    with pytest.raises(InvalidQueryError, match=r"Misdeclared.__write_concern__: .*fast"):
        await Misdeclared.objects.create()
