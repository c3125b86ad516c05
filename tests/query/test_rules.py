"""One rulebook for querysets and aggregation pipelines: names, sort keys, counts and merged
conditions behave the same in both, compiled without a server."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from aiomotorengine import (
    DESCENDING,
    Aggregation,
    Document,
    IntField,
    InvalidQueryError,
    StringField,
)
from aiomotorengine.query import compile_filter


class RuleUser(Document):
    name = StringField(db_field="n")
    age = IntField()


class RuleOther(Document):
    title = StringField()


def grouped() -> Aggregation[RuleUser]:
    return RuleUser.objects.aggregate.group_by("name", Aggregation.sum(1, alias="count"))


# --- filter merging ------------------------------------------------------------------------
def test_match_after_grouping_keeps_an_equality_and_an_operator_on_one_key() -> None:
    stage = grouped().match(count=5, count__gt=1).to_query()[-1]
    assert stage == {"$match": {"$and": [{"count": 5}, {"count": {"$gt": 1}}]}}
    # the shape filter() gives on a model field
    assert RuleUser.objects.filter(age=5, age__gt=1).query == {
        "$and": [{"age": 5}, {"age": {"$gt": 1}}]
    }


def test_match_after_grouping_merges_and_keeps_operators_like_filter() -> None:
    stage = grouped().match(count__gt=1, count__lt=9).to_query()[-1]
    assert stage == {"$match": {"count": {"$gt": 1, "$lt": 9}}}
    # is_null=False is {"$ne": None, "$exists": True}: merging it with ne=3 would drop one $ne
    stage = grouped().match(count__is_null=False, count__ne=3).to_query()[-1]
    assert stage == {
        "$match": {"$and": [{"count": {"$ne": None, "$exists": True}}, {"count": {"$ne": 3}}]}
    }
    assert compile_filter(RuleUser, {"age__is_null": False, "age__ne": 3}) == {
        "$and": [{"age": {"$ne": None, "$exists": True}}, {"age": {"$ne": 3}}]
    }


# --- sort keys -----------------------------------------------------------------------------
@pytest.mark.parametrize("direction", [True, False, 0, 2, "desc"])
def test_aggregate_order_by_refuses_what_queryset_order_by_refuses(direction: Any) -> None:
    with pytest.raises(InvalidQueryError, match="RuleUser: sort direction"):
        RuleUser.objects.order_by("age", direction)
    with pytest.raises(InvalidQueryError, match=r"RuleUser\.objects\.aggregate: sort direction"):
        RuleUser.objects.aggregate.order_by("age", direction)
    with pytest.raises(InvalidQueryError, match="sort direction"):
        grouped().order_by("count", direction)


def test_aggregate_order_by_bool_sends_nothing() -> None:
    aggregation = RuleUser.objects.aggregate.match(age=1)
    with pytest.raises(InvalidQueryError):
        aggregation.order_by("age", True)
    assert aggregation.to_query() == [{"$match": {"age": 1}}]


def test_sort_keys_take_a_minus_prefix_or_a_direction_in_both() -> None:
    assert RuleUser.objects.order_by("-name").order_by(RuleUser.age, DESCENDING)._sort == [
        ("n", DESCENDING),
        ("age", DESCENDING),
    ]
    pipeline = RuleUser.objects.aggregate.order_by("-name").order_by(RuleUser.age, DESCENDING)
    assert pipeline.to_query() == [{"$sort": {"n": DESCENDING, "age": DESCENDING}}]


# --- names and counts ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["", "$where", 5, None])
def test_field_names_refused_alike(name: Any) -> None:
    with pytest.raises(InvalidQueryError, match="RuleUser: expected a field name or field"):
        RuleUser.objects.order_by(name)
    with pytest.raises(
        InvalidQueryError, match=r"RuleUser\.objects\.aggregate: expected a field name or field"
    ):
        RuleUser.objects.aggregate.order_by(name)


def test_field_objects_of_another_model_refused_alike() -> None:
    for build in (RuleUser.objects.order_by, RuleUser.objects.aggregate.order_by):
        with pytest.raises(InvalidQueryError, match=r"RuleUser: .*RuleOther\.title.* not a field"):
            build(RuleOther.title)
    # after a reshaping stage, a field stands for its name
    assert grouped().order_by(RuleOther.title).to_query()[-1] == {"$sort": {"title": 1}}


@pytest.mark.parametrize("value", [-1, True, 1.5, "2"])
def test_counts_refused_alike(value: Any) -> None:
    for method, expected in (("limit", "an int >= 1"), ("skip", "a non-negative int")):
        with pytest.raises(InvalidQueryError, match=rf"^{method}\(\) takes {expected}"):
            getattr(RuleUser.objects, method)(value)
        with pytest.raises(InvalidQueryError, match=rf"aggregate\.{method}\(\) takes"):
            getattr(RuleUser.objects.aggregate, method)(value)
    with pytest.raises(InvalidQueryError, match=r"aggregate\.limit\(\) takes an int >= 1"):
        RuleUser.objects.aggregate.limit(0)
    with pytest.raises(InvalidQueryError, match=r"^limit\(\) takes an int >= 1"):
        RuleUser.objects.limit(0)  # the same rule: 0 would mean no limit at all
    assert RuleUser.objects.aggregate.skip(0).to_query() == [{"$skip": 0}]


# --- the shape of the query layer ----------------------------------------------------------
PACKAGE = Path(__file__).resolve().parents[2] / "aiomotorengine"
COMPILING_MODULES = sorted(
    [*(PACKAGE / "query").glob("*.py"), *(PACKAGE / "queryset").glob("*.py")]
)


@pytest.mark.parametrize("path", COMPILING_MODULES, ids=lambda path: path.name)
def test_aiomotorengine_is_imported_at_the_top_only(path: Path) -> None:
    # No import of our own modules hides in a function or a TYPE_CHECKING block (to dodge a
    # cycle): the import graph seen at run time is the real one.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(statement) for statement in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and id(node) not in top_level:
            assert not (node.module or "").startswith("aiomotorengine"), (
                f"{path.name}:{node.lineno}"
            )
        if isinstance(node, ast.Import) and id(node) not in top_level:
            assert not any(alias.name.startswith("aiomotorengine") for alias in node.names), (
                f"{path.name}:{node.lineno}"
            )
