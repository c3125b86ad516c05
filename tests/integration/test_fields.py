"""Every field against a server: round trips of good values, bad values refused before anything
is written, ``None``, defaults, required, legacy stored formats, in-place changes, custom fields
and save hooks. Field tests without I/O are in ``tests/fields/``."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from typing import Any

import pytest
from bson import Decimal128, ObjectId

from aiomotorengine import (
    BaseField,
    BinaryField,
    BooleanField,
    Database,
    DateTimeField,
    DecimalField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    HashedPassword,
    IntField,
    InvalidDocumentError,
    JsonField,
    LineStringField,
    ListField,
    ObjectIdField,
    PasswordField,
    PointField,
    PolygonField,
    StringField,
    URLField,
    UUIDField,
)
from aiomotorengine.query.update import compile_update


async def stored(db: Database, model: type[Document], document: Document) -> dict[str, Any]:
    """The document's raw SON as the server holds it."""
    son = await db.collection(model.__collection__).find_one({"_id": document._id})
    assert son is not None
    return son


# --- validation and round trips, field by field -------------------------------------------


class Address(EmbeddedDocument):
    street = StringField(required=True)
    number = IntField()


def _point() -> dict[str, Any]:
    return {"type": "Point", "coordinates": [2.5, 48.5]}


_RING = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")
_OID = ObjectId("5f1d7a9e8b3c2a1f0e9d8c7b")
_WHEN = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)

# (factory, input value, value read back after a database round trip, stored BSON)
GOOD: list[tuple[str, Any, Any, Any, Any]] = [
    ("string", StringField(max_length=5), "abc", "abc", "abc"),
    ("string_unicode", StringField(), "żółw 🐢", "żółw 🐢", "żółw 🐢"),
    ("int", IntField(min_value=0, max_value=10), 10, 10, 10),
    ("int_big", IntField(), 2**62, 2**62, 2**62),
    ("float", FloatField(min_value=0.5), 2.25, 2.25, 2.25),
    ("float_from_int", FloatField(), 3, 3.0, 3.0),
    (
        "decimal",
        DecimalField(precision=2),
        decimal.Decimal("1.005"),
        decimal.Decimal("1.01"),
        Decimal128("1.01"),
    ),
    ("decimal_from_str", DecimalField(), "2.5", decimal.Decimal("2.50"), Decimal128("2.50")),
    ("decimal_from_float", DecimalField(), 0.1, decimal.Decimal("0.10"), Decimal128("0.10")),
    ("boolean_false", BooleanField(), False, False, False),
    ("boolean_true", BooleanField(), True, True, True),
    ("datetime", DateTimeField(), _WHEN, _WHEN, _WHEN),
    # binary subtype 4, which the connection's "standard" uuidRepresentation decodes to UUID
    ("uuid", UUIDField(), _UUID, _UUID, _UUID),
    ("uuid_from_str", UUIDField(), str(_UUID), _UUID, _UUID),
    ("email", EmailField(), "ada@example.org", "ada@example.org", "ada@example.org"),
    ("url", URLField(), "https://example.org/a?b=c", "https://example.org/a?b=c", None),
    ("binary", BinaryField(max_bytes=4), b"\x00\x01\xff", b"\x00\x01\xff", b"\x00\x01\xff"),
    ("binary_bytearray", BinaryField(), bytearray(b"ab"), b"ab", b"ab"),
    ("json_dict", JsonField(), {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}, None),
    ("json_list", JsonField(), [1, "x", True], [1, "x", True], [1, "x", True]),
    ("json_scalar", JsonField(), "plain text", "plain text", "plain text"),
    ("list", ListField(IntField()), [1, 2, 3], [1, 2, 3], [1, 2, 3]),
    ("list_of_lists", ListField(ListField(StringField())), [["a"], []], [["a"], []], None),
    ("object_id", ObjectIdField(), _OID, _OID, _OID),
    ("object_id_from_str", ObjectIdField(), str(_OID), _OID, _OID),
    ("point", PointField(), _point(), _point(), _point()),
    ("point_from_list", PointField(), [2.5, 48.5], _point(), _point()),
    ("point_from_tuple", PointField(), (2.5, 48.5), _point(), _point()),
    (
        "line_string",
        LineStringField(),
        [[0.0, 0.0], [1.0, 1.0]],
        {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]},
        None,
    ),
    (
        "polygon",
        PolygonField(),
        {"type": "Polygon", "coordinates": [_RING]},
        {"type": "Polygon", "coordinates": [_RING]},
        {"type": "Polygon", "coordinates": [_RING]},
    ),
]


def _model_with(field: BaseField[Any]) -> type[Document]:
    class FieldHolder(Document):
        __collection__ = "field_holder"
        value = field

    return FieldHolder


@pytest.mark.parametrize(
    ("case", "field", "given", "expected", "son"), GOOD, ids=[case[0] for case in GOOD]
)
async def test_good_value_round_trips(
    db: Database, case: str, field: BaseField[Any], given: Any, expected: Any, son: Any
) -> None:
    model = _model_with(field)
    document = model(value=given)
    assert document.value == expected
    await document.save()
    raw = await stored(db, model, document)
    if son is not None:
        assert raw["value"] == son
        assert isinstance(raw["value"], type(son))  # int64 values come back as bson.Int64
    loaded = await model.objects.get(document._id)
    assert loaded is not None
    assert loaded.value == expected
    assert isinstance(loaded.value, type(expected))


# (field, bad value) pairs: assignment raises at once.
BAD: list[tuple[str, Any, Any]] = [
    ("string_type", StringField(), 12),
    ("string_too_long", StringField(max_length=3), "abcd"),
    ("int_str", IntField(), "12.5"),
    ("int_str_strict", IntField(strict=True), "12"),
    ("int_float", IntField(), 1.5),
    ("int_bool", IntField(), True),
    ("int_below", IntField(min_value=5), 4),
    ("int_above", IntField(max_value=5), 6),
    ("int_64bit_overflow", IntField(), 2**63),
    ("float_str", FloatField(), "1.5x"),
    ("float_str_strict", FloatField(strict=True), "1.5"),
    ("float_nan", FloatField(), float("nan")),
    ("float_infinity", FloatField(), float("-inf")),
    ("float_lossy_int", FloatField(), 2**60 + 1),
    ("float_bool", FloatField(), False),
    ("float_below", FloatField(min_value=1.0), 0.5),
    ("float_above", FloatField(max_value=1.0), 1.5),
    ("decimal_text", DecimalField(), "abc"),
    ("decimal_nan", DecimalField(), decimal.Decimal("NaN")),
    ("decimal_infinity", DecimalField(), float("inf")),
    ("decimal_bool", DecimalField(), True),
    ("decimal_below", DecimalField(min_value=0), decimal.Decimal("-0.01")),
    ("decimal_above", DecimalField(max_value="9.99"), 10),
    ("boolean_int", BooleanField(), 2),
    ("boolean_str", BooleanField(), "maybe"),
    ("boolean_str_strict", BooleanField(strict=True), "true"),
    ("datetime_str", DateTimeField(), "2024-13-01"),
    ("datetime_timestamp", DateTimeField(), 1_700_000_000),
    ("datetime_str_strict", DateTimeField(strict=True), "2024-01-01"),
    ("datetime_date_strict", DateTimeField(strict=True), datetime.date(2024, 1, 1)),
    ("uuid_bad_str", UUIDField(), "not-a-uuid"),
    ("uuid_int", UUIDField(), 12),
    ("email_no_at", EmailField(), "ada.example.org"),
    ("email_no_tld", EmailField(), "ada@example"),
    ("email_type", EmailField(), 5),
    ("url_no_scheme", URLField(), "example.org"),
    ("url_javascript", URLField(), "javascript:alert(1)"),
    ("url_bad_scheme", URLField(), "httpss://example.org"),
    ("binary_str", BinaryField(), "text"),
    ("binary_too_long", BinaryField(max_bytes=2), b"abc"),
    ("json_set", JsonField(), {1, 2}),
    ("json_object", JsonField(), object()),
    ("json_non_str_key", JsonField(), {1: "a"}),
    ("list_not_list", ListField(IntField()), "abc"),
    ("list_bad_item", ListField(IntField()), [1, "two"]),
    ("object_id_bad", ObjectIdField(), "xyz"),
    ("object_id_int", ObjectIdField(), 5),
    ("point_out_of_range", PointField(), [200.0, 0.0]),
    ("point_one_number", PointField(), [1.0]),
    ("point_strings", PointField(), ["1", "2"]),
    ("point_wrong_type", PointField(), {"type": "LineString", "coordinates": [1.0, 2.0]}),
    ("point_extra_key", PointField(), {"type": "Point", "coordinates": [1.0, 2.0], "x": 1}),
    ("line_one_position", LineStringField(), [[0.0, 0.0]]),
    ("polygon_open_ring", PolygonField(), [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]),
    ("polygon_short_ring", PolygonField(), [[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]),
    ("polygon_empty", PolygonField(), []),
    ("embedded_wrong_class", EmbeddedDocumentField(Address), "Main Street"),
]


@pytest.mark.parametrize(("case", "field", "bad"), BAD, ids=[case[0] for case in BAD])
async def test_bad_value_raises_naming_model_field_and_value(
    db: Database, case: str, field: BaseField[Any], bad: Any
) -> None:
    model = _model_with(field)
    with pytest.raises(InvalidDocumentError) as raised:
        model(value=bad)
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.model == "FieldHolder"
    assert error.field == "value"
    assert "FieldHolder" in str(error) and "value" in str(error)
    # the message shows the offending value (for a list: the offending item, once coerced)
    shown = {"list_bad_item": "'two'", "decimal_infinity": "Infinity"}.get(case, repr(bad)[:20])
    assert shown in str(error)

    document = model()
    with pytest.raises(InvalidDocumentError) as raised:
        document.value = bad
    assert raised.value.field == "value"
    assert document.value != bad

    with pytest.raises(InvalidDocumentError):
        await model.objects.create(value=bad)
    assert await db.collection("field_holder").count_documents({}) == 0


OPTIONAL_FIELDS = [
    StringField(),
    IntField(),
    FloatField(),
    DecimalField(),
    BooleanField(),
    DateTimeField(),
    UUIDField(),
    EmailField(),
    URLField(),
    BinaryField(),
    JsonField(),
    PasswordField(),
    ListField(StringField(), default=None),
    EmbeddedDocumentField(Address),
    ObjectIdField(),
    PointField(),
    LineStringField(),
    PolygonField(),
]


@pytest.mark.parametrize("field", OPTIONAL_FIELDS, ids=lambda field: type(field).__name__)
async def test_none_is_fine_for_every_optional_field(db: Database, field: BaseField[Any]) -> None:
    model = _model_with(field)
    document = model(value=None)
    assert document.value is None
    await document.save()
    raw = await stored(db, model, document)
    assert "value" not in raw  # never stored as False, "" or "None"
    loaded = await model.objects.get(document._id)
    assert loaded is not None and loaded.value is None
    # a stored null reads as None too
    await db.collection("field_holder").update_one({"_id": document._id}, {"$set": {"value": None}})
    loaded = await model.objects.get(document._id)
    assert loaded is not None and loaded.value is None


# --- defaults, required -------------------------------------------------------------------


async def test_default_value_and_callable(db: Database) -> None:
    counter = iter(range(100))

    class Defaults(Document):
        name = StringField(default="anonymous")
        serial = IntField(default=lambda: next(counter))
        token = UUIDField(default=uuid.uuid4)

    first, second = Defaults(), Defaults()
    assert first.name == second.name == "anonymous"
    assert (first.serial, second.serial) == (0, 1)
    assert first.token != second.token
    explicit = Defaults(name="given", serial=99)
    assert (explicit.name, explicit.serial) == ("given", 99)
    await first.save()
    raw = await stored(db, Defaults, first)
    assert raw["name"] == "anonymous" and raw["serial"] == 0
    assert raw["token"] == first.token


async def test_mutable_defaults_are_never_shared(db: Database) -> None:
    class Mutable(Document):
        tags = ListField(StringField(), default=["a"])
        data = JsonField(default={"k": []})
        plain = ListField(StringField())

    one, two = Mutable(), Mutable()
    one.tags.append("b")
    one.data["k"].append(1)
    one.plain.append("x")
    assert two.tags == ["a"]
    assert two.data == {"k": []}
    assert two.plain == []
    assert Mutable().tags == ["a"] and Mutable().data == {"k": []}
    await one.save()
    await two.save()
    assert (await stored(db, Mutable, one))["tags"] == ["a", "b"]
    assert (await stored(db, Mutable, two))["tags"] == ["a"]


@pytest.mark.parametrize(
    ("field", "empty"),
    [
        (StringField(required=True), ""),
        (StringField(required=True), None),
        (IntField(required=True), None),
        (ListField(IntField(), required=True), []),
        (BooleanField(required=True), None),
    ],
)
async def test_required_uses_is_empty(db: Database, field: BaseField[Any], empty: Any) -> None:
    model = _model_with(field)
    document = model(value=empty)
    with pytest.raises(InvalidDocumentError) as raised:
        await document.save()
    assert raised.value.model == "FieldHolder" and raised.value.field == "value"
    assert "FieldHolder.value" in str(raised.value) and "required" in str(raised.value)
    assert document._id is None
    assert await db.collection("field_holder").count_documents({}) == 0
    with pytest.raises(InvalidDocumentError):
        document.validate()


async def test_required_false_and_zero_are_not_empty(db: Database) -> None:
    class Flags(Document):
        flag = BooleanField(required=True)
        count = IntField(required=True)

    flags = await Flags.objects.create(flag=False, count=0)
    raw = await stored(db, Flags, flags)
    assert raw["flag"] is False and raw["count"] == 0


# --- DecimalField ---------------------------------------------------------------------------


async def test_decimal_loads_legacy_string_and_stores_decimal128(db: Database) -> None:
    class Price(Document):
        amount = DecimalField(precision=2)
        note = StringField()

    collection = db.collection("Price")
    inserted = await collection.insert_one({"amount": "12.5", "note": "0.x"})
    price = await Price.objects.get(inserted.inserted_id)
    assert price is not None
    assert price.amount == decimal.Decimal("12.50")
    assert isinstance(price.amount, decimal.Decimal)
    price.note = "migrated"
    price.amount = price.amount + 1
    await price.save()
    raw = await collection.find_one({"_id": inserted.inserted_id})
    assert raw is not None and raw["amount"] == Decimal128("13.50")


async def test_decimal_sorts_and_filters_numerically_on_the_server(db: Database) -> None:
    class Item(Document):
        price = DecimalField(precision=2)

    for value in ["10.00", "9.50", "100.25", "2"]:
        await Item.objects.create(price=decimal.Decimal(value))
    items = await Item.objects.order_by(Item.price).find_all()
    assert [item.price for item in items] == [
        decimal.Decimal(text) for text in ["2.00", "9.50", "10.00", "100.25"]
    ]
    cheap = await Item.objects.filter(price__lt=decimal.Decimal("10")).find_all()
    assert sorted(item.price for item in cheap) == [
        decimal.Decimal("2.00"),
        decimal.Decimal("9.50"),
    ]


# --- JsonField ------------------------------------------------------------------------------


async def test_json_native_storage_is_queryable(db: Database) -> None:
    class Settings(Document):
        data = JsonField()

    settings = await Settings.objects.create(data={"theme": "dark", "sizes": [1, 2]})
    raw = await stored(db, Settings, settings)
    assert raw["data"] == {"theme": "dark", "sizes": [1, 2]}
    assert await db.collection("Settings").count_documents({"data.theme": "dark"}) == 1


async def test_json_loads_legacy_json_strings(db: Database) -> None:
    class Settings(Document):
        data = JsonField()

    collection = db.collection("Settings")
    legacy_dict = await collection.insert_one({"data": '{"a": [1, 2]}'})
    legacy_list = await collection.insert_one({"data": "[1, 2]"})
    plain = await collection.insert_one({"data": "{not json"})
    loaded = await Settings.objects.get(legacy_dict.inserted_id)
    assert loaded is not None and loaded.data == {"a": [1, 2]}
    loaded = await Settings.objects.get(legacy_list.inserted_id)
    assert loaded is not None and loaded.data == [1, 2]
    loaded = await Settings.objects.get(plain.inserted_id)
    assert loaded is not None and loaded.data == "{not json"


# Strings that are no JSON text of a value the field accepts: stored and read as themselves.
ROUND_TRIP_STRINGS = [
    '{"$gt": ""}',
    '{"a.b": 1}',
    '[{"": 1}]',
    "[NaN]",
    '{"n": 18446744073709551616}',
    "{not json",
    "[",
    " [1, 2]",
    "plain",
]


@pytest.mark.parametrize("text", ROUND_TRIP_STRINGS)
async def test_json_strings_round_trip(db: Database, text: str) -> None:
    class Note(Document):
        title = StringField()
        data = JsonField()

    note = await Note.objects.create(title="t", data=text)
    assert (await stored(db, Note, note))["data"] == text
    loaded = await Note.objects.get(note._id)
    assert loaded is not None and loaded.data == text
    assert Note.from_dict(loaded.to_dict(json=True)).data == text
    loaded.title = "changed"
    await loaded.save()
    reloaded = await Note.objects.get(note._id)
    assert reloaded is not None and reloaded.data == text and reloaded.title == "changed"


@pytest.mark.parametrize("text", ["[1, 2]", '{"note": "hi"}', "[]", '{"a": {"b": [null]}}'])
def test_json_text_of_an_accepted_value_is_refused_as_a_string(text: str) -> None:
    class Note(Document):
        data = JsonField()
        many = ListField(JsonField())

    refused = r"Note\.(data|many): invalid value .*json\.loads\(\)"
    with pytest.raises(InvalidDocumentError, match=refused):
        Note(data=text)
    with pytest.raises(InvalidDocumentError, match=refused):
        Note.from_dict({"data": text})
    with pytest.raises(InvalidDocumentError, match=refused):
        Note().data = text
    with pytest.raises(InvalidDocumentError, match=refused):
        Note(many=["x", text])
    with pytest.raises(InvalidDocumentError, match=refused):
        compile_update(Note, None, {"set__data": text})
    assert Note(data=json.loads(text)).data == json.loads(text)


async def test_json_legacy_text_the_field_refuses_reads_as_stored(db: Database) -> None:
    class Settings(Document):
        title = StringField()
        data = JsonField()

    collection = db.collection("Settings")
    legacy = await collection.insert_one({"title": "t", "data": '{"$where": "1", "a.b": 2}'})
    loaded = await Settings.objects.get(legacy.inserted_id)
    assert loaded is not None and loaded.data == '{"$where": "1", "a.b": 2}'
    loaded.title = "changed"
    await loaded.save()
    raw = await collection.find_one({"_id": legacy.inserted_id})
    assert raw is not None and raw["data"] == '{"$where": "1", "a.b": 2}'


async def test_json_tuples_are_stored_as_arrays_and_compare_unchanged(db: Database) -> None:
    class Settings(Document):
        data = JsonField()

    settings = await Settings.objects.create(data={"pair": (1, 2), "rows": [(3, 4)]})
    assert (await stored(db, Settings, settings))["data"] == {"pair": [1, 2], "rows": [[3, 4]]}
    sets: dict[str, Any] = {}
    settings._delta("", sets, {})
    assert sets == {}  # saving again would send nothing


async def test_json_in_place_change_is_saved(db: Database) -> None:
    class Settings(Document):
        data = JsonField()

    settings = await Settings.objects.create(data={"a": 1})
    loaded = await Settings.objects.get(settings._id)
    assert loaded is not None
    loaded.data["b"] = 2
    await loaded.save()
    assert (await stored(db, Settings, settings))["data"] == {"a": 1, "b": 2}


# --- PasswordField --------------------------------------------------------------------------


class Account(Document):
    login = StringField(required=True)
    password = PasswordField(required=True)


async def test_password_is_salted_scrypt_and_never_stored_in_clear(db: Database) -> None:
    secret = "correct horse battery staple"
    one = await Account.objects.create(login="a", password=secret)
    two = await Account.objects.create(login="b", password=secret)
    raw_one = await stored(db, Account, one)
    raw_two = await stored(db, Account, two)
    assert secret not in str(raw_one)
    assert raw_one["password"].startswith("scrypt$")
    assert raw_one["password"] != raw_two["password"]  # per-value salt
    assert secret not in repr(one) and secret not in repr(one.password)
    loaded = await Account.objects.get(one._id)
    assert loaded is not None
    assert loaded.password == secret
    assert loaded.password != "wrong"
    assert isinstance(loaded.password, HashedPassword)
    assert loaded.password.verify(secret) and not loaded.password.verify("wrong")


async def test_password_legacy_sha256_hex_verifies(db: Database) -> None:
    legacy = hashlib.sha256(b"old-secret").hexdigest()
    inserted = await db.collection("Account").insert_one({"login": "old", "password": legacy})
    account = await Account.objects.get(inserted.inserted_id)
    assert account is not None
    assert account.password == "old-secret"
    assert account.password != "other"
    assert account.password is not None and account.password.is_legacy
    # saving something else leaves the legacy hash alone; assigning upgrades it
    account.login = "renamed"
    await account.save()
    raw = await db.collection("Account").find_one({"_id": inserted.inserted_id})
    assert raw is not None and raw["password"] == legacy
    account.password = "old-secret"
    await account.save()
    raw = await db.collection("Account").find_one({"_id": inserted.inserted_id})
    assert raw is not None and raw["password"].startswith("scrypt$")


async def test_password_never_appears_in_errors(db: Database) -> None:
    class Strict(Document):
        password = PasswordField()
        age = IntField()

    secret = "hunter2-secret"
    document = Strict(password=secret)
    with pytest.raises(InvalidDocumentError) as raised:
        document.age = "x"
    assert secret not in str(raised.value)
    with pytest.raises(InvalidDocumentError) as raised:
        document.password = 12345
    assert "12345" not in str(raised.value) and raised.value.field == "password"
    assert secret not in repr(document) and secret not in repr(document.to_son())


async def test_empty_password_is_refused_and_errors_keep_no_plaintext(db: Database) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        Account(login="x", password="")
    assert raised.value.field == "password" and raised.value.value is None
    assert "<hidden>" in str(raised.value)
    with pytest.raises(InvalidDocumentError, match="required"):
        await Account(login="x").save()
    assert await db.collection("Account").count_documents({}) == 0


# --- DateTimeField --------------------------------------------------------------------------


async def test_datetime_auto_now_in_utc_and_read_back_as_stored(db: Database) -> None:
    class Post(Document):
        title = StringField()
        created = DateTimeField(auto_now_on_insert=True)
        updated = DateTimeField(auto_now_on_update=True)

    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    post = await Post.objects.create(title="a")
    after = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    raw = await stored(db, Post, post)
    created = raw["created"]
    # pymongo returns naive UTC datetimes: they lie between naive-UTC before/after
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= created <= after
    assert created.microsecond % 1000 == 0

    # The in-memory value after the insert is the one a load gives (naive UTC, milliseconds).
    assert post.created == created and post.created.tzinfo is None  # type: ignore[union-attr]
    loaded = await Post.objects.get(post._id)
    assert loaded is not None
    first_read = loaded.created
    assert first_read == created
    assert loaded.created == first_read  # not now() on every read

    loaded.title = "b"
    await loaded.save()
    raw_after = await stored(db, Post, post)
    assert raw_after["created"] == created  # insert-only timestamp kept
    assert raw_after["updated"] >= raw["updated"]


async def test_datetime_auto_now_on_insert_keeps_a_given_value(db: Database) -> None:
    class Event(Document):
        at = DateTimeField(auto_now_on_insert=True)

    event = await Event.objects.create(at=_WHEN)
    assert (await stored(db, Event, event))["at"] == _WHEN


# --- UUIDField ------------------------------------------------------------------------------


async def test_uuid_loads_legacy_string(db: Database) -> None:
    class Thing(Document):
        key = UUIDField()

    inserted = await db.collection("Thing").insert_one({"key": str(_UUID)})
    thing = await Thing.objects.get(inserted.inserted_id)
    assert thing is not None and thing.key == _UUID


# --- ListField, EmbeddedDocumentField -------------------------------------------------------


async def test_list_in_place_append_is_saved(db: Database) -> None:
    class Tagged(Document):
        tags = ListField(StringField())

    tagged = await Tagged.objects.create(tags=["a"])
    tagged.tags.append("b")
    await tagged.save()
    loaded = await Tagged.objects.get(tagged._id)
    assert loaded is not None
    loaded.tags.append("c")
    await loaded.save()
    assert (await stored(db, Tagged, tagged))["tags"] == ["a", "b", "c"]


async def test_list_keeps_the_assigned_list_object(db: Database) -> None:
    class Tagged(Document):
        tags = ListField(StringField())

    tags = ["a"]
    tagged = Tagged(tags=tags)
    held = tagged.tags
    await tagged.save()
    held.append("b")
    await tagged.save()
    assert (await stored(db, Tagged, tagged))["tags"] == ["a", "b"]


async def test_list_item_mutated_to_invalid_fails_on_save(db: Database) -> None:
    class Numbers(Document):
        values = ListField(IntField())

    numbers = await Numbers.objects.create(values=[1])
    numbers.values.append("two")
    with pytest.raises(InvalidDocumentError) as raised:
        await numbers.save()
    assert raised.value.field == "values" and "'two'" in str(raised.value)
    assert (await stored(db, Numbers, numbers))["values"] == [1]


class Comment(EmbeddedDocument):
    text = StringField(required=True)
    votes = IntField(default=0)


async def test_embedded_document_by_class_and_by_name(db: Database) -> None:
    class Post(Document):
        first = EmbeddedDocumentField(Comment)
        others = ListField(EmbeddedDocumentField("Comment"))

    post = await Post.objects.create(
        first=Comment(text="hi"), others=[Comment(text="a"), Comment(text="b", votes=2)]
    )
    raw = await stored(db, Post, post)
    assert raw["first"] == {"text": "hi", "votes": 0}
    assert raw["others"] == [{"text": "a", "votes": 0}, {"text": "b", "votes": 2}]
    loaded = await Post.objects.get(post._id)
    assert loaded is not None
    assert isinstance(loaded.first, Comment) and loaded.first.text == "hi"
    assert [c.text for c in loaded.others] == ["a", "b"]
    assert loaded.others[1] == Comment(text="b", votes=2)


async def test_embedded_validation_error_names_the_path(db: Database) -> None:
    class Post(Document):
        comment = EmbeddedDocumentField(Comment)

    with pytest.raises(InvalidDocumentError) as raised:
        await Post.objects.create(comment=Comment(votes=1))
    assert raised.value.model == "Post" and raised.value.field == "comment"
    assert "Comment.text" in str(raised.value)
    assert await db.collection("Post").count_documents({}) == 0
    with pytest.raises(InvalidDocumentError) as raised:
        Comment(votes="many")
    assert raised.value.model == "Comment" and raised.value.field == "votes"


async def test_plain_document_used_as_embedded_is_stored_without_id(db: Database) -> None:
    class Place(Document):
        street = StringField()

    class Person(Document):
        places = ListField(EmbeddedDocumentField(Place))
        home = EmbeddedDocumentField(Place)

    person = await Person.objects.create(home=Place(street="Home"), places=[Place(street="A")])
    raw = await stored(db, Person, person)
    assert raw["home"] == {"street": "Home"}
    assert raw["places"] == [{"street": "A"}]
    assert await db.collection("Place").count_documents({}) == 0


async def test_embedded_dict_is_accepted(db: Database) -> None:
    class Post(Document):
        comment = EmbeddedDocumentField(Comment)

    post = Post(comment={"text": "from dict"})
    assert isinstance(post.comment, Comment)
    await post.save()
    assert (await stored(db, Post, post))["comment"] == {"text": "from dict", "votes": 0}


# --- BinaryField ----------------------------------------------------------------------------


async def test_binary_max_bytes_boundary(db: Database) -> None:
    model = _model_with(BinaryField(max_bytes=3))
    document = await model.objects.create(value=b"abc")
    assert (await stored(db, model, document))["value"] == b"abc"
    with pytest.raises(InvalidDocumentError, match="at most 3 bytes"):
        document.value = b"abcd"


# --- GeoJSON --------------------------------------------------------------------------------


async def test_point_field_is_queryable_with_2dsphere(db: Database) -> None:
    class Shop(Document):
        location = PointField()

    near = await Shop.objects.create(location=[2.2945, 48.8584])  # creates the 2dsphere index
    await Shop.objects.create(location=[-74.0, 40.7])
    assert "location_2dsphere" in await db.collection("Shop").index_information()
    found = await db.collection("Shop").find_one(
        {
            "location": {
                "$geoWithin": {"$centerSphere": [[2.29, 48.85], 10 / 6378.1]},
            }
        }
    )
    assert found is not None and found["_id"] == near._id


# --- custom fields, on_save -----------------------------------------------------------------


class UpperStringField(StringField):
    """Stored upper-case, read back lower-case: to_son/from_son overridden."""

    def to_son(self, value: Any) -> Any:
        return value.upper()

    def from_son(self, value: Any) -> Any:
        return value.lower()


class EvenField(BaseField[int]):
    """A custom field on BaseField: is_empty, validate, to_son, from_son, to_query."""

    def is_empty(self, value: Any) -> bool:
        return value is None or value == 0

    def validate(self, value: Any) -> bool:
        return value is None or (isinstance(value, int) and value % 2 == 0)

    def to_son(self, value: Any) -> Any:
        return {"even": value}

    def from_son(self, value: Any) -> Any:
        return value["even"]

    def to_query(self, value: Any) -> Any:
        return {"even": value}


async def test_custom_fields_override_conversion_and_validation(db: Database) -> None:
    class Custom(Document):
        code = UpperStringField()
        number = EvenField(required=True)

    custom = await Custom.objects.create(code="abc", number=4)
    raw = await stored(db, Custom, custom)
    assert raw["code"] == "ABC"
    assert raw["number"] == {"even": 4}
    loaded = await Custom.objects.get(custom._id)
    assert loaded is not None
    assert loaded.code == "abc" and loaded.number == 4
    found = await Custom.objects.filter(number=4).find_all()
    assert [item._id for item in found] == [custom._id]

    with pytest.raises(InvalidDocumentError) as raised:
        Custom(number=3)
    assert raised.value.field == "number" and "3" in str(raised.value)
    with pytest.raises(InvalidDocumentError, match="required"):
        await Custom(number=0).save()


async def test_on_save_called_right_before_sending(db: Database) -> None:
    calls: list[tuple[str | None, bool]] = []

    def stamp(document: Any, creating: bool) -> str:
        calls.append((document.title, creating))
        return f"{document.title}-{'created' if creating else 'updated'}"

    class Note(Document):
        title = StringField()
        slug = StringField(on_save=stamp)

    note = Note(title="a")
    assert calls == []
    await note.save()
    assert calls == [("a", True)]
    assert note.slug == "a-created"
    assert (await stored(db, Note, note))["slug"] == "a-created"
    note.title = "b"
    await note.save()
    assert calls[-1] == ("b", False)
    assert (await stored(db, Note, note))["slug"] == "b-updated"


async def test_embedded_document_default_is_copied_per_instance(db: Database) -> None:
    class Home(Document):
        address = EmbeddedDocumentField(Address, default=Address(street="Main"))
        history = ListField(EmbeddedDocumentField(Address), default=[Address(street="Old")])

    one, two = Home(), Home()
    one.address.street = "Changed"
    one.history[0].street = "Changed"
    assert two.address.street == "Main" and two.history[0].street == "Old"
    assert Home().address.street == "Main"
    await one.save()
    await two.save()
    assert (await stored(db, Home, two))["address"] == {"street": "Main"}
    assert (await stored(db, Home, one))["history"] == [{"street": "Changed"}]


async def test_binary_subtype_survives_a_save_after_reading(db: Database) -> None:
    from bson.binary import Binary

    class Blob(Document):
        data = BinaryField()
        note = StringField()

    inserted = await db["Blob"].insert_one({"data": Binary(b"\x01\x02", 5), "note": "a"})
    blob = await Blob.objects.get(inserted.inserted_id)
    assert blob is not None and bytes(blob.data) == b"\x01\x02"  # type: ignore[arg-type]
    blob.note = "b"
    await blob.save()
    raw = await db["Blob"].find_one({"_id": inserted.inserted_id})
    assert raw is not None and isinstance(raw["data"], Binary) and raw["data"].subtype == 5


async def test_save_hooks_run_in_embedded_documents_that_are_new_or_changed(
    db: Database,
) -> None:
    class Stamp(EmbeddedDocument):
        text = StringField()
        created = DateTimeField(auto_now_on_insert=True)
        updated = DateTimeField(auto_now_on_update=True)

    class Board(Document):
        title = StringField()
        pinned = EmbeddedDocumentField(Stamp)
        notes = ListField(EmbeddedDocumentField(Stamp))

    board = await Board.objects.create(title="b", pinned=Stamp(text="p"), notes=[Stamp(text="n")])
    raw = await stored(db, Board, board)
    assert raw["pinned"]["created"] is not None and raw["notes"][0]["updated"] is not None
    first_pinned = raw["pinned"]["updated"]

    loaded = await Board.objects.get(board._id)
    assert loaded is not None
    loaded.title = "unrelated change"
    await loaded.save()
    # The embedded document did not change: its timestamp is not touched.
    assert (await stored(db, Board, board))["pinned"]["updated"] == first_pinned

    import asyncio

    await asyncio.sleep(0.01)
    loaded.pinned.text = "changed"  # type: ignore[union-attr]
    loaded.notes.append(Stamp(text="new"))  # type: ignore[union-attr]
    await loaded.save()
    raw = await stored(db, Board, board)
    assert raw["pinned"]["updated"] > first_pinned
    assert raw["pinned"]["created"] == (await stored(db, Board, board))["pinned"]["created"]
    assert raw["notes"][1]["created"] is not None  # a new embedded document gets its insert stamp
