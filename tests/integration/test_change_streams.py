"""Change streams: ``Model.objects.filter(...).watch()`` yields typed events whose documents are
hydrated as the model; the queryset's filter becomes the stream's ``$match``; the stream closes
with its block or loop."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from aiomotorengine import (
    ChangeEvent,
    Database,
    DateTimeField,
    Document,
    IntField,
    InvalidQueryError,
    ListField,
    Q,
    StringField,
)


class Order(Document):
    __collection__ = "stream_orders"
    number = IntField(required=True)
    status = StringField(db_field="s", default="new")
    placed = DateTimeField()
    tags = ListField(StringField())


async def test_sees_inserts_updates_and_deletes_with_hydrated_documents(db: Database) -> None:
    placed = datetime(2024, 5, 1, tzinfo=timezone.utc)
    async with Order.objects.watch() as stream:
        order = await Order.objects.create(number=1, tags=["a"])
        order.status = "paid"
        order.placed = placed
        order.tags = None
        await order.save()
        inserted = await stream.next()
        # updateLookup reads the document when the event is read: before the delete.
        updated = await stream.next()
        await order.delete()
        deleted = await stream.next()

    assert isinstance(inserted, ChangeEvent)
    assert inserted.operation == "insert"
    assert inserted.document_id == order._id
    assert isinstance(inserted.document, Order)
    assert (inserted.document.number, inserted.document.status) == (1, "new")
    assert inserted.document._state.persisted

    assert updated.operation == "update"
    assert updated.document_id == order._id
    # By attribute name (status is stored as "s"), converted by the field.
    assert updated.updated_fields == {"status": "paid", "placed": placed.replace(tzinfo=None)}
    assert updated.removed_fields == ["tags"]
    assert updated.document is not None and updated.document.status == "paid"

    assert deleted.operation == "delete"
    assert deleted.document_id == order._id
    assert deleted.document is None
    assert deleted.resume_token != updated.resume_token
    assert stream.closed


async def test_a_filtered_stream_sees_only_matching_documents(db: Database) -> None:
    async with Order.objects.filter(status="paid", number__gte=10).watch() as stream:
        await Order.objects.create(number=10)  # not paid
        await Order.objects.create(number=1, status="paid")  # number too small
        wanted = await Order.objects.create(number=11, status="paid")
        late = await Order.objects.create(number=12)
        late.status = "paid"
        await late.save()  # matches once updated (updateLookup: the document after it)

        first = await stream.next()
        second = await stream.next()
    assert (first.operation, first.document_id) == ("insert", wanted._id)
    assert (second.operation, second.document_id) == ("update", late._id)


async def test_a_stream_filtered_on_the_id_sees_the_delete(db: Database) -> None:
    order = await Order.objects.create(number=1)
    other = await Order.objects.create(number=2)
    async with Order.objects.filter(Q(id=order._id) | Q(number=3)).watch() as stream:
        await other.delete()
        await order.delete()
        event = await stream.next()
    assert (event.operation, event.document_id) == ("delete", order._id)


async def test_resumes_after_an_event(db: Database) -> None:
    async with Order.objects.watch() as stream:
        await Order.objects.create(number=1)
        await Order.objects.create(number=2)
        first = await stream.next()
    assert stream.resume_token is not None
    async with Order.objects.watch(resume_after=first.resume_token) as resumed:
        event = await resumed.next()
    assert event.document is not None and event.document.number == 2


async def test_try_next_returns_none_when_nothing_changed(db: Database) -> None:
    async with Order.objects.watch() as stream:
        assert await stream.try_next() is None
        await Order.objects.create(number=1)
        event = None
        while event is None:  # the server may need a getMore or two
            event = await stream.try_next()
    assert event.operation == "insert"


async def test_leaving_the_loop_closes_the_stream(db: Database) -> None:
    stream = Order.objects.watch()
    assert await stream.try_next() is None  # opens it
    await Order.objects.create(number=1)
    async for event in stream:
        assert event.operation == "insert"
        break
    # The loop's generator is closed by the event loop once it is dropped.
    for _ in range(100):
        if stream.closed:
            break
        await asyncio.sleep(0.01)
    assert stream.closed
    with pytest.raises(StopAsyncIteration):
        await stream.next()


async def test_filters_that_cannot_apply_to_change_events_are_refused(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match=r"\$where cannot filter a change stream"):
        Order.objects.filter({"$where": "true"}).watch()
    with pytest.raises(InvalidQueryError, match="full_document='updateLookup'"):
        Order.objects.filter(number=1).watch(full_document=None)
    with pytest.raises(InvalidQueryError, match=r"skip\(\)/limit\(\)"):
        Order.objects.limit(1).watch()
    # A filter on the id alone needs no full document.
    async with Order.objects.filter(id=None).watch(full_document=None):
        pass
