"""Hostile input caught while compiling, before any I/O: update modifiers and conditions,
aggregation stages after a reshaping stage, the name cache, and credential redaction."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from aiomotorengine import (
    Aggregation,
    ConnectionError,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    JsonField,
    ListField,
    Q,
    StringField,
    connect,
)
from aiomotorengine.connection import disconnect, redact
from aiomotorengine.query.update import compile_update

SECRET = "S3cr3t-Pw"


class SecLine(EmbeddedDocument):
    sku = StringField()


class SecPost(Document):
    title = StringField()
    data = JsonField()
    blobs = ListField(JsonField())
    anything = ListField()
    lines = ListField(EmbeddedDocumentField(SecLine))
    scores = ListField(IntField())


# Each of these would let the caller's value act as an operator: a $pull condition matching
# every item, or $push modifiers ($slice: 0 empties the list, $each adds many items).
HOSTILE_UPDATES: list[dict[str, Any]] = [
    {"pull__data": {"$ne": None}},
    {"pull__blobs": {"$gt": ""}},
    {"pull__blobs": {"nested": {"$exists": True}}},
    {"pull__anything": {"$ne": None}},
    {"pull__lines": {"$ne": None}},
    {"push__data": {"$each": [], "$slice": 0}},
    {"push__blobs": {"$each": [], "$slice": 0}},
    {"push__anything": {"$each": ["a", "b"]}},
    {"add_to_set__anything": {"$each": ["a", "b"]}},
    {"add_to_set__blobs": {"$each": ["a"]}},
    {"push_all__blobs": [{"$each": [], "$slice": 0}]},
]


@pytest.mark.parametrize("operations", HOSTILE_UPDATES)
def test_operator_shaped_list_update_values_are_refused(operations: dict[str, Any]) -> None:
    [(key, _)] = operations.items()
    field = key.split("__", 1)[1]
    # An item field may refuse the value itself (InvalidDocumentError, as for any bad value).
    with pytest.raises((InvalidQueryError, InvalidDocumentError), match=rf"SecPost.*{field}"):
        compile_update(SecPost, None, operations)


def test_plain_list_update_values_still_compile() -> None:
    assert compile_update(SecPost, None, {"pull__blobs": {"a": 1}}) == {
        "$pull": {"blobs": {"a": 1}}
    }
    assert compile_update(SecPost, None, {"push__anything": {"a": [1, {"b": 2}]}}) == {
        "$push": {"anything": {"a": [1, {"b": 2}]}}
    }
    assert compile_update(SecPost, None, {"add_to_set__blobs": ["x", "y"]}) == {
        "$addToSet": {"blobs": {"$each": ["x", "y"]}}
    }
    assert compile_update(SecPost, None, {"pull__lines": SecLine(sku="a")}) == {
        "$pull": {"lines": {"sku": "a"}}
    }


def reshaped() -> Aggregation[SecPost]:
    return SecPost.objects.aggregate.group_by("title", Aggregation.sum(1, alias="count"))


@pytest.mark.parametrize(
    "filters",
    [
        {"$expr": {"$gt": ["$count", 0]}},
        {"count": {"$gt": 0}},
        {"count": [{"$gt": 0}]},
        {"count__$gt": 0},
        {"title.$x": 0},
        {"": 1},
        {"count__in": [{"$gt": 0}]},
        {"count__ne": {"$gt": 0}},
    ],
)
def test_match_after_a_reshaping_stage_refuses_operators_from_values_and_names(
    filters: dict[str, Any],
) -> None:
    aggregation = reshaped()
    with pytest.raises(InvalidQueryError, match="SecPost"):
        aggregation.match(**filters)
    assert [list(stage) for stage in aggregation.to_query()] == [["$group"]]


def test_match_after_a_reshaping_stage_keeps_plain_filters() -> None:
    stage = reshaped().match(count__gte=2, title="a", _id__title__in=["a", "b"]).to_query()[-1]
    assert stage == {
        "$match": {"count": {"$gte": 2}, "title": "a", "_id.title": {"$in": ["a", "b"]}}
    }


@pytest.mark.parametrize("name", ["$count", "-$count", "count.$", "a__$b"])
def test_names_after_a_reshaping_stage_refuse_dollar_parts(name: str) -> None:
    with pytest.raises(InvalidQueryError, match="SecPost"):
        reshaped().order_by(name)
    with pytest.raises(InvalidQueryError, match="SecPost"):
        reshaped().group_by(name.lstrip("-"))
    with pytest.raises(InvalidQueryError, match="SecPost"):
        reshaped().project(name.lstrip("-"))


def test_schemaless_names_do_not_grow_the_resolution_cache_without_bound() -> None:
    SecPost._query_cache.clear()
    for index in range(5000):
        SecPost.objects.filter(**{f"data__k{index}": "v"})
    assert len(SecPost._query_cache) < 1000
    assert SecPost.objects.filter(data__k7="v").query == {"data.k7": "v"}


def test_elem_match_is_null_on_scalars() -> None:
    assert Q(scores__elem_match={"is_null": True}).to_query(SecPost) == {
        "scores": {"$elemMatch": {"$eq": None}}
    }


# --- credentials ---------------------------------------------------------------------------


@pytest.fixture
def forget() -> Iterator[list[str]]:
    aliases: list[str] = []
    yield aliases
    for alias in aliases:
        disconnect(alias)


def test_password_with_spaces_is_hidden_in_repr(forget: list[str]) -> None:
    forget.append("spaces")
    handle = connect(alias="spaces", host="mongodb://user:pa ss w0rd@127.0.0.1:1/db")
    assert "pa ss" not in repr(handle) and "w0rd" not in repr(handle)
    assert "127.0.0.1:1" in repr(handle)


@pytest.mark.parametrize(
    "text",
    [
        f"mongodb://user:{SECRET}@h1:1,h2:2/db?replicaSet=rs",
        f"mongodb+srv://user:{SECRET}@cluster0.example.com/db",
        f"mongodb://user:{SECRET} x@h1:1/db",
        f"mongodb://user:{SECRET}@x@h1:1/db",
        f"MONGODB://user:{SECRET}@h1:1/db",
        f"see mongodb://user:{SECRET}@h1",
    ],
)
def test_redact_hides_every_userinfo_shape(text: str) -> None:
    assert SECRET not in redact(text)


def test_configuration_errors_never_echo_secret_options(forget: list[str]) -> None:
    forget.extend(["gssapi", "props"])
    with pytest.raises(ConnectionError) as from_uri:
        connect(
            alias="gssapi",
            host=(
                "mongodb://user@127.0.0.1:1/db?authMechanism=GSSAPI"
                f"&authMechanismProperties=CANONICALIZE_HOST_NAME:{SECRET}"
            ),
        )
    with pytest.raises(ConnectionError) as from_keyword:
        connect(
            "db",
            alias="props",
            host="127.0.0.1",
            username="user",
            authMechanism="GSSAPI",
            authMechanismProperties={"CANONICALIZE_HOST_NAME": SECRET},
        )
    for raised in (from_uri, from_keyword):
        error = raised.value
        assert "cannot configure connection" in str(error)
        assert SECRET not in str(error) and SECRET not in repr(error)
        # Nothing in the exception chain keeps the driver's message either.
        assert error.__cause__ is None and error.__context__ is None


def test_driver_client_repr_hides_the_tls_key_password(forget: list[str]) -> None:
    forget.append("tls")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        handle = connect(
            "db",
            alias="tls",
            host="127.0.0.1",
            port=1,
            tls=True,
            tlsCertificateKeyFilePassword=SECRET,
        )
    for shown in (repr(handle), repr(handle.client), repr(handle.database), repr(handle.t)):
        assert SECRET not in shown, shown


def test_an_empty_dict_value_is_never_merged_away() -> None:
    # Equality with {} merged into an operator dict would drop the equality (match more).
    assert SecPost.objects.filter(data={}, data__exists=True).query == {
        "$and": [{"data": {}}, {"data": {"$exists": True}}]
    }
    assert SecPost.objects.filter(data__ne=1, data={}).query == {
        "$and": [{"data": {"$ne": 1}}, {"data": {}}]
    }


def test_patterns_are_no_equality_values_even_on_untyped_fields() -> None:
    import re

    from bson.regex import Regex

    from aiomotorengine import BaseField, InvalidQueryError, JsonField, ListField, Q

    class Loose(Document):
        anything = BaseField()
        items = ListField()
        data = JsonField()

    for key in ("anything", "items", "data", "data__inner"):
        for pattern in (re.compile(".*"), Regex(".*")):
            with pytest.raises(InvalidQueryError, match="regex"):
                Q(**{key: pattern}).to_query(Loose)
    assert Q(anything__regex="^a").to_query(Loose) == {"anything": {"$regex": "^a"}}


def test_json_values_with_operator_keys_are_refused_on_assignment() -> None:
    from aiomotorengine import InvalidDocumentError, JsonField

    class Settings(Document):
        data = JsonField()

    with pytest.raises(InvalidDocumentError, match="data"):
        Settings(data={"$where": "sleep(1000)"})
    with pytest.raises(InvalidDocumentError, match="data"):
        Settings(data=[{"ok": 1}, {"nested": {"$gt": ""}}])
    assert Settings(data={"price": {"amount": 1}}).data == {"price": {"amount": 1}}


NUL_CALLS: dict[str, Any] = {
    "filter": lambda: SecPost.objects.filter(**{"data__a\0": 1}),
    "filter_dotted": lambda: SecPost.objects.filter(**{"data.a\0.b": 1}),
    "order_by": lambda: SecPost.objects.order_by("data.a\0"),
    "only": lambda: SecPost.objects.only("data.a\0"),
    "update": lambda: compile_update(SecPost, None, {"data.a\0": 1}),
    "update_kw": lambda: compile_update(SecPost, None, {"set__data__a\0": 1}),
    "reshaped_match": lambda: reshaped().match(**{"count\0": 1}),
    "reshaped_sort": lambda: reshaped().order_by("count\0"),
    "count_name": lambda: SecPost.objects.aggregate.count("n\0"),
}


@pytest.mark.parametrize("call", list(NUL_CALLS.values()), ids=list(NUL_CALLS))
def test_nul_in_a_name_is_refused_before_bson_sees_it(call: Any) -> None:
    with pytest.raises(InvalidQueryError, match=r"SecPost|aggregate"):
        call()


class BigItem(Document):
    qty = IntField()
    meta = JsonField()
    tags = ListField(IntField())
    anything = ListField()


BEYOND_INT64: dict[str, dict[str, Any]] = {
    "int": {"qty": 2**64},
    "int_string": {"qty": "9999999999999999999"},
    "negative": {"qty": -(2**63) - 1},
    "gt": {"qty__gt": 2**64},
    "in": {"qty__in": [1, 2**64]},
    "list_item": {"tags": 2**64},
    "list_all": {"tags": [1, 2**64]},
    "json_path": {"meta__n": 2**64},
    "json_value": {"meta": {"n": [2**64]}},
    "untyped": {"anything": 2**64},
}


@pytest.mark.parametrize("filters", list(BEYOND_INT64.values()), ids=list(BEYOND_INT64))
def test_filter_ints_beyond_64_bits_are_refused(filters: dict[str, Any]) -> None:
    [key] = filters
    with pytest.raises(InvalidQueryError, match=rf"BigItem\.{key}: .*(1844|9999|-9223)"):
        BigItem.objects.filter(**filters)


def test_filter_ints_at_the_64_bit_bounds_still_compile() -> None:
    low, high = -(2**63), 2**63 - 1
    assert BigItem.objects.filter(qty=high, tags=low, meta__n=high).query == {
        "qty": high,
        "tags": low,
        "meta.n": high,
    }
    assert BigItem.objects.filter(qty="9223372036854775807").query == {"qty": high}


@pytest.mark.parametrize(
    "update",
    [{"meta": {"n": 2**64}}, {"meta": [2**64]}, {"qty": 2**64}],
    ids=["json_dict", "json_list", "int"],
)
def test_document_and_update_values_beyond_64_bits_are_refused(update: dict[str, Any]) -> None:
    [(name, value)] = update.items()
    with pytest.raises(InvalidDocumentError, match=rf"BigItem\.{name}: invalid value"):
        BigItem(**update)
    with pytest.raises(InvalidDocumentError, match=rf"BigItem\.{name}: invalid value"):
        BigItem.from_dict(update)
    with pytest.raises(InvalidDocumentError, match=rf"BigItem\.{name}: invalid value"):
        compile_update(BigItem, update)
    with pytest.raises(InvalidDocumentError, match=rf"BigItem\.{name}: invalid value"):
        compile_update(BigItem, None, {f"set__{name}": value})
    with pytest.raises(InvalidDocumentError, match=r"BigItem\.meta: invalid value 1844"):
        compile_update(BigItem, None, {"set__meta__n": 2**64})
