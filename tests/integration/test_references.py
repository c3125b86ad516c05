"""References against a server: storage, assignment, lazy loading, batched loading (no N+1,
counted), filters, connections. Resolution by class name is in
``tests/fields/test_field_class_lookup.py``."""

from __future__ import annotations

import pytest
from bson import ObjectId

from aiomotorengine import (
    DanglingReference,
    Database,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    InvalidDocumentError,
    InvalidQueryError,
    ListField,
    LoadReferencesRequiredError,
    ReferenceField,
    StringField,
    connect,
)
from aiomotorengine.testing import CommandRecorder


class Country(Document):
    __collection__ = "ref_countries"
    name = StringField()


class Author(Document):
    __collection__ = "ref_authors"
    name = StringField()
    country = ReferenceField(Country)


class EagerAuthor(Document):
    __collection__ = "ref_authors"
    __lazy__ = False
    name = StringField()
    country = ReferenceField(Country)


class Tag(Document):
    __collection__ = "ref_tags"
    label = StringField()


class Credit(EmbeddedDocument):
    role = StringField()
    person = ReferenceField("Author")


class Post(Document):
    __collection__ = "ref_posts"
    title = StringField()
    author = ReferenceField("Author")
    tags = ListField(ReferenceField(Tag))
    credits = ListField(EmbeddedDocumentField(Credit))
    editor = EmbeddedDocumentField(Credit)


class EagerPost(Document):
    __collection__ = "ref_posts"
    __lazy__ = False
    title = StringField()
    author = ReferenceField(EagerAuthor)
    tags = ListField(ReferenceField(Tag))


# --- storage and assignment ------------------------------------------------------------------
async def test_reference_is_stored_as_plain_object_id(db: Database) -> None:
    author = await Author.objects.create(name="Ada")
    tag = await Tag.objects.create(label="math")
    post = await Post.objects.create(title="Notes", author=author, tags=[tag, tag._id])

    raw = await db.collection("ref_posts").find_one({"_id": post._id})
    assert raw is not None
    assert raw["author"] == author._id and type(raw["author"]) is ObjectId
    assert raw["tags"] == [tag._id, tag._id]


async def test_assignable_from_object_id_and_its_string(db: Database) -> None:
    author = await Author.objects.create(name="Ada")
    post = Post(title="a", author=author._id)
    post.author = str(author._id)  # type: ignore[assignment]
    await post.save()
    raw = await db.collection("ref_posts").find_one({"_id": post._id})
    assert raw is not None and raw["author"] == author._id


async def test_unsaved_or_wrong_document_is_rejected_and_nothing_written(db: Database) -> None:
    with pytest.raises(InvalidDocumentError) as error:
        Post(title="x", author=Author(name="unsaved"))
    assert error.value.model == "Post" and error.value.field == "author"
    assert "saved Author" in str(error.value) and "not saved yet" in str(error.value)

    tag = await Tag.objects.create(label="t")
    post = Post(title="x")
    with pytest.raises(InvalidDocumentError, match=r"Post\.author"):
        post.author = tag  # type: ignore[assignment]
    with pytest.raises(InvalidDocumentError, match=r"Post\.tags"):
        post.tags = [Tag(label="unsaved")]
    assert await db.collection("ref_posts").count_documents({}) == 0


async def test_string_reference_resolves_to_the_class(db: Database) -> None:
    assert Post.author.reference_type is Author
    assert Credit.person.reference_type is Author


# --- laziness ---------------------------------------------------------------------------------
async def test_reading_an_unloaded_reference_says_what_to_do(db: Database) -> None:
    author = await Author.objects.create(name="Ada")
    tag = await Tag.objects.create(label="t")
    await Post.objects.create(title="p", author=author, tags=[tag])
    post = await Post.objects.get(title="p")
    assert post is not None
    with pytest.raises(LoadReferencesRequiredError) as error:
        _ = post.author
    message = str(error.value)
    assert "Post.author" in message and "load_references()" in message and "lazy=False" in message
    with pytest.raises(LoadReferencesRequiredError, match=r"Post\.tags"):
        _ = post.tags

    await post.load_references()
    assert post.author == author and post.author.name == "Ada"
    assert [t.label for t in post.tags] == ["t"]


async def test_load_references_of_named_fields_only(db: Database) -> None:
    author = await Author.objects.create(name="Ada")
    tag = await Tag.objects.create(label="t")
    await Post.objects.create(title="p", author=author, tags=[tag])
    post = await Post.objects.get(title="p")
    assert post is not None
    await post.load_references(fields=["tags"])
    assert post.tags[0].label == "t"
    with pytest.raises(LoadReferencesRequiredError):
        _ = post.author
    with pytest.raises(InvalidQueryError, match=r"Post.*'nope'"):
        await post.load_references(fields=["nope"])


async def test_get_and_find_all_lazy_false(db: Database) -> None:
    author = await Author.objects.create(name="Ada")
    await Post.objects.create(title="p", author=author)
    post = await Post.objects.get(title="p", lazy=False)
    assert post is not None and post.author.name == "Ada"
    posts = await Post.objects.find_all(lazy=False)
    assert posts[0].author.name == "Ada"


async def test_model_lazy_false_loads_references_eagerly_and_nested(db: Database) -> None:
    france = await Country.objects.create(name="France")
    author = await EagerAuthor.objects.create(name="Sophie", country=france)
    await EagerPost.objects.create(title="p", author=author)
    post = await EagerPost.objects.get(title="p")
    assert post is not None
    # EagerAuthor is __lazy__ = False too: its own reference is loaded at the next level.
    assert post.author.name == "Sophie" and post.author.country.name == "France"


async def test_references_inside_embedded_documents(db: Database) -> None:
    ada, bob = [await Author.objects.create(name=name) for name in ("Ada", "Bob")]
    await Post.objects.create(
        title="p",
        credits=[Credit(role="writer", person=ada), Credit(role="editor", person=bob)],
        editor=Credit(role="chief", person=bob),
    )
    post = await Post.objects.get(title="p", lazy=False)
    assert post is not None
    assert [c.person.name for c in post.credits] == ["Ada", "Bob"]
    assert post.editor.person.name == "Bob"


# --- dangling references ----------------------------------------------------------------------
async def test_dangling_reference_loads_as_none_and_saving_keeps_the_ids(db: Database) -> None:
    author = await Author.objects.create(name="gone")
    kept, lost = await Tag.objects.create(label="kept"), await Tag.objects.create(label="lost")
    post = await Post.objects.create(title="p", author=author, tags=[kept, lost])
    await author.delete()
    await lost.delete()

    loaded = await Post.objects.get(post._id, lazy=False)
    assert loaded is not None
    assert loaded.author is None
    tags = loaded.tags
    assert tags[0] == kept and tags[1] == DanglingReference(lost._id) and not tags[1]

    loaded.title = "renamed"
    await loaded.save()
    raw = await db.collection("ref_posts").find_one({"_id": post._id})
    assert raw is not None
    assert raw["title"] == "renamed"
    assert raw["author"] == author._id and raw["tags"] == [kept._id, lost._id]


# --- filters ----------------------------------------------------------------------------------
async def test_filter_by_document_or_id_and_in(db: Database) -> None:
    ada, bob, eve = [await Author.objects.create(name=n) for n in ("Ada", "Bob", "Eve")]
    for author in (ada, bob, eve):
        await Post.objects.create(title=author.name, author=author)

    assert Post.objects.filter(author=ada).query == {"author": ada._id}
    by_doc = await Post.objects.filter(author=ada).find_all()
    by_id = await Post.objects.filter(author=str(bob._id)).find_all()
    several = await Post.objects.filter(author__in=[ada, eve._id]).order_by("title").find_all()
    assert [p.title for p in by_doc] == ["Ada"]
    assert [p.title for p in by_id] == ["Bob"]
    assert [p.title for p in several] == ["Ada", "Eve"]
    with pytest.raises(InvalidQueryError, match=r"Post\.author.*unsaved"):
        Post.objects.filter(author=Author(name="new"))


async def test_filter_list_of_references_contains(db: Database) -> None:
    a, b = await Tag.objects.create(label="a"), await Tag.objects.create(label="b")
    await Post.objects.create(title="both", tags=[a, b])
    await Post.objects.create(title="one", tags=[a])
    found = await Post.objects.filter(tags=b).find_all()
    assert [p.title for p in found] == ["both"]
    found = await Post.objects.filter(tags__in=[b._id]).find_all()
    assert [p.title for p in found] == ["both"]


# --- no N+1: counted with command monitoring --------------------------------------------------
async def _many_posts(count: int) -> None:
    countries = [await Country.objects.create(name=f"c{i}") for i in range(3)]
    authors = await EagerAuthor.objects.bulk_insert(
        [EagerAuthor(name=f"a{i}", country=countries[i % 3]) for i in range(10)]
    )
    tags = await Tag.objects.bulk_insert([Tag(label=f"t{i}") for i in range(20)])
    await Post.objects.bulk_insert(
        [
            Post(
                title=f"p{i}",
                author=authors[i % 10]._id,
                tags=[tags[(i + k) % 20] for k in range(5)],
                credits=[Credit(role="r", person=authors[(i + 1) % 10]._id)],
            )
            for i in range(count)
        ]
    )


async def test_loading_references_of_many_documents_costs_one_find_per_collection(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, log = monitored
    await _many_posts(50)
    posts = await Post.objects.find_all()
    assert len(posts) == 50
    log.clear()

    from aiomotorengine.queryset import load_references

    await load_references(posts)

    # Level 1: authors (author + credits.person, one collection) and tags; Author is lazy,
    # so its country is not loaded: exactly two finds for 50 posts x 7 references.
    assert sorted(log.targets("find")) == ["ref_authors", "ref_tags"]
    assert all(len(p.tags) == 5 and p.tags[0].label.startswith("t") for p in posts)
    assert all(p.author.name.startswith("a") for p in posts)
    assert all(p.credits[0].person.name.startswith("a") for p in posts)


async def test_find_all_lazy_false_over_many_documents_is_batched_per_level(
    monitored: tuple[Database, CommandRecorder],
) -> None:
    _, log = monitored
    await _many_posts(50)
    log.clear()

    posts = await EagerPost.objects.find_all()

    # One find for the posts, one per referenced collection at level 1 (authors, tags), and
    # one at level 2 (the countries of the __lazy__ = False authors).
    assert log.targets("find") == ["ref_posts", "ref_authors", "ref_tags", "ref_countries"]
    assert len(posts) == 50
    assert {p.author.country.name for p in posts} == {"c0", "c1", "c2"}

    log.clear()
    await Post.objects.find_all(lazy=False)
    assert sorted(log.targets("find")) == ["ref_authors", "ref_posts", "ref_tags"]


async def test_references_follow_the_connection_their_document_came_from(
    monitored: tuple[Database, CommandRecorder], mongodb_uri: str
) -> None:
    handle, log = monitored
    other = connect(handle.name, alias="ref_other", host=mongodb_uri)
    author = await Author.objects.create(name="Ada")
    await Post.objects.create(title="p", author=author)
    log.clear()
    post = await Post.objects.using("ref_other").get(title="p", lazy=False)
    assert post is not None and post.author.name == "Ada"
    # Both queries ran on "ref_other", not on the default connection.
    assert log.targets("find") == []
    assert other.alias == "ref_other"
