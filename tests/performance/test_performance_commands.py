"""Guard rails on round trips: the commands sent (command monitoring), counted exactly.

Like Django's ``assertNumQueries``: a save of one changed field is one ``update`` carrying
only that field, a get by ``_id`` is one ``find``, and loading references costs one ``find``
per referenced collection whatever the number of documents (no N+1).
"""

from __future__ import annotations

from bson import ObjectId

from aiomotorengine import (
    Database,
    Document,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)
from aiomotorengine.testing import CommandRecorder


class CountedAuthor(Document):
    __collection__ = "counted_authors"
    name = StringField(required=True)
    age = IntField()


class CountedTopic(Document):
    __collection__ = "counted_topics"
    title = StringField()


class CountedPost(Document):
    __collection__ = "counted_posts"
    title = StringField()
    author = ReferenceField(CountedAuthor)
    topics = ListField(ReferenceField(CountedTopic))


async def test_save_of_one_changed_field_is_one_update_of_that_field(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db["counted_authors"].insert_one({"name": "Ada", "age": 36, "extra": "kept"})
    author = await CountedAuthor.objects.get(name="Ada")
    assert author is not None
    recorder.clear()

    author.age = 37
    await author.save()

    assert recorder.names() == ["update"]
    statement = recorder.commands[0][1]["updates"][0]
    assert statement["q"] == {"_id": author._id}
    assert statement["u"] == {"$set": {"age": 37}}
    assert await db["counted_authors"].find_one({}, {"_id": 0}) == {
        "name": "Ada",
        "age": 37,
        "extra": "kept",
    }


async def test_save_without_changes_sends_nothing(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await db["counted_authors"].insert_one({"name": "Ada", "age": 36})
    author = await CountedAuthor.objects.get(name="Ada")
    assert author is not None
    assert author.name == "Ada" and author.age == 36  # reading is not changing
    recorder.clear()

    await author.save()

    assert recorder.names() == []


async def test_get_by_id_is_one_find(monitored: tuple[Database, CommandRecorder]) -> None:
    db, recorder = monitored
    result = await db["counted_authors"].insert_one({"name": "Ada", "age": 36})
    recorder.clear()

    author = await CountedAuthor.objects.get(result.inserted_id)

    assert author is not None and author.name == "Ada"
    assert recorder.names() == ["find"]
    assert recorder.commands[0][1]["filter"] == {"_id": result.inserted_id}

    recorder.clear()
    assert await CountedAuthor.objects.get(str(result.inserted_id)) == author
    assert recorder.names() == ["find"]


async def _seed_posts(db: Database, posts: int) -> tuple[list[ObjectId], list[ObjectId]]:
    authors = (
        await db["counted_authors"].insert_many([{"name": f"author {i}"} for i in range(7)])
    ).inserted_ids
    topics = (
        await db["counted_topics"].insert_many([{"title": f"topic {i}"} for i in range(5)])
    ).inserted_ids
    await db["counted_posts"].insert_many(
        [
            {
                "title": f"post {i}",
                "author": authors[i % len(authors)],
                "topics": [topics[i % len(topics)], topics[(i + 1) % len(topics)]],
            }
            for i in range(posts)
        ]
    )
    return authors, topics


def _finds_by_collection(recorder: CommandRecorder) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, command in recorder.commands:
        if name == "find":
            counts[command["find"]] = counts.get(command["find"], 0) + 1
    return counts


async def test_loading_references_is_one_find_per_referenced_collection(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await _seed_posts(db, posts=60)  # under the first batch: no getMore to count
    recorder.clear()

    posts = await CountedPost.objects.find_all(lazy=False)

    assert len(posts) == 60
    assert _finds_by_collection(recorder) == {
        "counted_posts": 1,
        "counted_authors": 1,
        "counted_topics": 1,
    }
    assert recorder.names() == ["find", "find", "find"]
    assert {post.author.name for post in posts if post.author} == {f"author {i}" for i in range(7)}
    assert posts[3].topics[0].title == "topic 3"  # type: ignore[index]


async def test_load_references_on_many_documents_does_not_grow_with_them(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    db, recorder = monitored
    await _seed_posts(db, posts=500)
    posts = await CountedPost.objects.find_all()
    recorder.clear()

    from aiomotorengine.queryset import load_references

    await load_references(posts)

    assert _finds_by_collection(recorder) == {"counted_authors": 1, "counted_topics": 1}
    assert all(post.author is not None for post in posts)

    recorder.clear()
    single = await CountedPost.objects.get(title="post 11")
    assert single is not None
    await single.load_references()
    assert _finds_by_collection(recorder) == {
        "counted_posts": 1,
        "counted_authors": 1,
        "counted_topics": 1,
    }


class CountedEmployee(Document):
    __collection__ = "counted_employees"
    name = StringField()
    manager = ReferenceField("CountedEmployee")


async def test_references_among_the_documents_loaded_are_not_read_again(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, recorder = monitored
    boss = await CountedEmployee.objects.create(name="boss")
    lead = await CountedEmployee.objects.create(name="lead", manager=boss)
    await CountedEmployee.objects.create(name="dev", manager=lead)
    outside = await CountedEmployee.objects.create(name="outside")
    await CountedEmployee.objects.create(name="contractor", manager=outside)
    team = await CountedEmployee.objects.filter(name__in=["boss", "lead", "dev"]).find_all()
    recorder.clear()

    from aiomotorengine.queryset import load_references

    result = await load_references(team)  # every manager is among them: no query
    assert recorder.commands == []
    assert result.loaded_reference_count == 2 and result.loaded_values == []
    by_name = {employee.name: employee for employee in team}
    assert by_name["dev"].manager is by_name["lead"] and by_name["lead"].manager is by_name["boss"]

    everyone = await CountedEmployee.objects.find_all()
    outsiders = [employee for employee in everyone if employee.name == "contractor"]
    recorder.clear()
    await load_references([*team[:1], *outsiders])  # only the one manager not given is read
    assert _finds_by_collection(recorder) == {"counted_employees": 1}
    (find,) = [command for name, command in recorder.commands if name == "find"]
    assert find["filter"] == {"_id": {"$in": [outside.id]}}
    assert outsiders[0].manager is not None and outsiders[0].manager.name == "outside"
