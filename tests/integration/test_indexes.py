"""Indexes against a server: ensure_index, and UniqueKeyViolationError on every write path.
Declarations compiled without a server are in ``tests/management/test_index_declarations.py``."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING, GEOSPHERE
from pymongo.errors import OperationFailure

from aiomotorengine import (
    Database,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    Index,
    IntField,
    PointField,
    StringField,
    UniqueKeyViolationError,
    ensure_indexes,
)
from aiomotorengine.management import index_models
from aiomotorengine.queryset.driver_errors import index_build_violation, is_duplicate_key


class Address(EmbeddedDocument):
    code = StringField(db_field="c", unique=True, sparse=True)


class Person(Document):
    __collection__ = "idx_people"
    __indexes__ = [
        Index(("last_name", ASCENDING), ("first_name", DESCENDING), unique=True, sparse=True),
        Index("created", expire_after_seconds=3600),
        Index("nickname", unique=True, partial_filter={"age__gte": 18}),
        Index("-age", name="by_age_desc"),
    ]
    first_name = StringField(db_field="fn")
    last_name = StringField(db_field="ln")
    email = StringField(unique=True)
    handle = StringField(sparse=True)
    nickname = StringField()
    age = IntField()
    created = DateTimeField()
    address = EmbeddedDocumentField(Address)


class Plain(Document):
    __collection__ = "idx_plain"
    name = StringField()
    where = PointField(index=False)


async def _indexes(db: Database, collection: str) -> dict[str, dict[str, Any]]:
    return await db.collection(collection).index_information()


async def test_ensure_index_creates_what_the_model_declares_idempotently(db: Database) -> None:
    assert await Person.ensure_index() == 7
    assert await Person.objects.ensure_index() == 7  # idempotent: no error, same count
    info = await _indexes(db, "idx_people")
    assert set(info) == {
        "_id_",
        "email_1",
        "handle_1",
        "address.c_1",
        "ln_1_fn_-1",
        "created_1",
        "nickname_1",
        "by_age_desc",
    }
    assert info["email_1"]["unique"] is True
    assert info["handle_1"].get("sparse") is True
    assert info["ln_1_fn_-1"]["unique"] is True
    assert info["created_1"]["expireAfterSeconds"] == 3600
    assert info["nickname_1"]["partialFilterExpression"] == {"age": {"$gte": 18}}


async def test_the_first_save_creates_what_the_model_declares(db: Database) -> None:
    await Person.objects.create(email="a@x.org")
    assert len(await _indexes(db, "idx_people")) == 1 + 7  # _id_ and the seven declared


async def test_model_without_declarations_creates_nothing(db: Database) -> None:
    await Plain.objects.create(name="x")
    assert await ensure_indexes(Plain) == 0
    assert set(await _indexes(db, "idx_plain")) == {"_id_"}


async def test_conflicting_existing_index_surfaces_the_driver_error(db: Database) -> None:
    await db.collection("idx_people").create_index("email")  # same key, not unique
    with pytest.raises(OperationFailure):
        await Person.ensure_index()


async def test_stored_duplicates_make_ensure_index_name_model_fields_and_value(
    db: Database,
) -> None:
    await db.collection("idx_people").insert_many([{"email": "twice"}, {"email": "twice"}])
    with pytest.raises(UniqueKeyViolationError) as error:
        await Person.ensure_index()
    assert error.value.model == "Person"
    assert error.value.fields == ("email",)
    assert error.value.key_value == {"email": "twice"}
    assert "cannot create the unique index on email" in str(error.value)
    assert "email='twice'" in str(error.value)


def test_an_aborted_index_build_carrying_the_duplicate_key_is_recognised() -> None:
    # Some servers report stored duplicates under another code (an aborted build), with the key.
    aborted = OperationFailure(
        "Index build failed",
        code=276,
        details={"code": 276, "keyPattern": {"fn": 1}, "keyValue": {"fn": "Ada"}},
    )
    assert is_duplicate_key(aborted)
    error = index_build_violation(Person, aborted)
    assert (error.model, error.fields, error.key_value) == (
        "Person",
        ("first_name",),
        {"fn": "Ada"},
    )
    assert "first_name='Ada'" in str(error)
    assert not is_duplicate_key(OperationFailure("index options conflict", code=85))


async def test_partial_unique_index_applies_only_to_matching_documents(db: Database) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="a@x", nickname="kid", age=10)
    await Person.objects.create(email="b@x", nickname="kid", age=11)  # outside the filter
    await Person.objects.create(email="c@x", nickname="kid", age=30)
    with pytest.raises(UniqueKeyViolationError, match="nickname"):
        await Person.objects.create(email="d@x", nickname="kid", age=40)


# --- UniqueKeyViolationError on every write path ----------------------------------------------
async def test_unique_violation_on_insert_names_model_field_and_value(db: Database) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="ada@x.org")
    duplicate = Person(email="ada@x.org")
    with pytest.raises(UniqueKeyViolationError) as error:
        await duplicate.save()
    assert error.value.model == "Person"
    assert error.value.fields == ("email",)
    assert error.value.key_value == {"email": "ada@x.org"}
    assert "Person" in str(error.value) and "email='ada@x.org'" in str(error.value)
    assert duplicate._id is None and not duplicate._state.persisted
    assert await Person.objects.count() == 1


async def test_unique_violation_on_compound_index_uses_attribute_names(db: Database) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="1", first_name="Ada", last_name="Lovelace")
    with pytest.raises(UniqueKeyViolationError) as error:
        await Person.objects.create(email="2", first_name="Ada", last_name="Lovelace")
    assert error.value.fields == ("last_name", "first_name")
    assert "last_name='Lovelace'" in str(error.value)


async def test_unique_violation_inside_embedded_document_names_the_path(db: Database) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="1", address=Address(code="X1"))
    with pytest.raises(UniqueKeyViolationError) as error:
        await Person.objects.create(email="2", address=Address(code="X1"))
    assert error.value.fields == ("address.code",)


async def test_unique_violation_on_delta_save(db: Database) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="a@x")
    other = await Person.objects.create(email="b@x", age=3)
    other.email = "a@x"
    other.age = 4
    with pytest.raises(UniqueKeyViolationError) as error:
        await other.save()
    assert error.value.fields == ("email",)
    raw = await db.collection("idx_people").find_one({"_id": other._id})
    assert raw is not None and raw["email"] == "b@x" and raw["age"] == 3


@pytest.mark.parametrize("many", [False, True])
async def test_unique_violation_on_update(db: Database, many: bool) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="a@x")
    await Person.objects.create(email="b@x")
    queryset = Person.objects.filter(email="b@x")
    with pytest.raises(UniqueKeyViolationError) as error:
        if many:
            await queryset.update({"email": "a@x"})
        else:
            await queryset.update_one(set__email="a@x")
    assert error.value.model == "Person" and error.value.fields == ("email",)


async def test_unique_violation_on_bulk_insert(db: Database) -> None:
    await Person.ensure_index()
    await Person.objects.create(email="taken")
    with pytest.raises(UniqueKeyViolationError) as error:
        await Person.objects.bulk_insert([Person(email="new"), Person(email="taken")])
    assert error.value.fields == ("email",)
    assert error.value.key_value == {"email": "taken"}


async def test_unique_violation_within_one_bulk_insert(db: Database) -> None:
    await Person.ensure_index()
    with pytest.raises(UniqueKeyViolationError, match="email"):
        await Person.objects.bulk_insert([Person(email="same"), Person(email="same")])


class Place(Document):
    __collection__ = "idx_places"
    location = PointField()


async def test_geojson_field_declares_a_2dsphere_index(db: Database) -> None:
    assert [list(m.document["key"].items()) for m in index_models(Place)] == [
        [("location", GEOSPHERE)]
    ]
    assert await Place.ensure_index() == 1
    info = await _indexes(db, "idx_places")
    assert info["location_2dsphere"]["key"] == [("location", "2dsphere")]


@pytest.mark.mongodb_only(
    reason="SecantusDB rejects re-creating an identical 2dsphere index (code 86: it compares "
    "the stored 2dsphereIndexVersion with the request, mongod does not)"
)
async def test_ensure_index_with_a_geo_index_is_idempotent(db: Database) -> None:
    assert await Place.ensure_index() == 1
    assert await Place.ensure_index() == 1
