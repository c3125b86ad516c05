"""Round trips of queries through references, counted (command monitoring).

On 1,000 articles referencing 100 writers (and 10 companies, 10 topics), a query that filters,
sorts, counts or loads through references is one ``aggregate`` command, whatever it does; the
only other commands are the ``getMore`` of that cursor when the results outgrow its first batch
(101 documents), as for a ``find``. A filter touching no reference stays one ``find``.
"""

from __future__ import annotations

from collections import Counter

import pytest
from bson import ObjectId

from aiomotorengine import (
    Database,
    Document,
    IntField,
    ListField,
    Q,
    ReferenceField,
    StringField,
)
from aiomotorengine.testing import CommandRecorder

ARTICLES = 1_000
WRITERS = 100
#: The writers an article references: 45 and 95 are never referenced (their slots dangle).
REFERENCED = WRITERS - 2
CITIES = ("Oslo", "Rome", "Lima", "Pune", "Kyiv")


class CountedCompany(Document):
    __collection__ = "rt_companies"
    name = StringField()
    country = StringField()


class CountedTopic(Document):
    __collection__ = "rt_topics"
    label = StringField()


class CountedWriter(Document):
    __collection__ = "rt_writers"
    name = StringField()
    city = StringField()
    company = ReferenceField(CountedCompany)


class CountedArticle(Document):
    __collection__ = "rt_articles"
    title = StringField()
    rank = IntField()
    writer = ReferenceField(CountedWriter)
    topics = ListField(ReferenceField(CountedTopic))


async def _seed(db: Database) -> list[ObjectId]:
    """The articles; every 50th (all by Oslo writers otherwise) references a writer that does
    not exist. Returns the writers' ids."""
    companies = (
        await db["rt_companies"].insert_many(
            [{"name": f"company {i}", "country": "NO" if i < 3 else "SE"} for i in range(10)]
        )
    ).inserted_ids
    topics = (
        await db["rt_topics"].insert_many([{"label": f"topic {i}"} for i in range(10)])
    ).inserted_ids
    writers = (
        await db["rt_writers"].insert_many(
            [
                {"name": f"writer {i:03d}", "city": CITIES[i % 5], "company": companies[i % 10]}
                for i in range(WRITERS)
            ]
        )
    ).inserted_ids
    await db["rt_articles"].insert_many(
        [
            {
                "title": f"article {i:04d}",
                "rank": i,
                "writer": ObjectId() if i % 50 == 45 else writers[i % WRITERS],
                "topics": [topics[i % 10], topics[(i + 3) % 10]],
            }
            for i in range(ARTICLES)
        ]
    )
    return writers


@pytest.fixture
async def recorder(monitored: tuple[Database, CommandRecorder]) -> CommandRecorder:
    db, commands = monitored
    await _seed(db)
    commands.clear()
    return commands


async def test_a_filter_through_a_reference_is_one_aggregate(recorder: CommandRecorder) -> None:
    articles = await CountedArticle.objects.filter(writer__name="writer 007").find_all()

    assert recorder.names() == ["aggregate"]
    assert recorder.targets("aggregate") == ["rt_articles"]
    assert sorted(article.rank or 0 for article in articles) == list(range(7, ARTICLES, 100))


async def test_or_sort_paging_and_select_related_are_one_aggregate(
    recorder: CommandRecorder,
) -> None:
    articles = (
        await CountedArticle.objects.filter(Q(writer__city="Oslo") | Q(rank__lt=3))
        .filter_not(writer__company__country="SE")
        .order_by("-writer__name")
        .order_by("rank")
        .skip(5)
        .limit(60)
        .select_related("writer", "topics")
        .find_all()
    )

    assert recorder.names() == ["aggregate"]
    assert len(articles) == 60
    names = [article.writer.name if article.writer else "" for article in articles]
    assert names == sorted(names, reverse=True)
    assert all(article.writer is not None and article.writer.city == "Oslo" for article in articles)
    assert all(len(article.topics) == 2 and article.topics[0].label for article in articles)


async def test_count_exists_first_and_get_are_one_aggregate_each(
    recorder: CommandRecorder,
) -> None:
    oslo = CountedArticle.objects.filter(writer__city="Oslo")

    assert await oslo.count() == 180  # 200 articles by Oslo writers, 20 of them dangling
    assert await oslo.exists()
    first = await oslo.clone().order_by("rank").first()
    single = await CountedArticle.objects.get(writer__name="writer 000", rank=0)
    everything_else = await CountedArticle.objects.filter_not(writer__city="Oslo").count()

    assert recorder.names() == ["aggregate"] * 5
    assert first is not None and first.rank == 0
    assert single is not None and single.title == "article 0000"
    assert everything_else == ARTICLES - 180  # dangling references included


async def test_loading_every_reference_of_1000_documents_is_one_aggregate(
    recorder: CommandRecorder,
) -> None:
    articles = await CountedArticle.objects.select_related("writer__company").find_all()

    counted = Counter(recorder.names())
    assert counted["aggregate"] == 1 and set(counted) <= {"aggregate", "getMore"}
    assert {command["collection"] for command in recorder.named("getMore")} <= {"rt_articles"}
    assert len(articles) == ARTICLES
    dangling = [article for article in articles if article.writer is None]
    assert [article.rank for article in dangling] == list(range(45, ARTICLES, 50))
    writers = {id(article.writer) for article in articles if article.writer is not None}
    assert len(writers) == REFERENCED  # one document per referenced _id
    assert all(
        article.writer.company is not None and article.writer.company.name
        for article in articles
        if article.writer is not None
    )


async def test_streaming_through_references_is_one_aggregate(recorder: CommandRecorder) -> None:
    seen = {}
    count = 0
    async for article in CountedArticle.objects.select_related("writer").order_by("rank"):
        count += 1
        if article.writer is not None:
            assert seen.setdefault(article.writer.id, article.writer) is article.writer

    counted = Counter(recorder.names())
    assert count == ARTICLES and len(seen) == REFERENCED
    assert counted["aggregate"] == 1 and set(counted) <= {"aggregate", "getMore"}


async def test_filters_touching_no_reference_stay_a_find(recorder: CommandRecorder) -> None:
    writer = await CountedWriter.objects.get(name="writer 001")
    recorder.clear()

    by_reference = await CountedArticle.objects.filter(writer=writer).find_all()
    by_ids = await CountedArticle.objects.filter(
        Q(writer__in=[writer]) & Q(rank__lt=500)
    ).find_all()

    assert recorder.names() == ["find", "find"]
    assert len(by_reference) == 10 and len(by_ids) == 5
    assert "$lookup" not in str(recorder.commands)
