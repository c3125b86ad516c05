"""Building a queryset (no I/O happens until a terminal call): state and rejections."""

from __future__ import annotations

from typing import Any

import pytest

from aiomotorengine import (
    DESCENDING,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidQueryError,
    Q,
    StringField,
)


class BuildAddress(EmbeddedDocument):
    street = StringField(db_field="st")


class BuildUser(Document):
    name = StringField(db_field="n")
    age = IntField()
    address = EmbeddedDocumentField(BuildAddress)


class OtherModel(Document):
    title = StringField()


def test_objects_is_fresh_on_every_access() -> None:
    first = BuildUser.objects
    first.filter(age=1)
    assert BuildUser.objects is not first
    assert BuildUser.objects.query == {}


def test_chain_methods_return_the_queryset_itself() -> None:
    queryset = BuildUser.objects
    assert queryset.filter(age=1) is queryset
    assert queryset.filter_not(name="x") is queryset
    assert queryset.order_by("age") is queryset
    assert queryset.limit(2) is queryset
    assert queryset.skip(1) is queryset
    assert queryset.only("name") is queryset
    assert queryset.exclude("age") is queryset


def test_successive_filters_are_anded() -> None:
    queryset = BuildUser.objects.filter(age__gt=1)
    queryset.filter(age__lt=5)
    queryset.filter(name="x")
    assert queryset.query == {"$and": [{"age": {"$gt": 1}}, {"age": {"$lt": 5}}, {"n": "x"}]}
    assert BuildUser.objects.filter(age=1).filter(name="x").query == {"age": 1, "n": "x"}


def test_filter_not_ands_with_what_is_there() -> None:
    queryset = BuildUser.objects.filter(age__gte=18)
    queryset.filter_not(name="x")
    assert queryset.query == {"age": {"$gte": 18}, "$nor": [{"n": "x"}]}
    assert BuildUser.objects.filter_not(Q(age=1) | Q(age=2)).query == {
        "$nor": [{"$or": [{"age": 1}, {"age": 2}]}]
    }


def test_filter_takes_q_raw_dicts_and_keywords() -> None:
    queryset = BuildUser.objects.filter(Q(age=1), {"raw.key": 2}, name="x")
    assert queryset.query == {"age": 1, "raw.key": 2, "n": "x"}


@pytest.mark.parametrize("bad", ["age=1", 5, ["age"], None])
def test_filter_rejects_other_arguments(bad: Any) -> None:
    with pytest.raises(InvalidQueryError, match="BuildUser"):
        BuildUser.objects.filter(bad)


def test_clone_is_independent() -> None:
    queryset = BuildUser.objects.filter(age=1)
    copy = queryset.clone()
    copy.filter(name="x").limit(3)
    assert queryset.query == {"age": 1}


def test_state_set_on_one_queryset_stays_there() -> None:
    # A new queryset reads its defaults from the class: a chain method sets the state of
    # its own queryset only, never of the next ``objects`` nor of a clone's source.
    def state(queryset: Any) -> tuple[Any, ...]:
        return (
            queryset.query,
            queryset._sort,
            queryset._skip,
            queryset._limit,
            queryset._projection,
            queryset._alias,
            queryset._db,
            queryset._read_preference,
            queryset._read_concern,
            queryset._write_concern,
            queryset._batch_size,
            queryset._related,
        )

    fresh = state(BuildUser.objects)
    assert fresh == ({}, [], 0, 0, None, None, None, None, None, None, 0, ())
    changed = BuildUser.objects.filter(age=1).order_by("name").skip(1).limit(2).only("name")
    changed.using("elsewhere", db="other").batch_size(5)
    changed.read_preference("secondary").read_concern("majority").write_concern(1)
    copy = changed.clone()
    assert state(copy) == state(changed) != fresh
    copy.filter(name="x").order_by("age").skip(4).limit(5).using(db="third").batch_size(6)
    assert state(changed)[:4] == ({"age": 1}, [("n", 1)], 1, 2)
    assert changed._db == "other" and changed._batch_size == 5
    assert state(BuildUser.objects) == fresh
    assert state(OtherModel.objects) == fresh


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("nickname", "'nickname'"),
        ("$natural", "'$natural'"),
        ("-$natural", "'$natural'"),
        ("address__$where", "'address__$where'"),
        ("address__city", "'city'"),
        ("age__gt", "'gt'"),
    ],
)
def test_order_by_rejects_unknown_and_dollar_names(name: str, shown: str) -> None:
    with pytest.raises(InvalidQueryError, match="BuildUser") as raised:
        BuildUser.objects.order_by(name)
    assert shown in str(raised.value)


@pytest.mark.parametrize("direction", [0, 2, "desc", True])
def test_order_by_rejects_bad_directions(direction: Any) -> None:
    with pytest.raises(InvalidQueryError, match="direction"):
        BuildUser.objects.order_by("age", direction)


@pytest.mark.parametrize("method", ["only", "exclude"])
@pytest.mark.parametrize("name", ["nickname", "$where", "n.$", "address__$x", "age__gt"])
def test_projections_reject_unknown_and_dollar_names(method: str, name: str) -> None:
    with pytest.raises(InvalidQueryError, match="BuildUser"):
        getattr(BuildUser.objects, method)("name", name)


def test_exclude_id_rejected() -> None:
    with pytest.raises(InvalidQueryError, match="_id is always loaded"):
        BuildUser.objects.exclude("_id")


@pytest.mark.parametrize("method", ["order_by", "only", "exclude"])
def test_field_objects_of_another_model_rejected(method: str) -> None:
    with pytest.raises(InvalidQueryError, match=r"OtherModel.title.* not a field of this model"):
        getattr(BuildUser.objects, method)(OtherModel.title)


@pytest.mark.parametrize("method", ["limit", "skip"])
@pytest.mark.parametrize("value", [-1, 1.5, "2", True, None])
def test_limit_and_skip_need_non_negative_ints(method: str, value: Any) -> None:
    expected = {"limit": "an int >= 1", "skip": "a non-negative int"}[method]
    with pytest.raises(InvalidQueryError, match=f"{method}\\(\\) takes {expected}"):
        getattr(BuildUser.objects, method)(value)


def test_order_by_accepts_field_objects_and_minus_prefix() -> None:
    # checked end to end in tests/integration/test_queryset.py; here: no error, same object
    queryset = BuildUser.objects.order_by(BuildUser.name, DESCENDING).order_by("-age")
    assert queryset.order_by(BuildUser.address) is queryset


def test_projection_of_a_path_and_its_parent_keeps_the_parent() -> None:
    # Found by the property tests: {"address": 1, "address.st": 1} is a path collision that
    # the server refuses.
    only = BuildUser.objects.only("address", "address__street", "age", "age")
    assert only._projection is not None
    assert only._projection.to_find() == {"address": 1, "age": 1}
    excluded = BuildUser.objects.exclude("address__street", "address")
    assert excluded._projection is not None
    assert excluded._projection.to_find() == {"address": 0}
