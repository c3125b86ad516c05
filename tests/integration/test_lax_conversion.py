"""Lossless conversion of web-form values (``"30"`` for an int) at construction, assignment,
filters and updates; ``strict`` fields and models that refuse it; every bad field reported at
once."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import pytest

from aiomotorengine import (
    BooleanField,
    Database,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    ListField,
    PasswordField,
    StringField,
    UUIDField,
)


class LaxAddress(EmbeddedDocument):
    zip = IntField(min_value=0)
    city = StringField(max_length=10)


class LaxPerson(Document):
    __collection__ = "lax_people"
    name = StringField(required=True, max_length=20)
    age = IntField(min_value=0)
    height = FloatField()
    active = BooleanField()
    born = DateTimeField()
    token = UUIDField()
    scores = ListField(IntField())
    address = EmbeddedDocumentField(LaxAddress)
    password = PasswordField()


class StrictPerson(Document):
    __collection__ = "strict_people"
    __strict__ = True
    age = IntField()
    active = BooleanField()
    lax_age = IntField(strict=False)


FORM = {
    "name": "Ada",
    "age": " 36 ",
    "height": "1.68",
    "active": "on",
    "born": "1815-12-10T09:30:00Z",
    "token": "12345678-1234-5678-1234-567812345678",
    "scores": ["1", 2, "3"],
    "address": {"zip": "0042", "city": "London"},
}


async def test_form_strings_convert_and_are_stored_as_their_types(db: Database) -> None:
    person = await LaxPerson.objects.create(**FORM)
    assert person.age == 36 and person.height == 1.68 and person.active is True
    assert person.born == datetime.datetime(1815, 12, 10, 9, 30, tzinfo=datetime.timezone.utc)
    assert person.token == uuid.UUID(FORM["token"])
    assert person.scores == [1, 2, 3]
    assert person.address is not None and person.address.zip == 42

    stored = await db["lax_people"].find_one({"_id": person._id})
    assert stored is not None
    assert stored["age"] == 36 and type(stored["age"]) is int
    assert stored["height"] == 1.68 and stored["active"] is True
    assert stored["born"] == datetime.datetime(1815, 12, 10, 9, 30)
    assert stored["scores"] == [1, 2, 3] and stored["address"] == {"zip": 42, "city": "London"}


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ({"age": "36"}, 1),
        ({"age__gte": "30", "age__lt": "40"}, 1),
        ({"age__in": ["1", "36"]}, 1),
        ({"active": "TRUE"}, 1),
        ({"active": "no"}, 0),
        ({"height__gt": "1.5"}, 1),
        ({"born__lt": "1900-01-01"}, 1),
        ({"born": "1815-12-10 09:30:00"}, 1),
        ({"scores": "2"}, 1),
        ({"address__zip": "42"}, 1),
    ],
)
async def test_filter_values_from_query_strings_convert(
    db: Database, keywords: dict[str, Any], expected: int
) -> None:
    await LaxPerson.objects.create(**FORM)
    await LaxPerson.objects.create(name="Other", age=5, active=False, born="2000-01-01")
    matching = await LaxPerson.objects.filter(**keywords).find_all()
    assert len([p for p in matching if p.name == "Ada"]) == expected


async def test_update_values_convert(db: Database) -> None:
    person = await LaxPerson.objects.create(name="Ada")
    result = await LaxPerson.objects.filter(_id=person._id).update(
        set__age="41", push__scores="7", set__active="off"
    )
    assert result.count == 1
    stored = await db["lax_people"].find_one({"_id": person._id})
    assert stored is not None
    assert stored["age"] == 41 and stored["scores"] == [7] and stored["active"] is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", "36.5"),
        ("age", 36.5),
        ("age", "thirty"),
        ("age", "1e3"),
        ("age", ["36"]),
        ("age", {"$gt": 1}),
        ("height", "nan"),
        ("height", float("inf")),
        ("height", 2**60 + 1),
        ("active", "maybe"),
        ("active", 2),
        ("born", "yesterday"),
        ("born", 1_700_000_000),
    ],
)
async def test_lossy_or_foreign_values_are_refused_and_nothing_is_written(
    db: Database, field: str, value: Any
) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        await LaxPerson.objects.create(name="Ada", **{field: value})
    assert raised.value.model == "LaxPerson" and raised.value.field == field
    assert f"LaxPerson.{field}" in str(raised.value)
    assert await db["lax_people"].count_documents({}) == 0


async def test_a_lossy_filter_value_is_refused(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match=r"LaxPerson\.age"):
        await LaxPerson.objects.filter(age="36.5").find_all()
    with pytest.raises(InvalidQueryError, match=r"LaxPerson\.age"):
        await LaxPerson.objects.filter(age={"$ne": None}).find_all()


async def test_strict_models_and_fields_refuse_conversion(db: Database) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        StrictPerson(age="36", active="true")
    assert set(raised.value.errors) == {"age", "active"}
    with pytest.raises(InvalidQueryError, match=r"StrictPerson\.age"):
        await StrictPerson.objects.filter(age="36").find_all()
    person = await StrictPerson.objects.create(age=36, active=True, lax_age="7")
    assert person.lax_age == 7  # the field chose for itself
    with pytest.raises(InvalidDocumentError):
        person.age = 36.0  # type: ignore[assignment]
    with pytest.raises(InvalidDocumentError):
        await StrictPerson.objects.filter(_id=person._id).update(set__age="37")


async def test_every_bad_field_is_reported_at_once(db: Database) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        LaxPerson(
            name="x" * 21,
            age="-1",
            active="maybe",
            address={"zip": "abc", "city": "Springfield, a very long name"},
            password="",
        )
    error = raised.value
    assert set(error.errors) == {"name", "age", "active", "address.zip", "address.city"} | {
        "password"
    }
    assert error.model == "LaxPerson"
    message = str(error)
    assert "6 invalid fields" in message
    for path in ("LaxPerson.name", "LaxPerson.age", "LaxPerson.active", "LaxPerson.password"):
        assert path in message
    assert "LaxAddress.zip" in error.errors["address.zip"]
    assert await db["lax_people"].count_documents({}) == 0


async def test_save_and_validate_report_every_bad_field(db: Database) -> None:
    person = LaxPerson(scores=[1])
    person.scores.append("x")  # type: ignore[union-attr, arg-type]
    with pytest.raises(InvalidDocumentError) as raised:
        await person.save()
    assert set(raised.value.errors) == {"name", "scores"}
    with pytest.raises(InvalidDocumentError) as raised:
        person.validate()
    assert set(raised.value.errors) == {"name", "scores"}
    assert await db["lax_people"].count_documents({}) == 0


async def test_passwords_never_appear_in_errors(db: Database) -> None:
    secret = "hunter2-secret"
    with pytest.raises(InvalidDocumentError) as raised:
        LaxPerson(name=None, age="old", password=12345)  # type: ignore[arg-type]
    assert "12345" not in str(raised.value)
    assert all("12345" not in message for message in raised.value.errors.values())
    person = LaxPerson(name="Ada", password=secret)
    assert secret not in repr(person) and secret not in repr(person.password)


def test_decimal_and_integral_values_convert_to_int() -> None:
    person = LaxPerson(name="x", age=decimal.Decimal("30"))
    assert person.age == 30 and type(person.age) is int
    person.age = 31.0  # type: ignore[assignment]
    assert person.age == 31 and type(person.age) is int
