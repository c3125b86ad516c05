"""Queries through references against a server: filters, sorts, counts and select_related()
run as one aggregation and return documents exactly like a plain filter. Round trips on a
larger data set are counted in ``tests/performance/test_reference_query_commands.py``; the
pipelines themselves are in ``tests/query/test_reference_query_planning.py``."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BatchQuery,
    Database,
    Document,
    FieldNotLoadedError,
    IntField,
    InvalidQueryError,
    ListField,
    LoadReferencesRequiredError,
    MultipleObjectsReturned,
    Q,
    ReferenceField,
    StringField,
    connect,
)
from aiomotorengine.testing import CommandRecorder


class JoinCompany(Document):
    __collection__ = "join_companies"
    name = StringField()
    country = StringField()


class JoinAuthor(Document):
    __collection__ = "join_authors"
    name = StringField(db_field="n")
    city = StringField()
    age = IntField()
    company = ReferenceField(JoinCompany)


class JoinTag(Document):
    __collection__ = "join_tags"
    label = StringField()


class JoinPost(Document):
    __collection__ = "join_posts"
    title = StringField()
    views = IntField()
    author = ReferenceField(JoinAuthor)
    editor = ReferenceField(JoinAuthor)
    tags = ListField(ReferenceField(JoinTag))


class EagerJoinPost(Document):
    __collection__ = "join_posts"
    __lazy__ = False
    title = StringField()
    author = ReferenceField(JoinAuthor)
    tags = ListField(ReferenceField(JoinTag))


class RemoteAuthor(Document):
    __collection__ = "join_remote_authors"
    __alias__ = "join_elsewhere"
    name = StringField()


class RemotePost(Document):
    __collection__ = "join_remote_posts"
    title = StringField()
    author = ReferenceField(RemoteAuthor)


async def seed() -> dict[str, Any]:
    """Companies, authors, tags and posts; one post by a deleted author, two with a deleted
    tag, one without an author."""
    acme = await JoinCompany.objects.create(name="Acme", country="NO")
    globex = await JoinCompany.objects.create(name="Globex", country="SE")
    ada = await JoinAuthor.objects.create(name="Ada", city="Oslo", age=36, company=acme)
    bob = await JoinAuthor.objects.create(name="Bob", city="Rome", age=51, company=globex)
    cy = await JoinAuthor.objects.create(name="Cy", city="Oslo", age=28)
    dee = await JoinAuthor.objects.create(name="dee", age=44, company=acme)
    gone = await JoinAuthor.objects.create(name="Gone", city="Oslo", age=90)
    python = await JoinTag.objects.create(label="python")
    mongo = await JoinTag.objects.create(label="mongo")
    vanished = await JoinTag.objects.create(label="vanished")
    posts = {
        "p1": dict(author=ada, editor=bob, tags=[python, mongo], views=10),
        "p2": dict(author=bob, editor=ada, tags=[mongo], views=20),
        "p3": dict(author=cy, tags=[python, vanished], views=30),
        "p4": dict(author=dee, tags=[], views=40),
        "p5": dict(author=gone, tags=[vanished], views=50),
        "p6": dict(views=60),
        "p7": dict(author=ada, tags=[python], views=70),
    }
    for title, values in posts.items():
        await JoinPost.objects.create(title=title, **values)
    await gone.delete()
    await vanished.delete()
    return {"acme": acme, "ada": ada, "bob": bob, "cy": cy, "dee": dee, "gone": gone}


def titles(posts: list[JoinPost]) -> list[str]:
    return sorted(post.title or "" for post in posts)


async def test_a_filter_through_a_reference_returns_documents_like_a_plain_filter(
    db: Database,
) -> None:
    await seed()

    posts = await JoinPost.objects.filter(author__city="Oslo").find_all()

    assert titles(posts) == ["p1", "p3", "p7"]  # p5's author is gone: never matches
    post = posts[0]
    assert isinstance(post, JoinPost) and post._state.persisted
    with pytest.raises(LoadReferencesRequiredError):
        _ = post.author  # not selected: lazy as after any query
    post.views = 11
    await post.save()
    stored = await db["join_posts"].find_one({"_id": post.id})
    assert stored is not None and not any(key.startswith("__join") for key in stored)


async def test_values_are_converted_by_the_referenced_models_fields(db: Database) -> None:
    seeded = await seed()

    assert titles(await JoinPost.objects.filter(author__name="Ada").find_all()) == ["p1", "p7"]
    assert titles(await JoinPost.objects.filter(author__age__gt="40").find_all()) == ["p2", "p4"]
    by_id = JoinPost.objects.filter(author__id=str(seeded["bob"].id))
    assert titles(await by_id.find_all()) == ["p2"]
    by_company = JoinPost.objects.filter(author__company=seeded["acme"])
    assert titles(await by_company.find_all()) == ["p1", "p4", "p7"]


async def test_filter_values_cannot_inject_operators_through_a_reference(db: Database) -> None:
    await seed()

    with pytest.raises(InvalidQueryError, match=r"JoinAuthor\.city"):
        JoinPost.objects.filter(author__city={"$ne": None})
    with pytest.raises(InvalidQueryError, match=r"JoinCompany\.country"):
        JoinPost.objects.filter(author__company__country={"$gt": ""})
    literal = JoinPost.objects.filter(author__name__contains=".*")
    assert await literal.find_all() == []


async def test_or_and_negation_mix_local_fields_and_references(db: Database) -> None:
    await seed()
    everything = titles(await JoinPost.objects.find_all())

    either = Q(author__name__istartswith="d") | Q(title="p2")
    assert titles(await JoinPost.objects.filter(either).find_all()) == ["p2", "p4"]

    matched = titles(await JoinPost.objects.filter(author__city="Oslo").find_all())
    excluded = titles(await JoinPost.objects.filter_not(author__city="Oslo").find_all())
    assert sorted(matched + excluded) == everything  # the complement, dangling ones included
    assert excluded == ["p2", "p4", "p5", "p6"]


async def test_a_dangling_reference_never_matches_and_loads_as_none(db: Database) -> None:
    await seed()

    for condition in (
        Q(author__city="Oslo"),
        Q(author__age__gte=0),
        Q(author__city=None),
        Q(author__name__exists=True),
    ):
        found = titles(await JoinPost.objects.filter(condition).find_all())
        assert "p5" not in found and "p6" not in found, condition
    assert titles(await JoinPost.objects.filter(author__city=None).find_all()) == ["p4"]

    loaded = await JoinPost.objects.select_related("author", "tags").get(title="p5")
    assert loaded is not None and loaded.author is None
    assert not loaded.tags[0] and loaded.tags[0].id is not None  # a falsy DanglingReference
    p3 = await JoinPost.objects.select_related("tags").get(title="p3")
    assert p3 is not None and [bool(tag) for tag in p3.tags] == [True, False]


async def test_order_by_a_referenced_field_with_skip_and_limit(db: Database) -> None:
    await seed()
    oslo_or_rome = JoinPost.objects.filter(author__city__in=["Oslo", "Rome"])

    ascending = await oslo_or_rome.clone().order_by("author__name").order_by("title").find_all()
    assert [post.title for post in ascending] == ["p1", "p7", "p2", "p3"]
    descending = oslo_or_rome.clone().order_by("-author__age").order_by("title").skip(1)
    assert [post.title for post in await descending.limit(2).find_all()] == ["p1", "p7"]

    # No filter through a reference: the sort alone makes it an aggregation.
    named = await JoinPost.objects.filter(views__lte=40).order_by("-author__name").find_all()
    assert [post.title for post in named] == ["p4", "p3", "p2", "p1"]


async def test_count_exists_first_get_to_list_and_streaming(db: Database) -> None:
    await seed()
    oslo = JoinPost.objects.filter(author__city="Oslo").order_by("views")

    assert await oslo.count() == 3
    assert await oslo.clone().skip(1).limit(1).count() == 1
    assert await oslo.exists()
    assert not await oslo.clone().skip(3).exists()
    assert not await JoinPost.objects.filter(author__city="Paris").exists()
    assert await JoinPost.objects.filter(author__city="Paris").count() == 0

    first = await oslo.first()
    assert first is not None and first.title == "p1"
    assert [post.title for post in await oslo.to_list(2)] == ["p1", "p3"]
    assert [post.title async for post in oslo] == ["p1", "p3", "p7"]

    got = await JoinPost.objects.get(author__name="Cy")
    assert got is not None and got.title == "p3"
    assert await JoinPost.objects.get(author__name="Nobody") is None
    with pytest.raises(MultipleObjectsReturned, match="more than one"):
        await JoinPost.objects.get(author__city="Oslo")


async def test_list_references_and_two_levels(db: Database) -> None:
    await seed()

    tagged = JoinPost.objects.filter(tags__label="python")
    assert titles(await tagged.find_all()) == ["p1", "p3", "p7"]
    both = JoinPost.objects.filter(tags__label="python").filter(tags__label="mongo")
    assert titles(await both.find_all()) == ["p1"]
    norwegian = JoinPost.objects.filter(author__company__country="NO")
    assert titles(await norwegian.find_all()) == ["p1", "p4", "p7"]
    by_company = JoinPost.objects.filter(author__city="Oslo").order_by("-author__company__name")
    assert [post.title for post in await by_company.order_by("title").find_all()] == [
        "p1",
        "p7",
        "p3",
    ]


async def test_select_related_loads_references_in_the_same_round_trip(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await seed()
    recorder.clear()

    posts = await JoinPost.objects.select_related("author", "tags").order_by("title").find_all()

    assert recorder.names() == ["aggregate"]
    assert [post.author.name if post.author else None for post in posts] == [
        "Ada",
        "Bob",
        "Cy",
        "dee",
        None,
        None,
        "Ada",
    ]
    assert posts[0].author is posts[6].author  # one document per _id, as load_references
    assert [tag.label for tag in posts[0].tags] == ["python", "mongo"]  # the stored order
    with pytest.raises(LoadReferencesRequiredError):
        _ = posts[0].editor  # not selected
    with pytest.raises(LoadReferencesRequiredError):
        _ = posts[0].author.company  # type: ignore[union-attr] # one level, as named


async def test_select_related_one_level_further_and_every_reference(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await seed()
    recorder.clear()

    post = await JoinPost.objects.select_related("author__company").get(title="p1")
    everything = await JoinPost.objects.select_related().get(title="p2")

    assert recorder.names() == ["aggregate", "aggregate"]
    assert post is not None and post.author is not None
    assert post.author.company is not None and post.author.company.name == "Acme"
    assert everything is not None and everything.author is not None
    assert everything.editor is not None and everything.editor.name == "Ada"
    assert [tag.label for tag in everything.tags] == ["mongo"]


async def test_select_related_with_only(db: Database) -> None:
    await seed()

    posts = (
        await JoinPost.objects.only("title", "author")
        .select_related("author")
        .filter(author__city="Oslo")
        .find_all()
    )
    assert sorted((post.title, post.author.name) for post in posts if post.author) == [
        ("p1", "Ada"),
        ("p3", "Cy"),
        ("p7", "Ada"),
    ]
    with pytest.raises(FieldNotLoadedError):
        _ = posts[0].views
    with pytest.raises(InvalidQueryError, match=r"only\(\)/exclude\(\) leaves out"):
        await JoinPost.objects.only("title").select_related("author").find_all()
    with pytest.raises(InvalidQueryError, match=r"only\(\)/exclude\(\) leaves out"):
        await JoinPost.objects.exclude("author").select_related("author").find_all()


async def test_saving_a_document_loaded_with_its_references_sends_only_what_changed(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await seed()
    post = await JoinPost.objects.select_related("author").get(title="p1")
    assert post is not None and post.author is not None
    recorder.clear()

    post.views = 99
    await post.save()

    assert recorder.names() == ["update"]
    assert recorder.commands[0][1]["updates"][0]["u"] == {"$set": {"views": 99}}
    stored = await db["join_posts"].find_one({"_id": post.id})
    assert stored is not None and stored["author"] == post.author.id


async def test_unknown_names_are_refused_naming_the_model(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match="JoinAuthor has no field 'town'"):
        JoinPost.objects.filter(author__town="Oslo")
    with pytest.raises(InvalidQueryError, match="JoinAuthor has no field 'town'"):
        JoinPost.objects.order_by("author__town")
    with pytest.raises(InvalidQueryError, match="JoinPost has no reference field 'title'"):
        JoinPost.objects.select_related("title")
    with pytest.raises(InvalidQueryError, match="JoinAuthor has no field 'boss'"):
        JoinPost.objects.select_related("author__boss")
    with pytest.raises(InvalidQueryError, match=r"filters and order_by\(\) can do"):
        JoinPost.objects.only("author__name")


async def test_writes_and_distinct_refuse_filters_through_references(db: Database) -> None:
    await seed()
    oslo = JoinPost.objects.filter_not(author__city="Oslo")

    with pytest.raises(InvalidQueryError, match=r"delete\(\)"):
        await oslo.delete()
    with pytest.raises(InvalidQueryError, match=r"update\(\)"):
        await oslo.update(views=0)
    with pytest.raises(InvalidQueryError, match=r"update_one\(\)"):
        await oslo.update_one(views=0)
    with pytest.raises(InvalidQueryError, match=r"distinct\(\)"):
        await oslo.distinct("title")
    with pytest.raises(InvalidQueryError, match=r"delete\(\)"):
        async with BatchQuery() as batch:
            oslo.batch(batch).delete()

    assert await db["join_posts"].count_documents({"views": {"$ne": 0}}) == 7


async def test_a_referenced_model_on_another_connection_is_refused(
    db: Database, mongodb_uri: str
) -> None:
    connect(db.name, alias="join_elsewhere", host=mongodb_uri)

    with pytest.raises(InvalidQueryError, match="'join_elsewhere', not 'default'"):
        await RemotePost.objects.filter(author__name="Ada").find_all()
    with pytest.raises(InvalidQueryError, match=r"RemotePost\.author references RemoteAuthor"):
        await RemotePost.objects.select_related("author").first()
    # An aggregation that starts with such a filter is refused the same way.
    with pytest.raises(InvalidQueryError, match="'join_elsewhere', not 'default'"):
        await RemotePost.objects.filter(author__name="Ada").aggregate.fetch()


async def test_referenced_models_follow_the_connection_of_the_query(
    db: Database, commands: CommandRecorder
) -> None:
    await seed()

    post = await JoinPost.objects.using("monitored").select_related("author").get(title="p1")

    assert commands.names() == ["aggregate"]
    assert post is not None and post.author is not None
    assert post._state.alias == post.author._state.alias == "monitored"


async def test_explain_shows_the_pipeline_sent(db: Database) -> None:
    await seed()

    plan = await JoinPost.objects.filter(author__city="Oslo").select_related("author").explain()
    pipeline = plan["command"]["pipeline"]
    assert pipeline[0]["$lookup"]["from"] == "join_authors"
    assert pipeline[0]["$lookup"]["pipeline"] == [{"$match": {"city": "Oslo"}}]
    assert pipeline[1] == {"$match": {"__join_author": {"$ne": []}}}

    plain = await JoinPost.objects.filter(title="p1").order_by("views").explain()
    assert plain["command"]["find"] == "join_posts"
    assert plain["command"]["filter"] == {"title": "p1"}
    assert plain["command"]["sort"] == {"views": 1}


async def test_the_aggregation_builder_starts_from_the_joined_filter(db: Database) -> None:
    await seed()

    results = (
        await JoinPost.objects.filter(author__city="Oslo").aggregate.group_by("author").fetch()
    )
    assert len(results) == 2  # Ada (p1, p7) and Cy (p3)
    documents = await JoinPost.objects.filter(author__city="Oslo").aggregate.fetch()
    assert sorted(document["title"] for document in documents) == ["p1", "p3", "p7"]
    assert not any(key.startswith("__join") for document in documents for key in document)
    with pytest.raises(InvalidQueryError, match="goes on the queryset"):
        JoinPost.objects.aggregate.match(author__city="Oslo")


async def test_an_eager_model_still_loads_its_other_references(db: Database) -> None:
    await seed()

    posts = await EagerJoinPost.objects.filter(author__city="Rome").find_all()

    assert [post.author.name for post in posts if post.author] == ["Bob"]
    assert [tag.label for tag in posts[0].tags] == ["mongo"]


async def test_the_query_layer_output_is_refused_by_a_plain_find(db: Database) -> None:
    """Whatever runs a compiled filter through a reference without the join planner fails
    loudly: MongoDB refuses the marker key, it never selects documents by mistake."""
    await seed()
    compiled = Q(author__city="Oslo").to_query(JoinPost)

    assert compiled == {"$join:author": {"$elemMatch": {"city": "Oslo"}}}
    with pytest.raises(Exception, match=r"\$join:author"):
        await db["join_posts"].delete_many({"$nor": [compiled]})
    assert await db["join_posts"].count_documents({}) == 7


async def test_plain_filters_keep_their_find(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    await seed()
    author_id = ObjectId()
    recorder.clear()

    await (
        JoinPost.objects.filter(author=author_id, title__startswith="p")
        .order_by("title")
        .find_all()
    )
    await JoinPost.objects.filter(Q(author__in=[author_id]) | Q(views__gt=1)).count()

    assert recorder.names() == ["find", "aggregate"]  # count_documents is an aggregate
    assert "$lookup" not in str(recorder.commands)
