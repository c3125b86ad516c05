"""Every query operator, in its documented module, compiled without a server."""

from __future__ import annotations

import importlib
import re
from datetime import datetime
from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidQueryError,
    ListField,
    Q,
    StringField,
)
from aiomotorengine.query import OPERATORS, QueryOperator


class OpItem(EmbeddedDocument):
    sku = StringField()
    qty = IntField(db_field="q")


class OpUser(Document):
    name = StringField(db_field="n")
    age = IntField()
    email = StringField()
    tags = ListField(StringField())
    scores = ListField(IntField())
    items = ListField(EmbeddedDocumentField(OpItem))
    born = DateTimeField()


def compiled(**keywords: Any) -> dict[str, Any]:
    return Q(**keywords).to_query(OpUser)


@pytest.mark.parametrize(
    ("module", "class_name", "operator"),
    [
        ("exists", "ExistsQueryOperator", "exists"),
        ("greater_than", "GreaterThanQueryOperator", "gt"),
        ("greater_than_or_equal", "GreaterThanOrEqualQueryOperator", "gte"),
        ("less_than", "LesserThanQueryOperator", "lt"),
        ("less_than", "LessThanQueryOperator", "lt"),
        ("lesser_than", "LesserThanQueryOperator", "lt"),
        ("lesser_than", "LessThanQueryOperator", "lt"),
        ("less_than_or_equal", "LesserThanOrEqualQueryOperator", "lte"),
        ("less_than_or_equal", "LessThanOrEqualQueryOperator", "lte"),
        ("lesser_than_or_equal", "LesserThanOrEqualQueryOperator", "lte"),
        ("lesser_than_or_equal", "LessThanOrEqualQueryOperator", "lte"),
        ("in_operator", "InQueryOperator", "in"),
        ("is_null", "IsNullQueryOperator", "is_null"),
        ("not_equal", "NotEqualQueryOperator", "ne"),
        ("not_in", "NotInQueryOperator", "nin"),
    ],
)
def test_documented_module_and_class(module: str, class_name: str, operator: str) -> None:
    operator_class = getattr(importlib.import_module(f"aiomotorengine.query.{module}"), class_name)
    assert issubclass(operator_class, QueryOperator)
    assert operator_class.name == operator
    # the class registered for the keyword is the documented one
    assert type(OPERATORS[operator]) is operator_class


def test_upstream_spellings_are_the_same_classes() -> None:
    from aiomotorengine.query.less_than import LesserThanQueryOperator
    from aiomotorengine.query.less_than_or_equal import LesserThanOrEqualQueryOperator
    from aiomotorengine.query.lesser_than import LessThanQueryOperator
    from aiomotorengine.query.lesser_than_or_equal import LessThanOrEqualQueryOperator

    assert LessThanQueryOperator is LesserThanQueryOperator
    assert LessThanOrEqualQueryOperator is LesserThanOrEqualQueryOperator


def test_operator_to_query_of_the_old_api() -> None:
    from aiomotorengine.query.greater_than import GreaterThanQueryOperator

    assert GreaterThanQueryOperator().to_query("age", 20) == {"age": {"$gt": 20}}


# --- the forms printed in the seed, exactly ------------------------------------------------
def test_seed_exists() -> None:
    assert compiled(name__exists=True) == {"n": {"$exists": True}}
    assert compiled(name__exists=False) == {"n": {"$exists": False}}


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ({"age__gt": 20}, {"age": {"$gt": 20}}),
        ({"age__gte": 21}, {"age": {"$gte": 21}}),
        ({"age__lt": 20}, {"age": {"$lt": 20}}),
        ({"age__lte": 21}, {"age": {"$lte": 21}}),
        ({"age__in": [20, 21, 22, 23, 24]}, {"age": {"$in": [20, 21, 22, 23, 24]}}),
        ({"age__nin": (20, 21)}, {"age": {"$nin": [20, 21]}}),
        ({"email__ne": "heynemann@gmail.com"}, {"email": {"$ne": "heynemann@gmail.com"}}),
        ({"email__is_null": False}, {"email": {"$ne": None, "$exists": True}}),
        ({"email__is_null": True}, {"email": None}),
    ],
)
def test_seed_operator_forms(keywords: dict[str, Any], expected: dict[str, Any]) -> None:
    assert compiled(**keywords) == expected


def test_seed_is_null_false_keys() -> None:
    query_result = compiled(email__is_null=False)
    assert "email" in query_result
    assert "$ne" in query_result["email"]
    assert "$exists" in query_result["email"]


@pytest.mark.parametrize("operator", ["exists", "is_null"])
@pytest.mark.parametrize("value", ["false", "yes", None, 2, [True]])
def test_flag_operators_reject_non_booleans(operator: str, value: Any) -> None:
    # "false" is truthy: silently turning it into True would invert a user's filter
    with pytest.raises(InvalidQueryError, match=re.escape(repr(value))):
        compiled(**{f"email__{operator}": value})


# --- values converted by their field -------------------------------------------------------
def test_comparison_values_converted_by_field() -> None:
    when = datetime(2010, 1, 1)
    assert compiled(born__lt=when) == {"born": {"$lt": when}}
    assert compiled(age__in=[1, 2]) == {"age": {"$in": [1, 2]}}
    oid = ObjectId()
    assert compiled(id__in=[str(oid)]) == {"_id": {"$in": [oid]}}


@pytest.mark.parametrize(
    "keywords",
    [{"age__gt": "20.5"}, {"age__in": [1, "x"]}, {"age__ne": "a"}, {"born__lt": "yesterday"}],
)
def test_comparison_values_of_the_wrong_type_rejected(keywords: dict[str, Any]) -> None:
    [key] = keywords
    with pytest.raises(InvalidQueryError) as raised:
        compiled(**keywords)
    message = str(raised.value)
    assert "OpUser" in message and key in message


@pytest.mark.parametrize("operator", ["in", "nin", "all"])
@pytest.mark.parametrize("value", [5, "abc", {"$gt": 1}])
def test_list_operators_need_a_list(operator: str, value: Any) -> None:
    with pytest.raises(InvalidQueryError, match=f"'{operator}' operator takes a list"):
        compiled(**{f"age__{operator}": value})


# --- array operators ----------------------------------------------------------------------
def test_all_size_elem_match() -> None:
    assert compiled(tags__all=["a", "b"]) == {"tags": {"$all": ["a", "b"]}}
    assert compiled(tags__size=2) == {"tags": {"$size": 2}}
    assert compiled(scores__elem_match={"gte": 80, "lt": 85}) == {
        "scores": {"$elemMatch": {"$gte": 80, "$lt": 85}}
    }
    # embedded documents: keyword filters of the embedded model, through db_field
    assert compiled(items__elem_match={"sku": "a", "qty__gt": 2}) == {
        "items": {"$elemMatch": {"sku": "a", "q": {"$gt": 2}}}
    }
    assert compiled(items__elem_match=Q(sku="a") | Q(qty=1)) == {
        "items": {"$elemMatch": {"$or": [{"sku": "a"}, {"q": 1}]}}
    }


@pytest.mark.parametrize("value", [-1, "2", 1.5, True])
def test_size_rejects_non_counts(value: Any) -> None:
    with pytest.raises(InvalidQueryError, match="size takes a non-negative int"):
        compiled(tags__size=value)


def test_elem_match_rejects_unknown_names() -> None:
    with pytest.raises(InvalidQueryError, match="unknown operator 'between'"):
        compiled(scores__elem_match={"between": [1, 2]})
    with pytest.raises(InvalidQueryError, match="'colour'"):
        compiled(items__elem_match={"colour": "red"})
    with pytest.raises(InvalidQueryError, match=r"OpItem.qty"):
        compiled(items__elem_match={"qty": {"$gt": 1}})


# --- string operators ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("contains", {"$regex": r"a\.b"}),
        ("icontains", {"$regex": r"a\.b", "$options": "i"}),
        ("startswith", {"$regex": r"^a\.b"}),
        ("istartswith", {"$regex": r"^a\.b", "$options": "i"}),
        ("endswith", {"$regex": r"a\.b\z"}),
        ("iendswith", {"$regex": r"a\.b\z", "$options": "i"}),
        ("exact", {"$regex": r"^a\.b\z"}),
        ("iexact", {"$regex": r"^a\.b\z", "$options": "i"}),
    ],
)
def test_string_operators_escape_the_text(operator: str, expected: dict[str, Any]) -> None:
    assert compiled(**{f"name__{operator}": "a.b"}) == {"n": expected}
    # PCRE's \z (the very end, MongoDB's engine) is \Z in Python's re.
    python_pattern = expected["$regex"].replace(r"\z", r"\Z")
    pattern = re.compile(python_pattern, re.I if "$options" in expected else 0)
    assert not pattern.search("axb")  # "." is literal
    assert pattern.search("a.b")
    if operator.endswith(("endswith", "exact")):
        assert not pattern.search("a.b\n")  # "$" would match before a final newline


@pytest.mark.parametrize("text", ["(", "a*", "[x]", "$where", "^.*$", "\\d+", "{2}"])
def test_string_operators_match_regex_metacharacters_literally(text: str) -> None:
    condition = compiled(name__contains=text)["n"]
    assert re.search(condition["$regex"], f"before{text}after")
    assert not re.search(condition["$regex"], "something else entirely")


def test_string_operators_reject_non_strings() -> None:
    with pytest.raises(InvalidQueryError, match="contains takes a str"):
        compiled(name__contains={"$ne": None})
    with pytest.raises(InvalidQueryError, match="iexact takes a str"):
        compiled(name__iexact=["a"])


def test_regex_operator() -> None:
    assert compiled(name__regex="^B.r") == {"n": {"$regex": "^B.r"}}
    assert compiled(name__regex=re.compile("^b", re.I | re.M)) == {
        "n": {"$regex": "^b", "$options": "im"}
    }
    with pytest.raises(InvalidQueryError, match="regex takes a str"):
        compiled(name__regex=5)


def test_an_operator_name_registers_once() -> None:
    from aiomotorengine.query.comparison import GreaterThanQueryOperator

    with pytest.raises(TypeError, match="'gt' is already taken by GreaterThanQueryOperator"):

        class Greater(QueryOperator):
            name = "gt"

    assert type(OPERATORS["gt"]) is GreaterThanQueryOperator
