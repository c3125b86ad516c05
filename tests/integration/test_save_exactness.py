"""Saves write exactly what changed, in the stored types: found by an adversarial review and
pinned here (each test fails without its fix)."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BatchQuery,
    BinaryField,
    Database,
    Document,
    FloatField,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    JsonField,
    ListField,
    ReferenceField,
    StringField,
    UniqueKeyViolationError,
)
from aiomotorengine.testing import CommandRecorder


class Scored(Document):
    __collection__ = "exact_scored"
    name = StringField()
    score = FloatField(default=0)
    settings = JsonField()
    flags = ListField(JsonField())


class Owner(Document):
    __collection__ = "exact_owners"
    name = StringField()


class Pet(Document):
    __collection__ = "exact_pets"
    name = StringField(unique=True)
    note = StringField()
    site = StringField()
    owner = ReferenceField(Owner)
    photo = BinaryField()


def updates(recorder: CommandRecorder) -> list[dict[str, Any]]:
    return [entry["u"] for command in recorder.named("update") for entry in command["updates"]]


async def test_reading_an_int_stored_in_a_float_field_writes_nothing_back(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    created = await Scored.objects.create(name="a")
    stored = await db["exact_scored"].find_one({"_id": created.id})
    assert stored is not None and stored["score"] == 0.0 and type(stored["score"]) is float
    await db["exact_scored"].update_one({"_id": created.id}, {"$set": {"score": 3}})
    loaded = await Scored.objects.get(created.id)
    assert loaded is not None and loaded.score == 3.0  # read: an int loads as a float
    await Scored.objects.filter(_id=created.id).update(inc__score=2.5)  # another writer
    recorder.clear()
    loaded.name = "b"
    await loaded.save()
    assert updates(recorder) == [{"$set": {"name": "b"}}]
    after = await db["exact_scored"].find_one({"_id": created.id})
    assert after is not None and after["score"] == 5.5


def test_constant_defaults_are_converted_and_checked_when_the_class_is_created() -> None:
    class Converted(Document):
        __collection__ = "exact_converted"
        count = IntField(default="3")
        ratio = FloatField(default=1)

    document = Converted()
    assert document.count == 3 and type(document.count) is int
    assert document.ratio == 1.0 and type(document.ratio) is float
    with pytest.raises(InvalidDocumentError, match=r"Bad\.kind: invalid default 'zzz'"):

        class Bad(Document):
            kind = StringField(default="zzz", choices=["a", "b"])


async def test_a_change_of_type_only_is_a_change(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    created = await Scored.objects.create(settings={"enabled": 1}, flags=[1, 0])
    loaded = await Scored.objects.get(created.id)
    assert loaded is not None
    loaded.settings = {"enabled": True}
    loaded.flags = [True, False, 5]
    recorder.clear()
    await loaded.save()
    assert updates(recorder) == [
        {"$set": {"settings": {"enabled": True}, "flags": [True, False, 5]}}
    ]
    stored = await db["exact_scored"].find_one({"_id": created.id})
    assert stored is not None and stored["settings"] == {"enabled": True}
    assert [type(flag) for flag in stored["flags"]] == [bool, bool, int]


async def test_a_batch_never_marks_saved_a_save_that_matched_nothing(db: Database) -> None:
    gone = await Pet.objects.create(name="gone")
    await Pet.objects.create(name="taken")
    loaded = await Pet.objects.get(gone.id)
    assert loaded is not None
    await db["exact_pets"].delete_one({"_id": gone.id})  # deleted meanwhile
    loaded.note = "important"
    with pytest.raises(UniqueKeyViolationError):
        async with BatchQuery() as batch:
            batch.save(loaded)  # matches nothing
            batch.create(Pet, name="taken")  # then fails
    assert loaded._changes() is not None  # still unsaved, not silently dropped


async def test_get_or_create_returns_what_was_stored(db: Database) -> None:
    pet, created = await Pet.objects.filter(site="blog").get_or_create(name="rex")
    assert created and pet.site == "blog"  # the queryset's own filter was stored too
    pet.site = None
    await pet.save()
    stored = await db["exact_pets"].find_one({"_id": pet.id})
    assert stored is not None and "site" not in stored

    wanted = ObjectId()
    chosen, created = await Pet.objects.get_or_create(id=str(wanted))
    assert created and chosen.id == wanted
    again, created = await Pet.objects.get_or_create(pk=wanted)
    assert not created and again.id == wanted


async def test_from_dict_reads_what_to_dict_json_writes(db: Database) -> None:
    pet = await Pet.objects.create(name="bytes", photo=b"\x00\xff")
    copy = Pet.from_dict({**pet.to_dict(json=True), "id": None, "name": "copy"})
    assert copy.photo == b"\x00\xff"
    with pytest.raises(InvalidDocumentError) as raised:
        Pet.from_dict({"photo": "not base64!"})
    assert set(raised.value.errors) == {"photo"}


@pytest.mark.parametrize("name", ["save", "reload", "_state", "__class__", "objects"])
def test_data_cannot_replace_methods_or_state(name: str) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        Pet(**{name: "x"})
    assert raised.value.field == name
    with pytest.raises(InvalidDocumentError):
        Pet.from_dict({name: "x"}, allow_extra=True)


async def test_writes_refuse_filters_through_references(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match="modify"):
        await Pet.objects.filter(owner__name="Ada").modify(set__note="x")
    with pytest.raises(InvalidQueryError, match="get_or_create"):
        await Pet.objects.get_or_create(owner__name="Ada")
