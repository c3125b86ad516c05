"""Every query operator against the server: the documents each one matches."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from aiomotorengine import (
    Database,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    Q,
    StringField,
)


class Line(EmbeddedDocument):
    sku = StringField()
    qty = IntField(db_field="q")


class Place(EmbeddedDocument):
    street = StringField(db_field="st")


class Item(Document):
    __collection__ = "operator_items"

    name = StringField(db_field="n")
    age = IntField()
    email = StringField()
    tags = ListField(StringField())
    scores = ListField(IntField())
    lines = ListField(EmbeddedDocumentField(Line))
    place = EmbeddedDocumentField(Place)
    seen = DateTimeField()


@pytest.fixture
async def items(db: Database) -> None:
    await Item.objects.bulk_insert(
        [
            Item(
                name="a.b",
                age=10,
                email="a@x.org",
                tags=["red", "blue"],
                scores=[70, 90],
                lines=[Line(sku="s1", qty=1), Line(sku="s2", qty=5)],
                place=Place(street="Main"),
                seen=datetime(2009, 6, 1),
            ),
            Item(
                name="axb",
                age=20,
                email=None,
                tags=["red"],
                scores=[82],
                lines=[Line(sku="s1", qty=3)],
                place=Place(street="Side"),
                seen=datetime(2011, 1, 1),
            ),
            Item(name="A.B Corp", age=30, tags=[], scores=[], lines=[]),
        ]
    )
    # a document that lacks most fields entirely, and has an explicit null email
    await db.collection("operator_items").insert_one({"n": "bare", "email": None})


async def matched(*args: Any, **keywords: Any) -> list[str]:
    found = await Item.objects.filter(*args, **keywords).find_all()
    return sorted(item.name or "" for item in found)


@pytest.mark.usefixtures("items")
@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ({"age__exists": True}, ["A.B Corp", "a.b", "axb"]),
        ({"age__exists": False}, ["bare"]),
        ({"email__exists": True}, ["a.b", "bare"]),  # a stored null exists
        ({"age__gt": 10}, ["A.B Corp", "axb"]),
        ({"age__gte": 20}, ["A.B Corp", "axb"]),
        ({"age__lt": 20}, ["a.b"]),
        ({"age__lte": 20}, ["a.b", "axb"]),
        ({"age__in": [10, 30, 99]}, ["A.B Corp", "a.b"]),
        ({"age__nin": [10, 30]}, ["axb", "bare"]),
        ({"age__ne": 10}, ["A.B Corp", "axb", "bare"]),
        ({"email__is_null": True}, ["A.B Corp", "axb", "bare"]),
        ({"email__is_null": False}, ["a.b"]),
        ({"email__ne": "a@x.org"}, ["A.B Corp", "axb", "bare"]),
        ({"seen__lt": datetime(2010, 1, 1)}, ["a.b"]),
        ({"age__gt": 5, "age__lt": 25}, ["a.b", "axb"]),
    ],
)
async def test_comparison_operators(keywords: dict[str, Any], expected: list[str]) -> None:
    assert await matched(**keywords) == expected


@pytest.mark.usefixtures("items")
@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ({"tags": ["blue", "red"]}, ["a.b"]),  # a list for a ListField: contains all
        ({"tags": "red"}, ["a.b", "axb"]),  # a value: contains it
        ({"tags__all": ["red"]}, ["a.b", "axb"]),
        ({"tags__in": ["blue", "green"]}, ["a.b"]),
        ({"tags__nin": ["red"]}, ["A.B Corp", "bare"]),
        ({"tags__size": 0}, ["A.B Corp"]),
        ({"tags__size": 2}, ["a.b"]),
        ({"scores__elem_match": {"gte": 80, "lt": 85}}, ["axb"]),
        ({"lines__elem_match": {"sku": "s1", "qty__gt": 2}}, ["axb"]),
        ({"lines__qty__gt": 4}, ["a.b"]),  # any item, through db_field
        ({"lines__sku": "s1"}, ["a.b", "axb"]),
        ({"place__street": "Side"}, ["axb"]),
        ({"place__street__startswith": "Ma"}, ["a.b"]),
    ],
)
async def test_array_and_embedded_operators(keywords: dict[str, Any], expected: list[str]) -> None:
    assert await matched(**keywords) == expected


async def test_elem_match_differs_from_independent_conditions(items: None) -> None:
    # a.b has s1 (qty 1) and another line with qty 5: matches only when items may differ
    assert await matched(lines__sku="s1", lines__qty__gt=4) == ["a.b"]
    assert await matched(lines__elem_match={"sku": "s1", "qty__gt": 4}) == []


@pytest.mark.usefixtures("items")
@pytest.mark.parametrize(
    ("operator", "text", "expected"),
    [
        ("contains", "a.b", ["a.b"]),  # never "axb": the dot is literal
        ("contains", ".", ["A.B Corp", "a.b"]),
        ("icontains", "a.b", ["A.B Corp", "a.b"]),
        ("startswith", "a.", ["a.b"]),
        ("istartswith", "a.", ["A.B Corp", "a.b"]),
        ("endswith", ".b", ["a.b"]),
        ("iendswith", "CORP", ["A.B Corp"]),
        ("exact", "a.b", ["a.b"]),
        ("exact", "A.B", []),
        ("iexact", "A.B", ["a.b"]),
        ("contains", ".*", []),
        ("contains", "(", []),
    ],
)
async def test_string_operators_escape_user_text(
    operator: str, text: str, expected: list[str]
) -> None:
    assert await matched(**{f"name__{operator}": text}) == expected


async def test_regex_operator(items: None) -> None:
    assert await matched(name__regex="^a.b$") == ["a.b", "axb"]  # a pattern, as given
    assert await matched(name__regex=re.compile("^a", re.I)) == ["A.B Corp", "a.b", "axb"]


async def test_q_combinations(items: None) -> None:
    assert await matched(Q(age=10) | Q(age=30)) == ["A.B Corp", "a.b"]
    assert await matched(Q(age__gte=10) & Q(age__lte=20)) == ["a.b", "axb"]
    assert await matched(~Q(age__in=[10, 20])) == ["A.B Corp", "bare"]
    assert await matched(Q(tags="red") & ~Q(tags="blue")) == ["axb"]
    assert await matched(Q({"place.st": "Main"}) | Q(name="bare")) == ["a.b", "bare"]


async def test_raw_queries(items: None) -> None:
    assert await matched({"age": {"$mod": [20, 10]}}) == ["A.B Corp", "a.b"]
    assert await matched({"lines": {"sku": "s1", "q": 3}}) == ["axb"]
