"""Update definitions compiled without a server: conversion, operators and their checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from bson import Decimal128, ObjectId

from aiomotorengine import (
    DecimalField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    JsonField,
    ListField,
    ObjectIdField,
    StringField,
)
from aiomotorengine.query.update import compile_update


class UpAddress(EmbeddedDocument):
    street = StringField(db_field="st")


class UpPost(Document):
    title = StringField(db_field="t", required=True)
    views = IntField()
    score = FloatField()
    price = DecimalField()
    owner = ObjectIdField()
    tags = ListField(StringField())
    address = EmbeddedDocumentField(UpAddress)
    extra = JsonField()


class UpOther(Document):
    title = StringField()


def test_definition_with_names_and_fields_through_db_field() -> None:
    owner = ObjectId()
    assert compile_update(
        UpPost, {UpPost.title: "x", "owner": str(owner), "address__street": "Main"}
    ) == {"$set": {"t": "x", "owner": owner, "address.st": "Main"}}


def test_none_in_a_definition_unsets() -> None:
    assert compile_update(UpPost, {"views": None}) == {"$unset": {"views": ""}}


def test_mongoengine_operators() -> None:
    assert compile_update(
        UpPost,
        None,
        {"set__title": "x", "unset__views": True, "inc__score": 2, "push__tags": "a"},
    ) == {
        "$set": {"t": "x"},
        "$unset": {"views": ""},
        "$inc": {"score": 2.0},  # converted by the FloatField
        "$push": {"tags": "a"},
    }
    assert compile_update(UpPost, None, {"dec__views": 3}) == {"$inc": {"views": -3}}
    assert compile_update(UpPost, None, {"push_all__tags": ["a", "b"]}) == {
        "$push": {"tags": {"$each": ["a", "b"]}}
    }
    assert compile_update(UpPost, None, {"add_to_set__tags": ["a"]}) == {
        "$addToSet": {"tags": {"$each": ["a"]}}
    }
    assert compile_update(UpPost, None, {"pull_all__tags": ("a",)}) == {"$pullAll": {"tags": ["a"]}}
    assert compile_update(UpPost, None, {"pop__tags": -1}) == {"$pop": {"tags": -1}}
    assert compile_update(UpPost, None, {"min__views": 1, "max__score": 2}) == {
        "$min": {"views": 1},
        "$max": {"score": 2.0},
    }
    price = compile_update(UpPost, None, {"inc__price": Decimal("1.5")})["$inc"]["price"]
    assert isinstance(price, Decimal128) and price.to_decimal() == Decimal("1.5")
    assert compile_update(UpPost, None, {"dec__price": 2})["$inc"]["price"] == Decimal128("-2.00")


def test_inc_checks_the_field_type() -> None:
    # $inc on a string field would store a number in it
    with pytest.raises(InvalidDocumentError, match=r"UpPost\.title"):
        compile_update(UpPost, None, {"inc__title": 1})
    with pytest.raises(InvalidDocumentError, match=r"UpPost\.views: invalid value 1\.5"):
        compile_update(UpPost, None, {"inc__views": 1.5})
    # a form value converts as the field converts it; a non-number is still refused
    assert compile_update(UpPost, None, {"inc__views": "1"}) == {"$inc": {"views": 1}}
    with pytest.raises(InvalidDocumentError, match=r"UpPost\.views: invalid value 'one'"):
        compile_update(UpPost, None, {"inc__views": "one"})
    with pytest.raises(InvalidQueryError, match="inc__title needs a number, got '1'"):
        compile_update(UpPost, None, {"inc__title": "1"})
    with pytest.raises(InvalidQueryError, match="mul__views needs a number, got True"):
        compile_update(UpPost, None, {"mul__views": True})


@pytest.mark.parametrize(
    ("operation", "value"),
    [
        ("push__title", "x"),
        ("pull__views", 1),
        ("add_to_set__owner", ObjectId()),
        ("pop__address", 1),
        ("push_all__title", ["x"]),
        ("pull_all__views", [1]),
    ],
)
def test_array_operators_need_a_list_field(operation: str, value: Any) -> None:
    with pytest.raises(InvalidQueryError, match="needs a list field"):
        compile_update(UpPost, None, {operation: value})


def test_array_operators_on_schemaless_fields() -> None:
    assert compile_update(UpPost, None, {"push__extra__items": {"a": 1}}) == {
        "$push": {"extra.items": {"a": 1}}
    }


@pytest.mark.parametrize("value", [True, 2, 0, "1"])
def test_pop_takes_one_or_minus_one(value: Any) -> None:
    with pytest.raises(InvalidQueryError, match=r"pop__tags takes 1 \(last\) or -1 \(first\)"):
        compile_update(UpPost, None, {"pop__tags": value})


@pytest.mark.parametrize(
    ("definition", "operations"),
    [({"title": None}, {}), (None, {"unset__title": True}), (None, {"set__title": None})],
)
def test_removing_a_required_field_rejected(
    definition: dict[str, Any] | None, operations: dict[str, Any]
) -> None:
    with pytest.raises(InvalidQueryError, match=r"required field UpPost\.title"):
        compile_update(UpPost, definition, operations)


def test_two_changes_to_one_path_rejected() -> None:
    with pytest.raises(InvalidQueryError, match="changes 'tags' twice"):
        compile_update(UpPost, None, {"push__tags": "a", "pull__tags": "b"})
    with pytest.raises(InvalidQueryError, match=r"'address\.st' twice \(and 'address'\)"):
        compile_update(UpPost, {"address": UpAddress(street="a")}, {"set__address__street": "b"})
    with pytest.raises(InvalidQueryError, match="changes 't' twice"):
        compile_update(UpPost, {"title": "a"}, {"set__title": "b"})


def test_bad_keys_rejected() -> None:
    with pytest.raises(InvalidQueryError, match="not a field of this model"):
        compile_update(UpPost, {UpOther.title: "x"})
    with pytest.raises(InvalidQueryError, match="unknown update 'rename__title'"):
        compile_update(UpPost, None, {"rename__title": "x"})
    with pytest.raises(InvalidQueryError, match="unknown update 'set'"):
        compile_update(UpPost, None, {"set": "x"})
    with pytest.raises(InvalidQueryError, match=r"'\$set'"):
        compile_update(UpPost, {"$set": {"t": "x"}})
    with pytest.raises(InvalidQueryError, match="'nope'"):
        compile_update(UpPost, {"nope": 1})
    with pytest.raises(InvalidQueryError, match="bad update key 3"):
        compile_update(UpPost, {3: "x"})
    with pytest.raises(InvalidQueryError, match="needs at least one change"):
        compile_update(UpPost, {})


def test_values_rejected_with_model_field_and_value() -> None:
    with pytest.raises(
        InvalidDocumentError, match=r"UpPost\.title: invalid value \{'\$ne': None\}"
    ):
        compile_update(UpPost, {"title": {"$ne": None}})
    with pytest.raises(InvalidDocumentError, match=r"UpPost\.tags: invalid value 5"):
        compile_update(UpPost, None, {"push__tags": 5})


@pytest.mark.parametrize(
    ("definition", "operations"),
    [({"id": None}, {}), ({"_id": ObjectId()}, {}), (None, {"set__id": ObjectId()})],
)
def test_changing_the_id_is_refused_before_sending(
    definition: dict[str, Any] | None, operations: dict[str, Any]
) -> None:
    # Found by the property tests: the server refused it with a bare WriteError (code 66).
    with pytest.raises(InvalidQueryError, match="UpPost: update\\(\\) cannot change _id"):
        compile_update(UpPost, definition, operations)


def test_versioned_models_increment_their_version() -> None:
    class UpVersioned(Document):
        __versioned__ = True
        views = IntField()

    assert compile_update(UpVersioned, {"views": 1}) == {
        "$set": {"views": 1},
        "$inc": {"_v": 1},
    }
    assert "$inc" not in compile_update(UpPost, {"title": "x"})
