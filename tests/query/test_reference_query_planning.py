"""Filters through references compiled, and their pipelines planned (no server): the marker
conditions, where each condition goes (before the lookups, into a lookup, after them), what the
lookups project, where select_related() lookups go, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from aiomotorengine import (
    DESCENDING,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    InvalidQueryError,
    ListField,
    Q,
    ReferenceField,
    StringField,
)
from aiomotorengine.base.state import Projection
from aiomotorengine.query.joins import plan_joins, related_paths, uses_joins
from aiomotorengine.queryset import QuerySet


class PlanCompany(Document):
    __collection__ = "companies"
    name = StringField()
    country = StringField()


class PlanAuthor(Document):
    __collection__ = "authors"
    name = StringField(db_field="n")
    city = StringField()
    company = ReferenceField(PlanCompany)


class PlanTag(Document):
    __collection__ = "tags"
    label = StringField()


class PlanCredit(EmbeddedDocument):
    person = ReferenceField(PlanAuthor)


class PlanPost(Document):
    __collection__ = "posts"
    title = StringField()
    author = ReferenceField(PlanAuthor)
    tags = ListField(ReferenceField(PlanTag))
    credits = ListField(EmbeddedDocumentField(PlanCredit))


def lookup(
    local: str, collection: str, pipeline: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    stage: dict[str, Any] = {
        "from": collection,
        "localField": local,
        "foreignField": "_id",
        "as": f"__join_{local}",
    }
    if pipeline is not None:
        stage["pipeline"] = pipeline
    return {"$lookup": stage}


def pipeline(queryset: QuerySet[Any], *, limit: int | None = None) -> list[dict[str, Any]]:
    joined = queryset._joined()
    assert joined is not None
    return joined.plan(limit).pipeline


def test_a_filter_through_a_reference_compiles_to_a_marker_condition() -> None:
    assert Q(author__name="Ada").to_query(PlanPost) == {
        "$join:author": {"$elemMatch": {"n": "Ada"}}
    }
    assert Q(author__company__country__in=["NO", "SE"]).to_query(PlanPost) == {
        "$join:author": {
            "$elemMatch": {"$join:company": {"$elemMatch": {"country": {"$in": ["NO", "SE"]}}}}
        }
    }
    assert (Q(author__city="Oslo") | Q(title="x")).to_query(PlanPost) == {
        "$or": [{"$join:author": {"$elemMatch": {"city": "Oslo"}}}, {"title": "x"}]
    }


def test_filters_on_the_reference_itself_are_unchanged() -> None:
    author_id = "0123456789abcdef01234567"
    compiled = Q(author__in=[author_id], author__exists=True).to_query(PlanPost)
    assert set(compiled) == {"author"}
    assert not uses_joins([compiled])
    assert QuerySet(PlanPost).filter(author=author_id)._joined() is None


def test_values_through_a_reference_are_converted_and_checked_by_the_referenced_field() -> None:
    with pytest.raises(InvalidQueryError, match=r"PlanAuthor\.city: a filter value must be str"):
        Q(author__city={"$where": "sleep(1000)"}).to_query(PlanPost)
    assert Q(author__name__startswith="a.b").to_query(PlanPost) == {
        "$join:author": {"$elemMatch": {"n": {"$regex": "^a\\.b"}}}
    }


def test_paths_that_cannot_go_through_a_reference_are_refused() -> None:
    with pytest.raises(InvalidQueryError, match="PlanAuthor has no field 'town'"):
        Q(author__town="x").to_query(PlanPost)
    with pytest.raises(InvalidQueryError, match="reference inside an embedded document"):
        Q(credits__person__name="x").to_query(PlanPost)
    with pytest.raises(InvalidQueryError, match="reference inside an embedded document"):
        Q(credits__elem_match={"person__name": "x"}).to_query(PlanPost)
    for build in (
        lambda: QuerySet(PlanPost).only("author__name"),
        lambda: QuerySet(PlanPost).exclude("author__name"),
        lambda: QuerySet(PlanPost).aggregate.order_by("author__name"),
    ):
        with pytest.raises(InvalidQueryError, match=r"filters and order_by\(\) can do"):
            build()


def test_conditions_anded_on_a_reference_go_into_its_lookup() -> None:
    queryset = QuerySet(PlanPost).filter(title="x", author__city="Oslo", author__name="Ada")

    assert pipeline(queryset) == [
        {"$match": {"title": "x"}},  # first: the local indexes apply
        lookup(
            "author",
            "authors",
            [{"$match": {"city": "Oslo", "n": "Ada"}}, {"$project": {"_id": 1}}],
        ),
        {"$match": {"__join_author": {"$ne": []}}},
        {"$project": {"__join_author": 0}},
    ]


def test_or_and_negated_conditions_read_the_joined_documents() -> None:
    queryset = QuerySet(PlanPost).filter(Q(author__city="Oslo") | Q(title="x"))
    queryset.filter_not(author__company__country="SE")

    assert pipeline(queryset) == [
        lookup(
            "author",
            "authors",
            [
                lookup("company", "companies", [{"$project": {"country": 1}}]),
                {"$project": {"__join_company": 1, "city": 1}},
            ],
        ),
        {
            "$match": {
                "$or": [{"__join_author": {"$elemMatch": {"city": "Oslo"}}}, {"title": "x"}],
                "$nor": [
                    {
                        "__join_author": {
                            "$elemMatch": {"__join_company": {"$elemMatch": {"country": "SE"}}}
                        }
                    }
                ],
            }
        },
        {"$project": {"__join_author": 0}},
    ]


def test_a_list_of_references_takes_one_condition_into_its_lookup_and_no_more() -> None:
    one = QuerySet(PlanPost).filter(tags__label="a")
    assert pipeline(one)[:2] == [
        lookup("tags", "tags", [{"$match": {"label": "a"}}, {"$project": {"_id": 1}}]),
        {"$match": {"__join_tags": {"$ne": []}}},
    ]

    # Each condition may match another referenced document: both read the whole list.
    two = QuerySet(PlanPost).filter(tags__label="a").filter(tags__label="b")
    assert pipeline(two)[:2] == [
        lookup("tags", "tags", [{"$project": {"label": 1}}]),
        {
            "$match": {
                "$and": [
                    {"__join_tags": {"$elemMatch": {"label": "a"}}},
                    {"__join_tags": {"$elemMatch": {"label": "b"}}},
                ]
            }
        },
    ]
    loaded = QuerySet(PlanPost).filter(tags__label="a").select_related("tags")
    assert pipeline(loaded)[0] == lookup("tags", "tags")  # every tag loaded, none dropped


def test_sorting_and_paging_through_a_reference() -> None:
    queryset = (
        QuerySet(PlanPost)
        .filter(title__ne="x")
        .order_by("author__name", DESCENDING)
        .order_by("title")
        .skip(20)
        .limit(10)
    )

    assert pipeline(queryset) == [
        {"$match": {"title": {"$ne": "x"}}},
        lookup("author", "authors", [{"$project": {"n": 1}}]),
        {"$sort": {"__join_author.n": DESCENDING, "title": 1}},
        {"$skip": 20},
        {"$limit": 10},
        {"$project": {"__join_author": 0}},
    ]
    assert pipeline(queryset, limit=2)[4] == {"$limit": 2}


def test_references_only_loaded_are_looked_up_after_paging() -> None:
    queryset = QuerySet(PlanPost).filter(title="x").order_by("title").limit(5)
    queryset.select_related("author__company", "tags")

    assert pipeline(queryset) == [
        {"$match": {"title": "x"}},
        {"$sort": {"title": 1}},
        {"$limit": 5},
        lookup("author", "authors", [lookup("company", "companies")]),
        lookup("tags", "tags"),
    ]


def test_only_keeps_the_loaded_references() -> None:
    queryset = QuerySet(PlanPost).only("title", "author").select_related("author")
    queryset.filter(author__city="Oslo")

    assert pipeline(queryset)[-1] == {"$project": {"title": 1, "author": 1, "__join_author": 1}}
    excluded = QuerySet(PlanPost).exclude("title").filter(tags__label="a")
    assert pipeline(excluded)[-1] == {"$project": {"title": 0, "__join_tags": 0}}
    with pytest.raises(InvalidQueryError, match="leaves out"):
        plan_joins(
            PlanPost,
            [],
            related=["author"],
            projection=Projection.only(PlanPost._fields_by_db_field, ["title"]),
        )


def test_select_related_names() -> None:
    assert related_paths(PlanPost, ["author__company", "author.company", "tags"]) == (
        "author__company",
        "tags",
    )
    assert related_paths(PlanPost, []) == ("author", "tags")
    with pytest.raises(InvalidQueryError, match="PlanPost has no reference field 'title'"):
        related_paths(PlanPost, ["title"])
    with pytest.raises(InvalidQueryError, match=r"PlanAuthor has no field 'boss'.*company"):
        related_paths(PlanPost, ["author__boss"])
