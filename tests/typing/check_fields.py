"""What a type checker reads from each field: required fields and fields with a default are not
optional, other fields are; the class attribute is the field itself. Checked by mypy and
basedpyright (``make typecheck``); an ignore comment marks an expected error, and an unused one
fails the check."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from bson import ObjectId
from typing_extensions import assert_type

from aiomotorengine import (
    BinaryField,
    BooleanField,
    DateTimeField,
    DecimalField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    HashedPassword,
    IntField,
    JsonField,
    LineStringField,
    ListField,
    ObjectIdField,
    PasswordField,
    PointField,
    PolygonField,
    ReferenceField,
    StringField,
    URLField,
    UUIDField,
)


def _now() -> datetime.datetime:
    return datetime.datetime(2024, 5, 1)


class Address(EmbeddedDocument):
    city = StringField(required=True)


class Author(Document):
    name = StringField(required=True)


class Everything(Document):
    text = StringField()
    text_required = StringField(required=True, max_length=40)
    text_default = StringField(default="untitled")
    text_factory = StringField(default=lambda: "generated")
    email = EmailField()
    email_required = EmailField(required=True)
    url = URLField()
    url_default = URLField(default="https://example.com")
    count = IntField(min_value=0)
    count_required = IntField(0, 10, required=True)
    count_default = IntField(default=0)
    ratio = FloatField()
    ratio_default = FloatField(default=1.0, allow_inf_nan=True)
    flag = BooleanField()
    flag_default = BooleanField(default=False)
    when = DateTimeField(auto_now_on_insert=True)
    when_default = DateTimeField(default=_now)
    price = DecimalField(min_value=0, precision=2)
    price_required = DecimalField(required=True)
    blob = BinaryField(max_bytes=1024)
    blob_required = BinaryField(required=True)
    key = UUIDField()
    key_default = UUIDField(default=uuid.uuid4)
    other_id = ObjectIdField()
    other_id_default = ObjectIdField(default=ObjectId)
    password = PasswordField()
    password_required = PasswordField(required=True)
    extra = JsonField()
    extra_required = JsonField(required=True)
    place = PointField()
    place_required = PointField(required=True, index=False)
    route = LineStringField()
    area = PolygonField(default={"type": "Polygon", "coordinates": []})
    address = EmbeddedDocumentField(Address)
    address_required = EmbeddedDocumentField(Address, required=True)
    address_default = EmbeddedDocumentField(Address, default=lambda: Address(city="Paris"))
    address_by_name = EmbeddedDocumentField("Address")
    author = ReferenceField(Author)
    author_required = ReferenceField(Author, required=True)
    author_by_name = ReferenceField("Author")
    tags = ListField(StringField())
    tags_required_items = ListField(StringField(required=True))
    scores = ListField(IntField(min_value=0), required=True)
    addresses = ListField(EmbeddedDocumentField(Address))
    authors = ListField(ReferenceField(Author))
    anything = ListField()


def reads(doc: Everything) -> None:
    assert_type(doc.text, str | None)
    assert_type(doc.text_required, str)
    assert_type(doc.text_default, str)
    assert_type(doc.text_factory, str)
    assert_type(doc.email, str | None)
    assert_type(doc.email_required, str)
    assert_type(doc.url, str | None)
    assert_type(doc.url_default, str)
    assert_type(doc.count, int | None)
    assert_type(doc.count_required, int)
    assert_type(doc.count_default, int)
    assert_type(doc.ratio, float | None)
    assert_type(doc.ratio_default, float)
    assert_type(doc.flag, bool | None)
    assert_type(doc.flag_default, bool)
    assert_type(doc.when, datetime.datetime | None)
    assert_type(doc.when_default, datetime.datetime)
    assert_type(doc.price, decimal.Decimal | None)
    assert_type(doc.price_required, decimal.Decimal)
    assert_type(doc.blob, bytes | None)
    assert_type(doc.blob_required, bytes)
    assert_type(doc.key, uuid.UUID | None)
    assert_type(doc.key_default, uuid.UUID)
    assert_type(doc.other_id, ObjectId | None)
    assert_type(doc.other_id_default, ObjectId)
    assert_type(doc.password, HashedPassword | None)
    assert_type(doc.password_required, HashedPassword)
    assert_type(doc.extra, Any)
    assert_type(doc.extra_required, Any)
    assert_type(doc.place, dict[str, Any] | None)
    assert_type(doc.place_required, dict[str, Any])
    assert_type(doc.route, dict[str, Any] | None)
    assert_type(doc.area, dict[str, Any])
    assert_type(doc.address, Address | None)
    assert_type(doc.address_required, Address)
    assert_type(doc.address_default, Address)
    assert_type(doc.address_by_name, Any)
    assert_type(doc.author, Author | None)
    assert_type(doc.author_required, Author)
    assert_type(doc.author_by_name, Any)
    assert_type(doc.tags, list[str])
    assert_type(doc.tags_required_items, list[str])
    assert_type(doc.scores, list[int])
    assert_type(doc.addresses, list[Address])
    assert_type(doc.authors, list[Author])
    assert_type(doc.anything, list[Any])
    assert_type(doc.id, ObjectId | None)


def class_attributes() -> None:
    assert_type(Everything.text, StringField[str | None])
    assert_type(Everything.text_required, StringField[str])
    assert_type(Everything.email_required, EmailField[str])
    assert_type(Everything.url, URLField[str | None])
    assert_type(Everything.count, IntField[int | None])
    assert_type(Everything.place, PointField[dict[str, Any] | None])
    assert_type(Everything.address, EmbeddedDocumentField[Address | None])
    assert_type(Everything.author_required, ReferenceField[Author])
    assert_type(Everything.tags, ListField[str])


def writes(doc: Everything, author: Author, address: Address) -> None:
    doc.text = None
    doc.text_required = "x"
    doc.count = 3
    doc.price = decimal.Decimal("1.50")
    doc.price = "1.50"  # a numeric string converts in strict mode too
    doc.blob = bytearray(b"x")
    doc.key = "12345678-1234-5678-1234-567812345678"
    doc.other_id = "5f0c9b0e9d1e8a0b1c2d3e4f"
    doc.password = "secret"  # hashed when assigned
    doc.place = [2.2945, 48.8584]  # bare coordinates
    doc.address = {"city": "Lyon"}
    doc.address = address
    doc.author = author
    doc.author = author.id
    doc.tags = ("a", "b")
    doc.text_required = None  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    doc.count = "3"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    doc.author_required = None  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    doc.tags = [1]  # type: ignore[list-item]  # pyright: ignore[reportAttributeAccessIssue]


def declarations() -> None:
    StringField(max_length="40")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    IntField(default="0")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    ListField(StringField(), default=None)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
