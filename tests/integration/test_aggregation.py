"""The aggregation builder: compiled pipelines and their results on the server."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from aiomotorengine import (
    DESCENDING,
    Aggregation,
    Database,
    Document,
    IntField,
    InvalidQueryError,
    ListField,
    ReferenceField,
    StringField,
)


class Member(Document):
    __collection__ = "agg_members"
    name = StringField(db_field="n")
    country = StringField(db_field="c")
    city = StringField()
    age = IntField(db_field="a")
    tags = ListField(StringField(), db_field="t")


class Note(Document):
    __collection__ = "agg_notes"
    text = StringField()
    member = ReferenceField(Member, db_field="m")


async def _members() -> list[Member]:
    rows = [
        ("Ada", "UK", "London", 36, ["math", "code"]),
        ("Alan", "UK", "London", 41, ["code"]),
        ("Mary", "UK", "Leeds", 30, []),
        ("Marie", "FR", "Paris", 50, ["physics", "math"]),
        ("Emmy", "DE", "Erlangen", 20, ["math"]),
    ]
    return await Member.objects.bulk_insert(
        [Member(name=n, country=c, city=ci, age=a, tags=t) for n, c, ci, a, t in rows]
    )


def test_pipeline_compiles_with_db_fields() -> None:
    pipeline = (
        Member.objects.aggregate.match(age__gte=18)
        .unwind("tags")
        .group_by("country", Aggregation.avg("age"), Aggregation.sum(1, alias="count"))
        .group_by("country", Aggregation.sum("count", alias="total"))
        .order_by("total", DESCENDING)
        .order_by("_id.country")
        .skip(1)
        .limit(2)
        .to_query()
    )
    assert pipeline == [
        {"$match": {"a": {"$gte": 18}}},
        {"$unwind": "$t"},
        {"$group": {"_id": {"country": "$c"}, "age": {"$avg": "$a"}, "count": {"$sum": 1}}},
        {"$group": {"_id": {"country": "$_id.country"}, "total": {"$sum": "$count"}}},
        {"$sort": {"total": -1, "_id.country": 1}},
        {"$skip": 1},
        {"$limit": 2},
    ]


def test_queryset_filter_becomes_the_first_match_and_raw_appends() -> None:
    aggregation = Member.objects.filter(country="UK").aggregate
    aggregation.raw([{"$project": {"n": 1}}]).count("people")
    assert aggregation.to_query() == [
        {"$match": {"c": "UK"}},
        {"$project": {"n": 1}},
        {"$count": "people"},
    ]


def test_bad_names_and_arguments_are_rejected() -> None:
    with pytest.raises(InvalidQueryError, match=r"Member has no field 'nope'"):
        Member.objects.aggregate.group_by("nope")
    with pytest.raises(InvalidQueryError, match="limit"):
        Member.objects.aggregate.limit(0)
    with pytest.raises(InvalidQueryError, match="needs an alias"):
        Aggregation.sum(1)
    with pytest.raises(InvalidQueryError, match="direction"):
        Member.objects.aggregate.order_by("age", 2)
    with pytest.raises(InvalidQueryError, match="not a reference"):
        Member.objects.aggregate.lookup("name")


async def test_group_by_with_avg_and_sum_reads_ids_as_attributes(db: Database) -> None:
    await _members()
    results = await (
        Member.objects.aggregate.group_by(
            "country",
            Aggregation.avg("age", alias="average_age"),
            Aggregation.sum("age", alias="total_age"),
        )
        .order_by("average_age", DESCENDING)
        .fetch()
    )
    assert [(r.country, r.average_age, r.total_age) for r in results] == [
        ("FR", 50.0, 50),
        ("UK", 107 / 3, 107),
        ("DE", 20.0, 20),
    ]
    assert results[0]["_id"] == {"country": "FR"} and results[0]._id.country == "FR"
    with pytest.raises(AttributeError, match="no key 'missing'"):
        _ = results[0].missing


async def test_second_group_by_regroups_on_previous_ids(db: Database) -> None:
    await _members()
    results = await (
        Member.objects.aggregate.group_by("country", "city", Aggregation.sum(1, alias="people"))
        .group_by("country", Aggregation.sum(1, alias="cities"))
        .order_by("_id.country")
        .fetch()
    )
    assert [(r.country, r.cities) for r in results] == [("DE", 1), ("FR", 1), ("UK", 2)]


async def test_match_unwind_project_skip_limit(db: Database) -> None:
    await _members()
    aggregation = (
        Member.objects.aggregate.match(country__in=["UK", "FR"])
        .unwind("tags")
        .group_by("tags", Aggregation.sum(1, alias="count"))
        .match(count__gte=2)
        .order_by("count", DESCENDING)
        .order_by("_id.tags")
        .project("count", tag="$_id.tags", _id=0)
    )
    results = await aggregation.fetch()
    assert [(r.tag, r.count) for r in results] == [("code", 2), ("math", 2)]
    assert await aggregation.skip(1).limit(1).fetch() == [{"tag": "math", "count": 2}]


async def test_count_and_async_iteration(db: Database) -> None:
    await _members()
    counted = await Member.objects.filter(country="UK").aggregate.count("people").fetch()
    assert counted == [{"people": 3}] and counted[0].people == 3

    names = [r.n async for r in Member.objects.aggregate.match(age__lt=40).order_by("name")]
    assert names == ["Ada", "Emmy", "Mary"]


async def test_lookup_a_reference_and_an_explicit_join(db: Database) -> None:
    ada, alan, *_ = await _members()
    await Note.objects.bulk_insert(
        [
            Note(text="first", member=ada),
            Note(text="second", member=ada),
            Note(text="x", member=alan),
        ]
    )
    joined = await Note.objects.aggregate.match(text="x").lookup("member").fetch()
    assert [m.n for m in joined[0].member] == ["Alan"]

    counts = await (
        Member.objects.aggregate.match(name="Ada")
        .lookup(Note, local_field="_id", foreign_field="member", as_="notes")
        .project("name", notes=1)
        .fetch()
    )
    assert sorted(n.text for n in counts[0].notes) == ["first", "second"]


async def test_driver_errors_surface_as_operation_failure(db: Database) -> None:
    await _members()
    with pytest.raises(OperationFailure):
        await Member.objects.aggregate.raw([{"$notAStage": 1}]).fetch()
