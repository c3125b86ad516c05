"""Upserts and friends: ``update(upsert=True)``, ``get_or_create`` under races, ``modify``
(find-and-modify) returning the document, ``batch_size()``, and ``limit(0)`` refused."""

from __future__ import annotations

import asyncio

import pytest

from aiomotorengine import (
    Database,
    Document,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    ListField,
    StringField,
    connect,
)
from aiomotorengine.testing import CommandRecorder


class Counter(Document):
    __collection__ = "up_counters"
    name = StringField(required=True)
    value = IntField(default=0)
    tags = ListField(StringField())


class Tag(Document):
    __collection__ = "up_tags"
    name = StringField(required=True, unique=True)
    uses = IntField(default=0)


class Loose(Document):
    """No unique index: races are settled in the process only."""

    __collection__ = "up_loose"
    key = StringField(required=True)
    uses = IntField(default=0)


async def test_update_upsert_inserts_and_reports_the_id(db: Database) -> None:
    result = await Counter.objects.filter(name="hits").update_one(upsert=True, inc__value=1)
    assert result.matched == 0 and result.upserted_id is not None
    stored = await db["up_counters"].find_one({"_id": result.upserted_id})
    assert stored == {"_id": result.upserted_id, "name": "hits", "value": 1}
    again = await Counter.objects.filter(name="hits").update(upsert=True, inc__value="2")
    assert (again.matched, again.count, again.upserted_id) == (1, 1, None)
    assert await db["up_counters"].count_documents({}) == 1
    counter = await Counter.objects.get(name="hits")
    assert counter is not None and counter.value == 3


async def test_modify_returns_the_document_after_or_before(db: Database) -> None:
    await Counter.objects.create(name="b", value=5)
    await Counter.objects.create(name="a", value=1)
    after = await Counter.objects.order_by("name").modify(inc__value=10, push__tags="x")
    assert after is not None and (after.name, after.value, after.tags) == ("a", 11, ["x"])
    before = await Counter.objects.filter(name="b").modify(new=False, set__value=0)
    assert before is not None and before.value == 5
    assert (await Counter.objects.get(name="b")).value == 0  # type: ignore[union-attr]
    assert await Counter.objects.filter(name="zzz").modify(inc__value=1) is None
    created = await Counter.objects.filter(name="new").modify(upsert=True, set__value=7)
    assert created is not None and created.name == "new" and created.value == 7
    after.value = 12  # the returned document is a normal, saved document
    await after.save()
    assert (await Counter.objects.get(name="a")).value == 12  # type: ignore[union-attr]


async def test_modify_and_upsert_values_are_checked(db: Database) -> None:
    with pytest.raises(InvalidDocumentError):
        await Counter.objects.filter(name="a").modify(set__value="many")
    with pytest.raises(InvalidQueryError):
        await Counter.objects.filter(name={"$ne": None}).modify(inc__value=1)
    assert await db["up_counters"].count_documents({}) == 0


async def test_modify_sends_one_find_and_modify(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await Counter.objects.create(name="a")
    recorder.clear()
    await Counter.objects.filter(name="a").modify(inc__value=1)
    assert recorder.names() == ["findAndModify"]


async def test_get_or_create_gets_or_creates(db: Database) -> None:
    tag, created = await Tag.objects.get_or_create(name="mongodb", defaults={"uses": 3})
    assert created and tag.id is not None and tag.uses == 3
    again, created = await Tag.objects.get_or_create(name="mongodb", defaults={"uses": 9})
    assert not created and again.id == tag.id and again.uses == 3
    with pytest.raises(InvalidDocumentError):
        await Tag.objects.get_or_create(name="bad", defaults={"uses": "lots"})
    assert await db["up_tags"].count_documents({}) == 1


@pytest.mark.parametrize("model", [Tag, Loose])
async def test_racing_get_or_create_creates_exactly_one(
    db: Database, model: type[Tag] | type[Loose]
) -> None:
    key = "name" if model is Tag else "key"

    async def one() -> bool:
        _, created = await model.objects.get_or_create(**{key: "same"})
        return created

    results = await asyncio.gather(*(one() for _ in range(30)))
    assert results.count(True) == 1
    assert await db[model.__collection__].count_documents({}) == 1


async def test_racing_clients_are_settled_by_the_unique_index(
    db: Database, mongodb_uri: str
) -> None:
    # A second client (another process, as far as the lock is concerned) racing on the key.
    connect(db.name, alias="other", host=mongodb_uri)
    await Tag.ensure_index()

    async def one(alias: str | None) -> bool:
        _, created = await Tag.objects.get_or_create(alias=alias, name="shared")
        return created

    results = await asyncio.gather(*(one(None if i % 2 else "other") for i in range(20)))
    assert results.count(True) == 1
    assert await db["up_tags"].count_documents({"name": "shared"}) == 1


async def test_batch_size_fetches_in_batches(monitored: tuple[Database, CommandRecorder]) -> None:
    _, recorder = monitored
    await Counter.objects.bulk_insert([Counter(name=str(index)) for index in range(25)])
    recorder.clear()
    found = await Counter.objects.batch_size(10).find_all()
    assert len(found) == 25
    assert recorder.names() == ["find", "getMore", "getMore"]
    assert recorder.named("find")[0]["batchSize"] == 10
    with pytest.raises(InvalidQueryError):
        Counter.objects.batch_size(0)


def test_limit_zero_is_refused() -> None:
    with pytest.raises(InvalidQueryError, match="limit"):
        Counter.objects.limit(0)
    assert Counter.objects.limit(1)._limit == 1
