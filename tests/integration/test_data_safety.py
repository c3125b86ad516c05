"""Data safety under attack: partial projections, changed ``_id``, concurrent saves, odd keys.

Each test proves on the wire (``CommandRecorder``) and in the stored document that nothing a
save was not meant to change is lost, and that refused input writes nothing.
"""

from __future__ import annotations

import asyncio
import decimal
import re
from typing import Any

import pytest
from bson import Decimal128, ObjectId

from aiomotorengine import (
    BatchQuery,
    BinaryField,
    Database,
    DecimalField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    JsonField,
    ListField,
    StringField,
    UUIDField,
    get_connection,
)
from aiomotorengine.testing import CommandRecorder


@pytest.fixture
def wire(monitored: tuple[Database, CommandRecorder]) -> CommandRecorder:
    """The commands of the default connection (on a fresh database)."""
    return monitored[1]


class Place(EmbeddedDocument):
    street = StringField()
    city = StringField(db_field="c")


class Note(EmbeddedDocument):
    text = StringField()
    votes = IntField(default=0)


class Holder(Document):
    __collection__ = "holders"
    name = StringField(db_field="n")
    age = IntField()
    place = EmbeddedDocumentField(Place)
    notes = ListField(EmbeddedDocumentField(Note))
    loose = ListField()
    data = JsonField()


STORED: dict[str, Any] = {
    "n": "a",
    "age": 1,
    "place": {"street": "Main", "c": "London", "zip": "N1"},
    "notes": [{"text": "x", "votes": 3, "extra": 1}, {"text": "y", "votes": 4}],
    "loose": [{"k": 1}],
    "legacy": {"a": 1},
}


async def stored() -> ObjectId:
    """A document written by another program (a key the model does not know included)."""
    result = await get_connection().collection("holders").insert_one(dict(STORED))
    return result.inserted_id  # type: ignore[no-any-return]


async def raw(identifier: Any) -> dict[str, Any] | None:
    return await get_connection().collection("holders").find_one({"_id": identifier})


async def test_partly_projected_list_is_never_set_whole(wire: CommandRecorder) -> None:
    identifier = await stored()
    for query in (Holder.objects.only("notes__text"), Holder.objects.exclude("notes__votes")):
        partial = await query.get(identifier)
        assert partial is not None
        partial.notes[0].text = "z"
        wire.clear()
        with pytest.raises(InvalidDocumentError) as raised:
            await partial.save()
        assert (raised.value.model, raised.value.field) == ("Holder", "notes")
        assert "notes." in str(raised.value) and "Nothing was written" in str(raised.value)
        assert wire.writes() == []
        assert await raw(identifier) == {"_id": identifier, **STORED}
    # A list of new items replaces the stored one: nothing loaded is dropped.
    partial = await Holder.objects.only("notes__text").get(identifier)
    assert partial is not None
    partial.notes = [Note(text="new")]
    wire.clear()
    await partial.save()
    assert wire.named("update")[0]["updates"][0]["u"] == {
        "$set": {"notes": [{"text": "new", "votes": 0}]}
    }


async def test_partly_projected_embedded_document_saves_its_changes_as_paths(
    wire: CommandRecorder,
) -> None:
    identifier = await stored()
    partial = await Holder.objects.only("place__street").get(identifier)
    assert partial is not None
    partial.place.city = "Paris"
    wire.clear()
    await partial.save()
    assert wire.named("update")[0]["updates"][0]["u"] == {"$set": {"place.c": "Paris"}}
    found = await raw(identifier)
    assert found is not None
    assert found["place"] == {"street": "Main", "c": "Paris", "zip": "N1"}
    # A partly projected JsonField may have changed in place: never set whole either.
    await (
        get_connection()
        .collection("holders")
        .update_one({"_id": identifier}, {"$set": {"data": {"a": 1, "b": 2}}})
    )
    partial = await Holder.objects.only("data__a").get(identifier)
    assert partial is not None
    partial.data["a"] = 5
    with pytest.raises(InvalidDocumentError, match=r"Holder\.data"):
        await partial.save()
    found = await raw(identifier)
    assert found is not None and found["data"] == {"a": 1, "b": 2}


async def test_changed_id_never_touches_another_document(wire: CommandRecorder) -> None:
    identifier = await stored()
    other = await Holder.objects.create(name="other")
    holder = await Holder.objects.get(identifier)
    assert holder is not None
    holder._id = other._id
    holder.age = 5
    wire.clear()
    with pytest.raises(InvalidDocumentError) as raised:
        await holder.save()
    assert (raised.value.model, raised.value.field) == ("Holder", "_id")
    assert str(identifier) in str(raised.value) and str(other._id) in str(raised.value)
    assert wire.writes() == []
    assert await raw(other._id) == {"_id": other._id, "n": "other", "notes": [], "loose": []}
    # delete() and reload() use the stored _id as well.
    await holder.reload()
    assert holder._id == identifier and holder.age == 1
    holder._id = other._id
    wire.clear()
    assert await holder.delete() == 1
    assert wire.named("delete")[0]["deletes"][0]["q"] == {"_id": identifier}
    assert await raw(other._id) is not None and await raw(identifier) is None


async def test_reload_drops_an_unsaved_del(wire: CommandRecorder) -> None:
    identifier = await stored()
    holder = await Holder.objects.get(identifier)
    assert holder is not None
    del holder.legacy
    await holder.reload()
    assert holder.legacy == {"a": 1}
    wire.clear()
    await holder.save()
    assert wire.writes() == []
    found = await raw(identifier)
    assert found is not None and found["legacy"] == {"a": 1}


async def test_concurrent_saves_of_one_document_write_it_once(wire: CommandRecorder) -> None:
    holder = Holder(name="g")
    await asyncio.gather(holder.save(), holder.save(), holder.save())
    assert wire.writes() == ["insert"]
    assert await get_connection().collection("holders").count_documents({}) == 1
    # Loaded and changed: the second save waits for the first, then has nothing to send.
    holder.age = 2
    wire.clear()
    await asyncio.gather(holder.save(), holder.save())
    assert [u["updates"][0]["u"] for u in wire.named("update")] == [{"$set": {"age": 2}}]
    found = await raw(holder._id)
    assert found is not None and found["age"] == 2


async def test_bulk_insert_of_one_document_twice_writes_nothing(wire: CommandRecorder) -> None:
    holder = Holder(name="twice")
    wire.clear()
    with pytest.raises(InvalidQueryError, match="more than once"):
        await Holder.objects.bulk_insert([holder, Holder(name="once"), holder])
    assert wire.writes() == []
    assert holder._id is None


@pytest.mark.parametrize(("name", "embedded_name"), [("a.b", "a.b"), ("$set", "$x"), ("n", "c")])
async def test_attribute_names_mongodb_would_misread_are_refused(
    wire: CommandRecorder, name: str, embedded_name: str
) -> None:
    identifier = await stored()
    holder = await Holder.objects.get(identifier)
    assert holder is not None
    setattr(holder, name, "value")  # "n" is the stored key of Holder.name, "c" of Place.city
    wire.clear()
    with pytest.raises(InvalidDocumentError) as raised:
        await holder.save()
    assert (raised.value.model, raised.value.field) == ("Holder", name)
    assert "'value'" in str(raised.value)
    assert wire.writes() == []
    assert await raw(identifier) == {"_id": identifier, **STORED}
    # on insert, and inside embedded documents too
    with pytest.raises(InvalidDocumentError, match=re.escape(f"Holder: attribute {name!r}")):
        await Holder(**{name: 1}).save()
    place = Place(street="s")
    setattr(place, embedded_name, 1)
    with pytest.raises(InvalidDocumentError, match=r"Holder\.place: Place: attribute"):
        await Holder(place=place).save()
    assert wire.writes() == []


async def test_clearing_a_field_the_projection_did_not_load_unsets_it(
    wire: CommandRecorder,
) -> None:
    identifier = await stored()
    partial = await Holder.objects.only("name").get(identifier)
    assert partial is not None
    partial.age = None
    del partial.place
    wire.clear()
    await partial.save()
    assert wire.named("update")[0]["updates"][0]["u"] == {"$unset": {"age": "", "place": ""}}
    found = await raw(identifier)
    assert found is not None and "age" not in found and "place" not in found
    assert found["notes"] == STORED["notes"]


async def test_untyped_list_items_changed_in_place_are_saved(wire: CommandRecorder) -> None:
    identifier = await stored()
    holder = await Holder.objects.get(identifier)
    assert holder is not None
    holder.loose[0]["k"] = 2
    wire.clear()
    await holder.save()
    assert wire.named("update")[0]["updates"][0]["u"] == {"$set": {"loose": [{"k": 2}]}}
    # and after an insert, whose SON becomes the stored state
    fresh = await Holder.objects.create(loose=[{"k": 1}])
    fresh.loose[0]["k"] = 3
    await fresh.save()
    found = await raw(fresh._id)
    assert found is not None and found["loose"] == [{"k": 3}]


async def test_batch_save_delete_save_keeps_the_order(wire: CommandRecorder) -> None:
    holder = Holder(name="b")
    async with BatchQuery() as batch:
        batch.save(holder)
        batch.delete(holder)
        holder.age = 3
        batch.save(holder)
    assert wire.writes() == ["insert", "delete", "insert"]
    found = await raw(holder._id)
    assert found is not None and found["age"] == 3


async def test_legacy_decimal_is_read_rounded_and_never_rewritten_unasked(
    wire: CommandRecorder,
) -> None:
    class Priced(Document):
        __collection__ = "priced"
        amount = DecimalField(precision=2)
        note = StringField()

    collection = get_connection().collection("priced")
    inserted = await collection.insert_one({"amount": "1.555", "note": "0.x", "cost": "2.345"})
    priced = await Priced.objects.get(inserted.inserted_id)
    assert priced is not None
    assert priced.amount == decimal.Decimal("1.56")  # rounded to precision on load
    priced.note = "read"
    wire.clear()
    await priced.save()
    # Rounding on load is no change: the stored digits stay until the field is assigned.
    assert wire.named("update")[0]["updates"][0]["u"] == {"$set": {"note": "read"}}
    assert await collection.find_one({"_id": inserted.inserted_id}) == {
        "_id": inserted.inserted_id,
        "amount": "1.555",
        "note": "read",
        "cost": "2.345",
    }
    priced.amount = priced.amount
    wire.clear()
    await priced.save()
    assert wire.named("update") == []  # the same value as loaded: still no change
    priced.amount = decimal.Decimal("1.555")
    await priced.save()
    found = await collection.find_one({"_id": inserted.inserted_id})
    assert found is not None and found["amount"] == Decimal128("1.56")


async def test_stored_values_of_another_shape_read_as_stored_and_stay(
    wire: CommandRecorder,
) -> None:
    class Odd(Document):
        __collection__ = "odd_shapes"
        tags = ListField(StringField())
        notes = ListField(EmbeddedDocumentField(Note))
        place = EmbeddedDocumentField(Place)
        blob = BinaryField()
        key = UUIDField()
        name = StringField()

    stored = {"tags": "ab", "notes": {"text": "x"}, "place": "Oslo", "blob": 5, "key": "nope"}
    collection = get_connection().collection("odd_shapes")
    inserted = await collection.insert_one(dict(stored))
    odd = await Odd.objects.get(inserted.inserted_id)
    assert odd is not None
    # Never reshaped: a string is not read as a list of its letters, nor 5 as five zero bytes.
    assert (odd.tags, odd.notes, odd.place, odd.blob, odd.key) == (
        "ab",
        {"text": "x"},
        "Oslo",
        5,
        "nope",
    )
    # Containers are checked on every save (they change in place): the save is refused with
    # every misshapen one named, and nothing is written.
    odd.name = "seen"
    wire.clear()
    with pytest.raises(InvalidDocumentError) as refused:
        await odd.save()
    assert set(refused.value.errors) == {"tags", "notes", "place"}
    assert "Odd.tags: invalid value 'ab'" in str(refused.value)
    assert wire.writes() == []
    odd.tags, odd.notes, odd.place = ["ab"], [], Place(city="Oslo")
    await odd.save()
    # Only what was assigned is written: the scalars of another type stay as stored.
    assert await collection.find_one({"_id": inserted.inserted_id}, {"_id": 0}) == {
        **stored,
        "tags": ["ab"],
        "notes": [],
        "place": {"c": "Oslo"},
        "name": "seen",
    }


async def test_values_bson_cannot_hold_are_refused_by_name_before_anything_is_sent(
    wire: CommandRecorder,
) -> None:
    class Loose(Document):
        __collection__ = "loose"
        items = ListField()
        name = StringField()

    stored = await Loose.objects.create(items=[1], name="kept")
    wire.clear()
    attempts = {
        "save": lambda: Loose(items=[2**64]).save(),
        "bulk_insert": lambda: Loose.objects.bulk_insert([Loose(items=[1]), Loose(items=[{1}])]),
        "undeclared": lambda: Loose(items=[1], extra=2**70).save(),
    }
    for what, attempt in attempts.items():
        with pytest.raises(InvalidDocumentError, match=r"cannot be stored") as refused:
            await attempt()
        assert refused.value.field == ("extra" if what == "undeclared" else "items"), what
    stored.items.append(-(2**64))
    with pytest.raises(InvalidDocumentError, match=r"Loose\.items: .* cannot be stored"):
        await stored.save()
    with pytest.raises(InvalidDocumentError, match=r"Loose\.items"):
        async with BatchQuery() as batch:
            batch.save(Loose(items=[2**64]))
    assert wire.writes() == []
    assert await Loose.objects.count() == 1


async def test_sub_fields_a_projection_left_out_raise_instead_of_reading_none(
    db: Database,
) -> None:
    from aiomotorengine import FieldNotLoadedError

    identifier = await stored()
    only = await Holder.objects.only("place__street", "notes__text").get(identifier)
    assert only is not None and only.place is not None and only.notes
    assert only.place.street == "Main"
    with pytest.raises(FieldNotLoadedError, match="city"):
        only.place.city  # noqa: B018 - stored as "London", not loaded
    assert only.notes[0].text == "x"
    with pytest.raises(FieldNotLoadedError, match="votes"):
        only.notes[1].votes  # noqa: B018 - stored as 4, not loaded: never the default 0

    excluded = await Holder.objects.exclude("place__city").get(identifier)
    assert excluded is not None and excluded.place is not None
    assert excluded.place.street == "Main" and excluded.name == "a"
    with pytest.raises(FieldNotLoadedError, match="city"):
        excluded.place.city  # noqa: B018

    # What was loaded can still change and is saved as a path; the rest stays as stored.
    only.place.street = "High"
    await only.save()
    document = await raw(identifier)
    assert document is not None
    assert document["place"] == {"street": "High", "c": "London", "zip": "N1"}
