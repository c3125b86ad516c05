"""Adversarial input against a real server: operator-shaped values in list updates and in
aggregation stages change and return nothing, and hostile values reach no query through any
entry point. Credentials kept out of an unreachable server's errors and logs:
``tests/connection/test_connection_redaction.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiomotorengine import (
    Aggregation,
    Database,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    JsonField,
    ListField,
    Q,
    ReferenceField,
    StringField,
)
from aiomotorengine.testing import CommandRecorder


class Owner(Document):
    __collection__ = "sec_owners"
    name = StringField()


class Entry(EmbeddedDocument):
    sku = StringField()
    qty = IntField()


class Vault(Document):
    __collection__ = "sec_vaults"
    name = StringField()
    level = IntField()
    notes = ListField(JsonField())
    meta = JsonField()
    loose = ListField()
    entries = ListField(EmbeddedDocumentField(Entry))
    owner = ReferenceField(Owner)


async def _seed() -> Vault:
    owner = await Owner.objects.create(name="o")
    await Vault.objects.create(name="other", level=1, meta={"k": "v"}, owner=owner)
    return await Vault.objects.create(
        name="main",
        level=3,
        notes=["keep", {"a": 1}],
        meta={"role": "user", "tags": ["x"]},
        loose=["keep", 1],
        entries=[Entry(sku="a", qty=1), Entry(sku="b", qty=2)],
        owner=owner,
    )


async def test_operator_shaped_list_updates_write_nothing(monitored: tuple[Database, Any]) -> None:
    db, recorder = monitored
    await _seed()
    before = await db.collection("sec_vaults").find_one({"name": "main"}, {"_id": 0})
    recorder.clear()
    hostile: list[dict[str, Any]] = [
        {"pull__notes": {"$gt": ""}},  # would remove every string item
        {"pull__loose": {"$ne": None}},  # would remove every item
        {"push__notes": {"$each": [], "$slice": 0}},  # would empty the list
        {"push__loose": {"$each": [], "$slice": 0}},
        {"add_to_set__loose": {"$each": ["x", "y"]}},
        {"pull__entries": {"$ne": None}},
        {"pull__meta": {"$exists": True}},
    ]
    for operations in hostile:
        with pytest.raises((InvalidQueryError, InvalidDocumentError), match="Vault"):
            await Vault.objects.filter(name="main").update(**operations)
        with pytest.raises((InvalidQueryError, InvalidDocumentError), match="Vault"):
            await Vault.objects.filter(name="main").update_one(**operations)
    assert recorder.writes() == []
    assert await db.collection("sec_vaults").find_one({"name": "main"}, {"_id": 0}) == before
    # The same operators with plain values still work.
    await Vault.objects.filter(name="main").update(pull__notes="keep", push__loose="new")
    after = await db.collection("sec_vaults").find_one({"name": "main"})
    assert after is not None and after["notes"] == [{"a": 1}] and after["loose"][-1] == "new"


async def test_operator_shaped_values_after_grouping_run_no_pipeline(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await _seed()
    recorder.clear()

    def grouped() -> Aggregation[Vault]:
        return Vault.objects.aggregate.group_by("name", Aggregation.sum("level", alias="total"))

    hostile: list[dict[str, Any]] = [
        {"total": {"$gt": 0}},
        {"$expr": {"$gt": ["$total", 0]}},
        {"name": {"$regex": "."}},
    ]
    for filters in hostile:
        with pytest.raises(InvalidQueryError, match="Vault"):
            await grouped().match(**filters).fetch()
    assert recorder.names() == []
    results = await grouped().match(total__gte=3).fetch()
    assert [(result.name, result.total) for result in results] == [("main", 3)]


HOSTILE_VALUES: list[Any] = [
    {"$ne": None},
    {"$gt": ""},
    {"$where": "true"},
    [{"$ne": None}],
    {"$in": [1, 3]},
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
async def test_hostile_values_reach_no_query_through_any_entry_point(
    monitored: tuple[Database, CommandRecorder], value: Any
) -> None:
    _, recorder = monitored
    await _seed()
    recorder.clear()
    attempts: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("_id", lambda: Vault.objects.get(value)),
        ("_id", lambda: Vault.objects.get(id=value)),
        ("owner", lambda: Vault.objects.filter(owner=value).find_all()),
        ("owner", lambda: Vault.objects.filter(owner__in=[value]).count()),
        ("meta", lambda: Vault.objects.filter(meta=value).count()),
        ("meta", lambda: Vault.objects.filter(meta__role=value).count()),
        ("meta", lambda: Vault.objects.filter(meta__role__ne=value).count()),
        ("level", lambda: Vault.objects.aggregate.match(level=value).fetch()),
        ("level", lambda: Vault.objects.aggregate.match(Q(level__lte=value)).fetch()),
        ("sku", lambda: Vault.objects.filter(entries__elem_match={"sku": value}).count()),
        ("sku", lambda: Vault.objects.filter(entries__sku__in=[value]).count()),
        ("name", lambda: Vault.objects.filter(Q(**{"name__ne": value})).count()),
        ("name", lambda: Vault.objects.filter(Q(level=3) | Q(name=value)).delete()),
        ("name", lambda: Vault.objects.filter(name=value).update(level=0)),
    ]
    for field, attempt in attempts:
        with pytest.raises(InvalidQueryError, match=rf"Vault|Entry|{field}") as raised:
            await attempt()
        assert field in str(raised.value), str(raised.value)
    assert recorder.names() == []
    assert await Vault.objects.filter(level=0).count() == 0
    assert await Vault.objects.count() == 2


@pytest.mark.parametrize("name", ["$where", "-$natural", "meta.$", "name__$x", "", "level__gt"])
async def test_hostile_names_in_distinct_and_aggregation(
    monitored: tuple[Database, CommandRecorder], name: str
) -> None:
    _, recorder = monitored
    recorder.clear()
    with pytest.raises(InvalidQueryError, match="Vault"):
        await Vault.objects.distinct(name)
    with pytest.raises(InvalidQueryError, match="Vault"):
        await Vault.objects.aggregate.order_by(name).fetch()
    if name != "level__gt":  # an operator keyword: fine in match()
        with pytest.raises(InvalidQueryError, match="Vault"):
            await Vault.objects.aggregate.match(**{name: 1}).fetch()
    with pytest.raises(InvalidQueryError, match="Vault"):
        await Vault.objects.update(**{f"set__{name}": 1})
    assert recorder.names() == []
