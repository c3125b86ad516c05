"""Server-side schema: ``__validator__ = True`` and ``ensure_index()``/``sync_indexes()``.

The collection gets ``Model.bson_schema()`` as its ``$jsonSchema`` validator (created with it,
or changed with ``collMod``); the server then refuses what the model forbids from any writer
(plain PyMongo here), while everything the ODM itself writes passes.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import WriteError

from aiomotorengine import (
    BinaryField,
    BooleanField,
    Database,
    DateTimeField,
    DecimalField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    JsonField,
    ListField,
    PasswordField,
    PointField,
    ReferenceField,
    StringField,
    UUIDField,
    get_connection,
    sync_indexes,
)

_VALIDATION_FAILED = 121


class Tag(EmbeddedDocument):
    label = StringField(required=True, max_length=10)
    weight = FloatField(min_value=0)


class Product(Document):
    __collection__ = "validated_products"
    __validator__ = True
    __versioned__ = True
    name = StringField(required=True, max_length=20, db_field="n")
    stock = IntField(min_value=0)
    size = StringField(choices=("S", "M", "L"))
    price = DecimalField(min_value=0)
    ratio = FloatField()
    added = DateTimeField()
    active = BooleanField()
    blob = BinaryField()
    code = UUIDField()
    secret = PasswordField()
    tags = ListField(EmbeddedDocumentField(Tag))
    main_tag = EmbeddedDocumentField(Tag)
    parent = ReferenceField("Product")
    place = PointField(index=False)  # re-creating a 2dsphere index fails on SecantusDB
    extra = JsonField()


class Unvalidated(Document):
    __collection__ = "unvalidated_products"
    name = StringField(required=True)


async def collection_options(name: str) -> dict[str, Any]:
    result = await get_connection().database.command(
        {"listCollections": 1, "filter": {"name": name}}
    )
    batch = result["cursor"]["firstBatch"]
    return batch[0].get("options", {}) if batch else {}


def a_full_product() -> Product:
    return Product(
        name="widget",
        stock=3,
        size="M",
        price=decimal.Decimal("9.99"),
        ratio=2.5,
        added=datetime.datetime(2024, 1, 2, 3, 4, 5),
        active=True,
        blob=b"\x00\x01",
        code=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        secret="s3cret",
        tags=[Tag(label="new", weight=1.0), Tag(label="sale")],
        main_tag=Tag(label="top"),
        parent=ObjectId(),
        place=[2.35, 48.85],
        extra={"any": ["json", 1]},
    )


async def test_ensure_index_creates_the_collection_with_the_validator(db: Database) -> None:
    assert await collection_options("validated_products") == {}
    await Product.ensure_index()
    options = await collection_options("validated_products")
    assert options["validator"] == {"$jsonSchema": Product.bson_schema()}
    assert (options["validationLevel"], options["validationAction"]) == ("moderate", "error")
    await Product.ensure_index()  # idempotent
    assert (await collection_options("validated_products"))["validator"] == options["validator"]


async def test_everything_the_odm_writes_passes(db: Database) -> None:
    await Product.ensure_index()
    full = a_full_product()
    await full.save()
    minimal = Product(name="bare")
    await minimal.save()
    loaded = await Product.objects.get(full._id)
    assert loaded is not None
    loaded.stock = 2**40  # stored as a 64-bit int
    loaded.ratio = 3  # an int for a float field
    loaded.tags.append(Tag(label="more"))
    loaded.size = None
    await loaded.save()
    await Product.objects.filter(id=minimal._id).update(set__stock=1, push__tags=Tag(label="x"))
    assert await Product.objects.count() == 2


@pytest.mark.parametrize(
    "bad",
    [
        {},  # the required name is missing
        {"n": ""},  # required: an empty string is no value
        {"n": "x" * 21},
        {"n": 5},
        {"n": "ok", "stock": -1},
        {"n": "ok", "stock": "3"},
        {"n": "ok", "size": "XL"},
        {"n": "ok", "price": 9.99},  # a double, not a decimal
        {"n": "ok", "added": "2024-01-02"},
        {"n": "ok", "code": "12345678-1234-5678-1234-567812345678"},
        {"n": "ok", "tags": [{"weight": 1.0}]},  # an embedded document without its label
        {"n": "ok", "tags": ["new"]},
        {"n": "ok", "main_tag": {"label": "x", "weight": -1.0}},
        {"n": "ok", "parent": "not-an-id"},
        {"n": "ok", "place": {"type": "Polygon", "coordinates": []}},
        {"n": "ok", "_v": "one"},
        {"n": None},
    ],
)
async def test_a_raw_write_breaking_the_model_is_refused_by_the_server(
    db: Database, bad: dict[str, Any]
) -> None:
    await Product.ensure_index()
    collection = get_connection().collection("validated_products")
    with pytest.raises(WriteError) as raised:
        await collection.insert_one(dict(bad))
    assert raised.value.code == _VALIDATION_FAILED
    assert await collection.count_documents({}) == 0


async def test_raw_updates_are_checked_too_and_unknown_keys_are_allowed(db: Database) -> None:
    await Product.ensure_index()
    collection = get_connection().collection("validated_products")
    inserted = await collection.insert_one({"n": "raw", "from_elsewhere": {"any": "thing"}})
    with pytest.raises(WriteError) as raised:
        await collection.update_one({"_id": inserted.inserted_id}, {"$set": {"stock": -5}})
    assert raised.value.code == _VALIDATION_FAILED
    with pytest.raises(WriteError):
        await collection.update_one({"_id": inserted.inserted_id}, {"$unset": {"n": ""}})
    found = await collection.find_one({"_id": inserted.inserted_id})
    assert found is not None and found["n"] == "raw" and "stock" not in found


async def test_existing_collection_gets_it_with_coll_mod_and_old_documents_stay_writable(
    db: Database,
) -> None:
    collection = get_connection().collection("validated_products")
    # Stored before the validator, invalid under it (0.x stored decimals as strings).
    legacy = await collection.insert_one({"n": "legacy", "price": "1.50"})
    await sync_indexes([Product, Unvalidated])
    assert "validator" in await collection_options("validated_products")
    assert "validator" not in await collection_options("unvalidated_products")
    product = await Product.objects.get(legacy.inserted_id)
    assert product is not None and product.price == decimal.Decimal("1.50")
    product.stock = 4  # validationLevel "moderate": an invalid old document can be saved
    await product.save()
    with pytest.raises(WriteError):
        await collection.insert_one({"n": "new", "price": "1.50"})


async def test_models_without_the_opt_in_get_no_validator(db: Database) -> None:
    await Unvalidated.objects.create(name="a")
    await Unvalidated.ensure_index()
    assert "validator" not in await collection_options("unvalidated_products")
    await get_connection().collection("unvalidated_products").insert_one({"name": 5})
