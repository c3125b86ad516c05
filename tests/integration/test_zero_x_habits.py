"""What code written for aiomotorengine 0.x expects: rounded decimals, ``crypt_func`` passwords,
``load_references()`` results (embedded documents too), ``get()`` that refuses to guess, and
clear errors for values MongoDB would mangle or refuse (anchored text filters, ``NaN``, JSON
keys, documents over 16 MB)."""

from __future__ import annotations

import decimal
import hashlib
from typing import Any

import pytest
from bson import ObjectId
from bson.decimal128 import Decimal128

from aiomotorengine import (
    BatchQuery,
    Database,
    DecimalField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    InvalidDocumentError,
    InvalidQueryError,
    JsonField,
    ListField,
    PasswordField,
    ReferenceField,
    StringField,
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class Price(Document):
    __collection__ = "zx_prices"
    amount = DecimalField(precision=2, rounding=decimal.ROUND_HALF_UP)


class Member(Document):
    __collection__ = "zx_members"
    name = StringField()
    password = PasswordField(crypt_func=md5)


class Writer(Document):
    __collection__ = "zx_writers"
    name = StringField()


class Remark(EmbeddedDocument):
    text = StringField()
    writer = ReferenceField(Writer)


class Story(Document):
    __collection__ = "zx_stories"
    title = StringField()
    writer = ReferenceField(Writer)
    remarks = ListField(EmbeddedDocumentField(Remark))


class Measure(Document):
    __collection__ = "zx_measures"
    value = FloatField()
    extra = JsonField()
    note = StringField()


async def test_decimals_round_on_assignment_storage_and_load(db: Database) -> None:
    price = await Price.objects.create(amount=decimal.Decimal("1.235"))
    assert price.amount == decimal.Decimal("1.24")
    stored = await db["zx_prices"].find_one({"_id": price._id})
    assert stored is not None and stored["amount"] == Decimal128("1.24")

    legacy = await db["zx_prices"].insert_one({"amount": "1.235"})  # as 0.x stored it
    loaded = await Price.objects.get(legacy.inserted_id)
    assert loaded is not None and loaded.amount == decimal.Decimal("1.24")
    assert [p.amount for p in await Price.objects.filter(amount__gt="1.2").find_all()] == [
        decimal.Decimal("1.24")
    ]


async def test_password_crypt_func_hashes_verifies_and_filters(db: Database) -> None:
    member = await Member.objects.create(name="ann", password="s3cret")
    stored = await db["zx_members"].find_one({"_id": member._id})
    assert stored is not None and stored["password"] == md5("s3cret")

    loaded = await Member.objects.get(member._id)
    assert loaded is not None
    assert loaded.password == "s3cret" and loaded.password != "wrong"
    assert loaded.password.verify("s3cret")
    found = await Member.objects.get(name="ann", password="s3cret")
    assert found is not None and found._id == member._id
    assert await Member.objects.get(name="ann", password="wrong") is None
    assert "s3cret" not in repr(loaded.password) and md5("s3cret") not in repr(loaded.password)


async def test_load_references_reports_like_0x_and_works_on_embedded_documents(
    db: Database,
) -> None:
    ada = await Writer.objects.create(name="Ada")
    bob = await Writer.objects.create(name="Bob")
    story = await Story.objects.create(
        title="t", writer=ada, remarks=[Remark(text="a", writer=bob), Remark(text="b")]
    )
    loaded = await Story.objects.get(story._id)
    assert loaded is not None

    result = await loaded.remarks[0].load_references()  # type: ignore[index]
    assert result["loaded_reference_count"] == 1 and result.loaded_reference_count == 1
    assert loaded.remarks[0].writer is not None  # type: ignore[index]
    assert loaded.remarks[0].writer.name == "Bob"  # type: ignore[index, union-attr]

    again = await Story.objects.get(story._id)
    assert again is not None
    result = await again.load_references()
    assert result["loaded_reference_count"] == 2  # the story's writer and one remark's
    assert {writer.name for writer in result["loaded_values"]} == {"Ada", "Bob"}
    assert dict(result) == {
        "loaded_reference_count": 2,
        "loaded_values": result.loaded_values,
    }


async def test_get_with_nothing_to_narrow_by_is_refused(db: Database) -> None:
    await Writer.objects.create(name="Ada")
    await Writer.objects.create(name="Bob")
    with pytest.raises(InvalidQueryError, match=r"Writer\.objects\.get\(\) needs an id or filters"):
        await Writer.objects.get()
    narrowed = await Writer.objects.filter(name="Bob").get()
    assert narrowed is not None and narrowed.name == "Bob"


async def test_a_bad_id_names_the_queried_model(db: Database) -> None:
    with pytest.raises(InvalidQueryError) as raised:
        await Writer.objects.get("zzz")
    assert str(raised.value).startswith("Writer._id: ")
    assert "'zzz'" in str(raised.value)
    with pytest.raises(InvalidQueryError, match=r"^Writer\.id: "):
        await Writer.objects.filter(id="not-an-id").find_all()


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("exact", "x", ["x"]),
        ("iexact", "X", ["x"]),
        ("endswith", "x", ["ax", "x"]),
        ("iendswith", "X", ["ax", "x"]),
    ],
)
async def test_anchored_text_filters_never_match_a_trailing_newline(
    db: Database, operator: str, value: str, expected: list[str]
) -> None:
    await Writer.objects.bulk_insert([Writer(name=n) for n in ("x", "x\n", "ax", "ax\n")])
    found = await Writer.objects.filter(**{f"name__{operator}": value}).find_all()
    assert sorted(w.name for w in found if w.name is not None) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "-inf", "NaN"])
async def test_non_finite_floats_are_refused_before_anything_is_sent(
    db: Database, value: Any
) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        await Measure.objects.create(value=value)
    assert (raised.value.model, raised.value.field) == ("Measure", "value")
    assert await db["zx_measures"].count_documents({}) == 0


@pytest.mark.parametrize(
    "extra",
    [
        {"a.b": 1},
        {"": 1},
        {"a\0b": 1},
        {"outer": {"in.ner": 1}},
        [{"$set": 1}],
        {"n": float("nan")},
    ],
    ids=["dot", "empty", "nul", "nested_dot", "operator", "nan"],
)
async def test_json_keys_mongodb_would_mangle_are_refused(db: Database, extra: Any) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        await Measure.objects.create(extra=extra)
    assert (raised.value.model, raised.value.field) == ("Measure", "extra")
    assert await db["zx_measures"].count_documents({}) == 0


async def test_a_document_over_16_mb_names_model_and_field_and_writes_nothing(
    db: Database,
) -> None:
    huge = "x" * (17 * 1024 * 1024)
    with pytest.raises(InvalidDocumentError) as raised:
        await Measure.objects.create(note=huge, value=1.0)
    assert (raised.value.model, raised.value.field) == ("Measure", "note")
    assert "16,777,216" in str(raised.value) and huge[:50] not in str(raised.value)
    assert await db["zx_measures"].count_documents({}) == 0

    saved = await Measure.objects.create(note="small")
    saved.note = huge
    with pytest.raises(InvalidDocumentError, match=r"Measure\.note"):
        await saved.save()
    stored = await db["zx_measures"].find_one({"_id": saved._id})
    assert stored is not None and stored["note"] == "small"

    batch = [Measure(note="fine"), Measure(note=huge), Measure(note="also fine")]
    with pytest.raises(InvalidDocumentError, match=r"Measure\.note"):
        await Measure.objects.bulk_insert(batch)
    assert await db["zx_measures"].count_documents({}) == 1  # only `saved`
    assert all(document._id is None for document in batch)


async def test_a_refused_bulk_insert_stores_nothing_of_its_documents(db: Database) -> None:
    identifier = ObjectId()
    with pytest.raises(InvalidDocumentError):
        await Measure.objects.bulk_insert([Measure(_id=identifier, note="x" * (17 * 1024 * 1024))])
    assert await db["zx_measures"].count_documents({"_id": identifier}) == 0


async def test_a_batch_refuses_an_oversized_write_when_it_is_queued(db: Database) -> None:
    kept = await Measure.objects.create(note="kept")
    huge = "x" * (17 * 1024 * 1024)
    with pytest.raises(InvalidDocumentError, match=r"Measure\.note"):
        async with BatchQuery() as batch:
            batch.create(Measure, note="first")
            batch.create(Measure, note=huge)
    kept.note = huge
    with pytest.raises(InvalidDocumentError, match=r"Measure\.note"):
        async with BatchQuery() as batch:
            batch.save(kept)
    assert [m.note for m in await Measure.objects.find_all()] == ["kept"]
