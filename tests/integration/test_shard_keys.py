"""Shard keys: a model declaring ``__shard_key__`` filters its single-document writes and
reloads on the stored shard key values (so a sharded cluster routes them to one shard), always
loads them, and refuses to change them once saved."""

from __future__ import annotations

import pytest

from aiomotorengine import (
    BatchQuery,
    Database,
    Document,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    StringField,
)
from aiomotorengine.testing import CommandRecorder


class Invoice(Document):
    __collection__ = "shard_invoices"
    __shard_key__ = ("tenant", "region")
    tenant = StringField(db_field="t", required=True)
    region = IntField()
    total = IntField()


async def test_save_delete_and_reload_filter_on_the_shard_key(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    invoice = await Invoice.objects.create(tenant="acme", region=3, total=10)
    invoice.total = 12
    await invoice.save()
    await invoice.reload()
    await invoice.delete()
    expected = {"_id": invoice._id, "t": "acme", "region": 3}
    [update] = recorder.named("update")
    assert update["updates"][0]["q"] == expected
    assert recorder.named("find")[-1]["filter"] == expected
    [delete] = recorder.named("delete")
    assert delete["deletes"][0]["q"] == expected


async def test_a_missing_shard_key_value_is_filtered_as_null(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db.shard_invoices.insert_one({"t": "acme", "total": 1})  # no region stored
    invoice = await Invoice.objects.get(tenant="acme")
    assert invoice is not None
    invoice.total = 2
    await invoice.save()
    assert recorder.named("update")[0]["updates"][0]["q"]["region"] is None
    assert (await db.shard_invoices.find_one({}))["total"] == 2  # type: ignore[index]


async def test_batches_filter_on_the_shard_key(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    first = await Invoice.objects.create(tenant="acme", region=1, total=1)
    second = await Invoice.objects.create(tenant="beta", region=2, total=1)
    first.total = 2
    async with BatchQuery() as batch:
        batch.save(first)
        batch.delete(second)
    [update] = recorder.named("update")
    assert update["updates"][0]["q"] == {"_id": first._id, "t": "acme", "region": 1}
    [delete] = recorder.named("delete")
    assert delete["deletes"][0]["q"] == {"_id": second._id, "t": "beta", "region": 2}


async def test_changing_the_shard_key_of_a_saved_document_is_refused(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    invoice = await Invoice.objects.create(tenant="acme", region=1, total=1)
    invoice.tenant = "beta"
    invoice.total = 2
    recorder.clear()
    with pytest.raises(InvalidDocumentError) as raised:
        await invoice.save()
    error = raised.value
    assert (error.model, error.field, error.value) == ("Invoice", "tenant", "beta")
    assert "Invoice.tenant: cannot change the shard key (tenant, region)" in str(error)
    assert "stored 'acme', now 'beta'" in str(error)
    assert recorder.writes() == []
    with pytest.raises(InvalidDocumentError, match=r"Invoice\.region"):
        invoice.tenant = "acme"
        invoice.region = None
        await invoice.save()
    with pytest.raises(InvalidDocumentError, match=r"Invoice\.region"):
        async with BatchQuery() as batch:
            batch.save(invoice)
    stored = await db.shard_invoices.find_one({}, {"_id": 0})
    assert stored == {"t": "acme", "region": 1, "total": 1}


async def test_projections_always_load_the_shard_key(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await Invoice.objects.create(tenant="acme", region=1, total=1)
    [invoice] = await Invoice.objects.only("total").find_all()
    assert recorder.named("find")[-1]["projection"] == {"total": 1, "t": 1, "region": 1}
    invoice.total = 5
    await invoice.save()
    assert recorder.named("update")[-1]["updates"][0]["q"]["t"] == "acme"
    with pytest.raises(InvalidQueryError, match=r"Invoice\.tenant: part of the shard key"):
        Invoice.objects.exclude("tenant")


def test_a_shard_key_must_name_fields() -> None:
    with pytest.raises(InvalidDocumentError, match=r"Broken.__shard_key__: no field named 'tenat'"):

        class Broken(Document):
            __shard_key__ = ("tenat",)
            tenant = StringField()
