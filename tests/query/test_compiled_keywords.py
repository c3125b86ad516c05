"""Keywords compiled once per model: every later filter with the same keyword converts and
checks its value exactly as the first one did, and refuses what the first one refused."""

from __future__ import annotations

from typing import Any

import pytest

from aiomotorengine import (
    Document,
    IntField,
    InvalidQueryError,
    JsonField,
    ListField,
    Q,
    StringField,
)
from aiomotorengine.query import OPERATORS, compile_filter
from aiomotorengine.query.base import ComparisonOperator, ListOperator

CONVERTED: list[Any] = []


class RecordingField(StringField[str | None]):
    """Upper-cases filter values and records each one it converts."""

    def to_query(self, value: Any) -> Any:
        CONVERTED.append(value)
        converted = super().to_query(value)
        return None if converted is None else converted.upper()


class Keyed(Document):
    code = RecordingField(db_field="c")
    codes = ListField(RecordingField())
    age = IntField(min_value=0)
    name = StringField(max_length=3)
    data = JsonField()


REPEATS = 3


@pytest.fixture(autouse=True)
def _converted() -> None:
    CONVERTED.clear()


def test_every_filter_converts_its_values_by_the_fields_to_query() -> None:
    for index in range(REPEATS):
        assert Q(code="a").to_query(Keyed) == {"c": "A"}
        assert Q(code__gt="b").to_query(Keyed) == {"c": {"$gt": "B"}}
        assert Q(codes__in=["x", "y"]).to_query(Keyed) == {"codes": {"$in": ["X", "Y"]}}
        assert Q(codes="z").to_query(Keyed) == {"codes": "Z"}
        assert Q(codes=["u", "v"]).to_query(Keyed) == {"codes": {"$all": ["U", "V"]}}
        assert Keyed.objects.filter(code__nin=("p",)).query == {"c": {"$nin": ["P"]}}
        assert len(CONVERTED) == 8 * (index + 1)
    assert CONVERTED[:8] == ["a", "b", "x", "y", "z", "u", "v", "p"]


def test_repeated_keywords_on_one_path_still_merge() -> None:
    for _ in range(REPEATS):
        assert compile_filter(Keyed, {"age__gt": 1, "age__lt": 5}) == {"age": {"$gt": 1, "$lt": 5}}
        assert compile_filter(Keyed, {"age": 1, "age__gt": 0}) == {
            "$and": [{"age": 1}, {"age": {"$gt": 0}}]
        }


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"age__gt": "x"}, "Keyed.age__gt: cannot filter on 'x'"),
        ({"age": {"$ne": None}}, "Keyed.age: a filter value must be int"),
        ({"name": {"$gt": ""}}, "Keyed.name: a filter value must be str"),
        ({"name__in": [{"$ne": None}]}, "Keyed.name__in: a filter value must be str"),
        ({"name__in": "abc"}, "Keyed.name__in: the 'in' operator takes a list of values"),
        ({"age__gt": 2**63}, "Keyed.age__gt"),
        ({"codes__in": 3}, "Keyed.codes__in: the 'in' operator takes a list of values"),
    ],
)
def test_values_refused_the_first_time_are_refused_every_time(
    keywords: dict[str, Any], message: str
) -> None:
    for _ in range(REPEATS):  # the first compiles the keyword, the others reuse it
        with pytest.raises(InvalidQueryError, match=message.replace("$", r"\$")):
            compile_filter(Keyed, keywords)
        with pytest.raises(InvalidQueryError, match=message.replace("$", r"\$")):
            Keyed.objects.filter(**keywords)
    # ...and a valid value of the same keyword compiles, from what the model remembered
    assert Keyed.objects.filter(age__gt=1).query == {"age": {"$gt": 1}}


@pytest.mark.parametrize("name", ["nope", "age__nope", "$where", "a\0b", "age__$gt", ""])
def test_unknown_and_forbidden_names_are_refused_every_time(name: str) -> None:
    for _ in range(REPEATS):
        with pytest.raises(InvalidQueryError):
            compile_filter(Keyed, {name: 1})


def test_names_under_a_json_field_are_not_remembered() -> None:
    Keyed._query_cache.clear()
    for index in range(2000):
        assert compile_filter(Keyed, {f"data__k{index}__gt": index}) == {
            f"data.k{index}": {"$gt": index}
        }
    remembered = sum(
        len(value) if isinstance(value, dict) else 1 for value in Keyed._query_cache.values()
    )
    assert remembered < 10


def test_an_operator_that_overrides_condition_is_called_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []

    class Doubled(ComparisonOperator):
        mongo_operator = "$gt"

        def condition(self, field: Any, value: Any) -> Any:
            calls.append(value)
            return {"$gt": field.to_query(value * 2)}

    class Listed(ListOperator):
        mongo_operator = "$in"

        def condition(self, field: Any, value: Any) -> Any:
            calls.append(value)
            return {"$in": [field.element_field().to_query(item) for item in value[::-1]]}

    class Operated(Document):
        age = IntField()

    monkeypatch.setitem(OPERATORS, "doubled_test_only", Doubled())
    monkeypatch.setitem(OPERATORS, "listed_test_only", Listed())
    for _ in range(REPEATS):
        assert compile_filter(Operated, {"age__doubled_test_only": 2}) == {"age": {"$gt": 4}}
        assert compile_filter(Operated, {"age__listed_test_only": [1, 2]}) == {
            "age": {"$in": [2, 1]}
        }
    assert calls == [2, [1, 2]] * REPEATS
