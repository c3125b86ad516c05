"""``Model.bson_schema()``: MongoDB's ``$jsonSchema`` of stored documents (no server needed).

It differs from ``json_schema()`` (the JSON form of ``to_dict``): BSON types instead of JSON
ones, stored keys (``db_field``) instead of attribute names, ``_id`` instead of ``id``, and
``null`` for optional fields as one more BSON type. Keys the model does not declare are allowed.
"""

from __future__ import annotations

from decimal import Decimal

from bson.decimal128 import Decimal128

from aiomotorengine import (
    BinaryField,
    BooleanField,
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
)


class Street(EmbeddedDocument):
    name = StringField(required=True)
    number = IntField(min_value=1, db_field="no")


class Category(EmbeddedDocument):
    title = StringField()
    children = ListField(EmbeddedDocumentField("Category"))


class Shop(Document):
    __collection__ = "shops"
    name = StringField(required=True, max_length=40, db_field="n")
    rating = IntField(min_value=0, max_value=5)
    size = StringField(choices=("S", "M"))
    price = DecimalField(min_value=Decimal("0.5"))
    weight = FloatField()
    opened = DateTimeField()
    open = BooleanField(default=True)
    logo = BinaryField()
    key = UUIDField()
    secret = PasswordField()
    street = EmbeddedDocumentField(Street)
    tags = ListField(StringField(max_length=8), required=True)
    categories = ListField(EmbeddedDocumentField(Category))
    owner = ReferenceField("Shop")
    location = PointField()
    extra = JsonField()


class VersionedShop(Document):
    __collection__ = "versioned_shops"
    __versioned__ = True
    name = StringField()


def test_stored_keys_bson_types_and_nullable_optionals() -> None:
    schema = Shop.bson_schema()
    assert schema["title"] == "Shop" and schema["bsonType"] == "object"
    assert "additionalProperties" not in schema  # keys the model does not declare are fine
    assert schema["required"] == ["n", "tags"]
    properties = schema["properties"]
    assert properties["_id"] == {"bsonType": "objectId"}
    assert properties["n"] == {"bsonType": "string", "maxLength": 40, "minLength": 1}
    assert properties["rating"] == {
        "bsonType": ["int", "long", "null"],
        "minimum": 0,
        "maximum": 5,
    }
    assert properties["size"] == {"bsonType": ["string", "null"], "enum": ["S", "M", None]}
    assert properties["price"] == {"bsonType": ["decimal", "null"], "minimum": Decimal128("0.5")}
    assert properties["weight"] == {"bsonType": ["double", "int", "long", "null"]}
    assert properties["opened"] == {"bsonType": ["date", "null"]}
    assert properties["open"] == {"bsonType": ["bool", "null"]}
    assert properties["logo"] == properties["key"] == {"bsonType": ["binData", "null"]}
    assert properties["secret"] == {"bsonType": ["string", "null"], "minLength": 1}
    assert properties["owner"] == {"bsonType": ["objectId", "null"]}
    assert properties["tags"] == {
        "bsonType": "array",
        "items": {"bsonType": ["string", "null"], "maxLength": 8},
        "minItems": 1,
    }
    assert properties["location"]["properties"]["type"] == {"enum": ["Point"]}
    assert "null" in properties["extra"]["bsonType"]


def test_embedded_documents_are_nested_by_stored_key_and_recursion_stops() -> None:
    properties = Shop.bson_schema()["properties"]
    assert properties["street"] == {
        "bsonType": ["object", "null"],
        "required": ["name"],
        "properties": {
            "name": {"bsonType": "string", "minLength": 1},
            "no": {"bsonType": ["int", "long", "null"], "minimum": 1},
        },
    }
    category = properties["categories"]["items"]
    assert category["properties"]["children"]["items"] == {"bsonType": ["object", "null"]}


def test_versioned_models_declare_their_version_key() -> None:
    properties = VersionedShop.bson_schema()["properties"]
    assert properties["_v"] == {"bsonType": ["int", "long"]}
    assert "_v" not in Shop.bson_schema()["properties"]
