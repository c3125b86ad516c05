"""``TypedDocument`` and ``TypedEmbeddedDocument`` only tell type checkers about the constructor:
at runtime they build, validate and compare exactly as ``Document`` and ``EmbeddedDocument``."""

from __future__ import annotations

import pytest
from bson import ObjectId

from aiomotorengine import (
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    StringField,
    TypedDocument,
    TypedEmbeddedDocument,
)


class Office(TypedEmbeddedDocument):
    city: StringField[str] = StringField(required=True)


class Clerk(TypedDocument):
    __collection__ = "clerks"
    name: StringField[str] = StringField(required=True)
    age: IntField[int | None] = IntField()
    office: EmbeddedDocumentField[Office | None] = EmbeddedDocumentField(Office)


def test_annotated_fields_are_the_fields() -> None:
    assert list(Clerk._fields) == ["_id", "name", "age", "office"]
    assert Clerk.__collection__ == "clerks"
    assert Clerk.name.required and isinstance(Clerk.name, StringField)


def test_the_constructor_is_the_documents() -> None:
    identifier = ObjectId()
    clerk = Clerk(_id=identifier, name="Ada", age="36", office={"city": "London"})
    assert clerk.id == identifier and clerk.age == 36 and clerk.office == Office(city="London")
    loose = Clerk(nickname="countess")
    assert loose.nickname == "countess"
    with pytest.raises(InvalidDocumentError, match=r"Clerk\.name is required"):
        loose.validate()


def test_documents_compare_by_id() -> None:
    identifier = ObjectId()
    assert Clerk(_id=identifier, name="a") == Clerk(_id=identifier, name="b")
    assert Clerk(name="a") != Clerk(name="a")
