"""Q trees, names, values and injection cases, compiled without a server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BooleanField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidQueryError,
    JsonField,
    ListField,
    Q,
    StringField,
)
from aiomotorengine.query import compile_filter


class CompAddress(EmbeddedDocument):
    street = StringField(db_field="st")
    number = IntField()


class CompLine(EmbeddedDocument):
    sku = StringField()
    qty = IntField(db_field="q")


class CompUser(Document):
    name = StringField(db_field="n")
    age = IntField()
    email = StringField()
    is_active = BooleanField()
    last_update = DateTimeField()
    tags = ListField(StringField())
    address = EmbeddedDocumentField(CompAddress, db_field="addr")
    items = ListField(EmbeddedDocumentField(CompLine))
    extra = JsonField()


def test_seed_gt_form_exact() -> None:
    assert Q(age__gt=20).to_query(CompUser) == {"age": {"$gt": 20}}


def test_seed_or_example_branches_in_order() -> None:
    cutoff = datetime(2010, 1, 1, 0, 0, 0)
    query = Q(last_update__is_null=True) | (Q(is_active=True) & Q(last_update__lt=cutoff))
    query_result = query.to_query(CompUser)
    assert query_result == {
        "$or": [{"last_update": None}, {"is_active": True, "last_update": {"$lt": cutoff}}]
    }
    or_query = query_result["$or"]
    assert len(or_query) == 2
    assert "last_update" in or_query[0]
    assert "is_active" in or_query[1]
    assert "last_update" in or_query[1]


def test_and_merges_into_one_dict_when_no_key_repeats() -> None:
    assert (Q(age=1) & Q(name="x")).to_query(CompUser) == {"age": 1, "n": "x"}
    assert Q(age__gt=1, age__lt=5).to_query(CompUser) == {"age": {"$gt": 1, "$lt": 5}}


def test_and_with_a_repeated_key_uses_and() -> None:
    assert (Q(age__gt=1) & Q(age__lt=5)).to_query(CompUser) == {
        "$and": [{"age": {"$gt": 1}}, {"age": {"$lt": 5}}]
    }
    # raw query and keyword on the same key: never one overwriting the other
    assert Q({"n": "raw"}, name="kw").to_query(CompUser) == {"$and": [{"n": "raw"}, {"n": "kw"}]}


def test_or_flattens_in_order_and_and_inside_or() -> None:
    query = Q(age=1) | Q(name="a") | Q(email="e")
    assert query.to_query(CompUser) == {"$or": [{"age": 1}, {"n": "a"}, {"email": "e"}]}
    assert (Q(age=1) & (Q(name="a") | Q(name="b"))).to_query(CompUser) == {
        "age": 1,
        "$or": [{"n": "a"}, {"n": "b"}],
    }


def test_negation() -> None:
    assert (~Q(age=1)).to_query(CompUser) == {"$nor": [{"age": 1}]}
    assert (~(Q(age=1) | Q(name="a"))).to_query(CompUser) == {
        "$nor": [{"$or": [{"age": 1}, {"n": "a"}]}]
    }
    # negating a negation keeps the meaning
    assert (~~Q(age=1)).to_query(CompUser) == {"$nor": [{"$nor": [{"age": 1}]}]}
    # ~ does not modify the original Q
    original = Q(age=1)
    _ = ~original
    assert original.to_query(CompUser) == {"age": 1}


def test_empty_q() -> None:
    assert Q().to_query(CompUser) == {}
    assert (Q() | Q(age=1)).to_query(CompUser) == {"age": 1}
    assert Q().is_empty() and not Q(age=1).is_empty()


def test_q_rejects_non_dict_positional() -> None:
    with pytest.raises(TypeError, match="raw query dicts"):
        Q(["age", 1])  # type: ignore[arg-type]


def test_names_through_db_field_embedded_and_lists() -> None:
    assert Q(name="x").to_query(CompUser) == {"n": "x"}
    assert Q(address__street="Main").to_query(CompUser) == {"addr.st": "Main"}
    assert Q(address__number__gte=3).to_query(CompUser) == {"addr.number": {"$gte": 3}}
    assert Q(items__qty__gt=2).to_query(CompUser) == {"items.q": {"$gt": 2}}
    assert Q(items__sku="a").to_query(CompUser) == {"items.sku": "a"}
    # dotted names are accepted too
    assert Q(**{"address.street": "Main"}).to_query(CompUser) == {"addr.st": "Main"}


def test_id_and_pk() -> None:
    oid = ObjectId()
    assert Q(id=oid).to_query(CompUser) == {"_id": oid}
    assert Q(pk=str(oid)).to_query(CompUser) == {"_id": oid}
    assert Q(id__in=[oid]).to_query(CompUser) == {"_id": {"$in": [oid]}}


def test_malformed_id_error_contains_it() -> None:
    with pytest.raises(InvalidQueryError, match="'not-an-id'"):
        Q(id="not-an-id").to_query(CompUser)


def test_list_field_list_means_all_and_scalar_means_contains() -> None:
    assert Q(tags=["a", "b"]).to_query(CompUser) == {"tags": {"$all": ["a", "b"]}}
    assert Q(tags="a").to_query(CompUser) == {"tags": "a"}
    assert Q(tags__in=["a", "b"]).to_query(CompUser) == {"tags": {"$in": ["a", "b"]}}
    line = CompLine(sku="s", qty=1)
    assert Q(items=line).to_query(CompUser) == {"items": {"sku": "s", "q": 1}}


def test_embedded_document_value_compiles_to_its_son() -> None:
    address = CompAddress(street="Main", number=1)
    assert Q(address=address).to_query(CompUser) == {"addr": {"st": "Main", "number": 1}}


def test_raw_dicts_pass_through_unchanged() -> None:
    raw = {"addresses": {"street": "Infinite Loop"}, "$where": "ignored by us"}
    assert Q(raw).to_query(CompUser) == raw
    assert Q({"a": 1}, name="x").to_query(CompUser) == {"a": 1, "n": "x"}


def test_schemaless_json_field_paths() -> None:
    assert Q(extra__a__b=1).to_query(CompUser) == {"extra.a.b": 1}
    assert Q(extra__a__gt=1).to_query(CompUser) == {"extra.a": {"$gt": 1}}


def test_compile_filter_directly() -> None:
    assert compile_filter(CompUser, {"age__gte": 1, "name": "x"}) == {"age": {"$gte": 1}, "n": "x"}


# --- injection --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("keywords", "shown"),
    [
        ({"name": {"$ne": None}}, "{'$ne': None}"),
        ({"name": {"$gt": ""}}, "{'$gt': ''}"),
        ({"name": ["a", "b"]}, "['a', 'b']"),
        ({"age": {"$exists": True}}, "{'$exists': True}"),
        ({"email__ne": {"$regex": ".*"}}, "{'$regex': '.*'}"),
        ({"age__lt": {"$gt": 1}}, "{'$gt': 1}"),
        ({"age__in": [{"$gt": 1}]}, "{'$gt': 1}"),
        ({"tags": {"$ne": "x"}}, "{'$ne': 'x'}"),
        ({"tags__in": [["a"]]}, "['a']"),
        ({"address": {"street": {"$ne": None}}}, "{'street': {'$ne': None}}"),
        ({"address__street": {"$ne": None}}, "{'$ne': None}"),
        ({"items__qty": {"$gt": 0}}, "{'$gt': 0}"),
        ({"id": {"$ne": None}}, "{'$ne': None}"),
    ],
)
def test_operator_injection_rejected(keywords: dict[str, Any], shown: str) -> None:
    with pytest.raises(InvalidQueryError) as raised:
        Q(**keywords).to_query(CompUser)
    message = str(raised.value)
    assert "CompUser" in message
    assert next(iter(keywords)) in message  # the filter that was rejected
    assert shown in message  # and the offending value


def test_injection_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Q(name={"$ne": None}).to_query(CompUser)


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("nickname", "'nickname'"),
        ("address__city", "'city'"),
        ("items__colour__gt", "'colour'"),
        ("name__startswithh", "unknown operator 'startswithh'"),
        ("age__between", "unknown operator 'between'"),
        ("age__gt__lt", "'gt'"),
        ("$where", "'$where'"),
        ("name__$ne", "'name__$ne'"),
        ("address__$where", "'address__$where'"),
        ("__raw__", "'__raw__'"),
    ],
)
def test_unknown_names_and_operators_rejected(key: str, named: str) -> None:
    with pytest.raises(ValueError, match="CompUser") as raised:
        Q(**{key: 1}).to_query(CompUser)
    assert isinstance(raised.value, InvalidQueryError)
    assert named in str(raised.value)


def test_unknown_field_error_lists_known_names() -> None:
    with pytest.raises(InvalidQueryError, match=r"known: .*age.*name"):
        Q(nickname="x").to_query(CompUser)


def test_filter_values_need_the_type_not_the_fields_value_constraints() -> None:
    from aiomotorengine import EmailField

    class Bounded(Document):
        age = IntField(min_value=0, max_value=150)
        code = StringField(max_length=3)
        email = EmailField()

    assert Q(age__gt=-1).to_query(Bounded) == {"age": {"$gt": -1}}
    assert Q(code="longer").to_query(Bounded) == {"code": "longer"}
    assert Q(email="not-an-address").to_query(Bounded) == {"email": "not-an-address"}
    with pytest.raises(InvalidQueryError, match="age"):
        Q(age="twelve").to_query(Bounded)
    with pytest.raises(InvalidQueryError, match="age"):
        Q(age=True).to_query(Bounded)
