"""Every QuerySet method against the embedded server (or ``MONGODB_URI``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

from aiomotorengine import (
    Database,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FieldNotLoadedError,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    ListField,
    MultipleObjectsReturned,
    ObjectIdField,
    Q,
    ReferenceField,
    StringField,
    connect,
)
from aiomotorengine.testing import CommandRecorder


@pytest.fixture
async def other(db: Database, mongodb_uri: str) -> AsyncIterator[Database]:
    """An alias ``other`` on a second database (dropped afterwards)."""
    handle = connect(f"{db.name}_other", alias="other", host=mongodb_uri)
    try:
        yield handle
    finally:
        await handle.client.drop_database(handle.name)


class Address(EmbeddedDocument):
    street = StringField(db_field="st")
    city = StringField()


class Person(Document):
    __collection__ = "people"

    name = StringField(db_field="n", required=True)
    age = IntField()
    city = StringField()
    tags = ListField(StringField())
    address = EmbeddedDocumentField(Address)
    owner_id = ObjectIdField()
    views = IntField(default=0)


async def people(*rows: tuple[str, int]) -> list[Person]:
    return await Person.objects.bulk_insert([Person(name=n, age=a) for n, a in rows])


def names(documents: list[Person]) -> list[str | None]:
    return [document.name for document in documents]


# --- chain methods ------------------------------------------------------------------------
async def test_chain_methods_update_the_queryset_without_reassigning(db: Database) -> None:
    await people(("a", 10), ("b", 20), ("c", 30), ("d", 40))
    cursor = Person.objects.filter(age__gt=10)
    cursor.order_by(Person.name, DESCENDING)
    cursor.limit(2)
    assert names(await cursor.find_all()) == ["d", "c"]


async def test_successive_filters_are_anded(db: Database) -> None:
    await people(("a", 10), ("b", 20), ("c", 30))
    queryset = Person.objects.filter(age__gt=10)
    queryset.filter(age__lt=30)
    assert names(await queryset.find_all()) == ["b"]
    both = Person.objects.filter(Q(age=10) | Q(age=30)).filter(name="c")
    assert names(await both.find_all()) == ["c"]


async def test_filter_not_ands_with_what_is_there(db: Database) -> None:
    await people(("a", 10), ("b", 20), ("c", 30))
    queryset = Person.objects.filter(age__gte=20)
    queryset.filter_not(name="c")
    assert names(await queryset.find_all()) == ["b"]
    assert names(await Person.objects.filter_not(age__in=[10, 30]).find_all()) == ["b"]


async def test_order_by_names_fields_minus_and_repeated_keys(db: Database) -> None:
    await people(("b", 2), ("a", 2), ("c", 1), ("d", 3))
    by_field = await Person.objects.order_by(Person.age).order_by(Person.name).find_all()
    assert names(by_field) == ["c", "a", "b", "d"]
    by_name = await Person.objects.order_by("age", DESCENDING).order_by("name").find_all()
    assert names(by_name) == ["d", "a", "b", "c"]
    minus = await Person.objects.order_by("-age").order_by("-name").find_all()
    assert names(minus) == ["d", "b", "a", "c"]
    # ordering again by the same key replaces its direction instead of adding a duplicate key
    again = Person.objects.order_by("name", DESCENDING).order_by("name", ASCENDING)
    assert names(await again.find_all()) == ["a", "b", "c", "d"]


async def test_order_by_embedded_path(db: Database) -> None:
    for name, street in (("x", "B st"), ("y", "A st"), ("z", "C st")):
        await Person.objects.create(name=name, address=Address(street=street))
    result = await Person.objects.order_by("address__street").find_all()
    assert names(result) == ["y", "x", "z"]


async def test_limit_and_skip(db: Database) -> None:
    await people(*[(f"p{i}", i) for i in range(10)])
    page = await Person.objects.order_by("age").skip(3).limit(4).find_all()
    assert [p.age for p in page] == [3, 4, 5, 6]
    with pytest.raises(InvalidQueryError, match=r"limit\(\) takes an int >= 1"):
        Person.objects.limit(0)  # MongoDB would read 0 as no limit at all


# --- projections --------------------------------------------------------------------------
async def test_only_loads_the_named_fields_and_id(db: Database) -> None:
    created = await Person.objects.create(
        name="ann", age=30, city="Oslo", address=Address(street="Main", city="Oslo")
    )
    [loaded] = await Person.objects.only("name", Person.age).find_all()
    assert loaded._id == created._id
    assert (loaded.name, loaded.age) == ("ann", 30)
    with pytest.raises(FieldNotLoadedError, match=r"Person.city"):
        _ = loaded.city
    with pytest.raises(FieldNotLoadedError, match=r"Person.address"):
        _ = loaded.address


async def test_only_dotted_into_embedded_document(db: Database) -> None:
    await Person.objects.create(name="ann", address=Address(street="Main", city="Oslo"))
    [loaded] = await Person.objects.only("address__street").find_all()
    assert loaded.address is not None and loaded.address.street == "Main"
    with pytest.raises(FieldNotLoadedError, match=r"Address\.city"):
        _ = loaded.address.city  # not in the projection: never a made-up None
    raw = await db.collection("people").find_one({})
    assert raw is not None and raw["address"] == {"st": "Main", "city": "Oslo"}
    with pytest.raises(FieldNotLoadedError):
        _ = loaded.name


async def test_exclude_names_fields_and_dotted(db: Database) -> None:
    await Person.objects.create(
        name="ann", age=30, city="Oslo", address=Address(street="Main", city="Oslo")
    )
    [loaded] = await Person.objects.exclude("city", Person.age).find_all()
    assert loaded._id is not None and loaded.name == "ann"
    with pytest.raises(FieldNotLoadedError, match=r"Person.age"):
        _ = loaded.age
    [partial] = await Person.objects.exclude("address.city").find_all()
    assert partial.city == "Oslo"
    assert partial.address is not None and partial.address.street == "Main"
    with pytest.raises(FieldNotLoadedError, match=r"Address\.city"):
        _ = partial.address.city


async def test_saving_a_projected_document_touches_only_changed_fields(
    db: Database, commands: CommandRecorder
) -> None:
    await Person.objects.create(name="ann", age=30, city="Oslo", tags=["x"])
    [loaded] = await Person.objects.only("age").find_all(alias="monitored")
    loaded.age = 31
    commands.clear()
    await loaded.save()
    [update] = commands.named("update")
    assert update["updates"][0]["u"] == {"$set": {"age": 31}}
    raw = await db.collection("people").find_one({})
    assert raw is not None
    assert (raw["n"], raw["age"], raw["city"], raw["tags"]) == ("ann", 31, "Oslo", ["x"])


# --- find_all ------------------------------------------------------------------------------
async def test_find_all_has_no_silent_cap_and_keeps_filters(
    db: Database, commands: CommandRecorder
) -> None:
    await Person.objects.bulk_insert([Person(name=f"p{i:04}", age=i % 2) for i in range(1200)])
    queryset = Person.objects.filter(age=1)
    commands.clear()
    found = await queryset.find_all(alias="monitored")
    assert len(found) == 600 and all(p.age == 1 for p in found)
    assert commands.named("getMore"), "more than one batch was needed"
    # the queryset keeps its filters afterwards
    assert await queryset.count() == 600
    assert len(await queryset.find_all()) == 600
    assert len(await Person.objects.find_all()) == 1200


async def test_results_are_model_instances_bound_to_their_alias(db: Database) -> None:
    await people(("a", 1))
    [found] = await Person.objects.find_all()
    assert isinstance(found, Person)
    found.age = 2
    await found.save()
    assert (await Person.objects.get(found._id)).age == 2  # type: ignore[union-attr]


# --- count / get / first / exists / distinct ---------------------------------------------------
async def test_count_with_filters_skip_and_limit(db: Database) -> None:
    assert await Person.objects.count() == 0
    await people(*[(f"p{i}", i) for i in range(10)])
    assert await Person.objects.count() == 10
    assert await Person.objects.filter(age__gte=5).count() == 5
    assert await Person.objects.skip(8).count() == 2
    assert await Person.objects.limit(3).count() == 3
    assert await Person.objects.skip(4).limit(3).count() == 3


async def test_get_by_object_id_and_string(db: Database) -> None:
    ann = await Person.objects.create(name="ann", age=1)
    by_oid = await Person.objects.get(ann._id)
    by_str = await Person.objects.get(str(ann._id))
    by_keyword = await Person.objects.get(id=str(ann._id))
    assert by_oid == by_str == by_keyword == ann
    assert by_oid is not None and by_oid.name == "ann"


async def test_get_returns_none_when_nothing_matches(db: Database) -> None:
    await Person.objects.create(name="ann")
    assert await Person.objects.get(ObjectId()) is None
    assert await Person.objects.get(name="bob") is None


async def test_get_malformed_id_error_contains_it(db: Database) -> None:
    with pytest.raises(InvalidQueryError, match="'12345-nope'") as raised:
        await Person.objects.get("12345-nope")
    assert "Person" in str(raised.value)


async def test_get_more_than_one_match_raises(db: Database) -> None:
    await people(("ann", 1), ("bob", 1), ("cid", 2))
    with pytest.raises(MultipleObjectsReturned, match="Person"):
        await Person.objects.get(age=1)
    only = await Person.objects.get(age=2)
    assert only is not None and only.name == "cid"


async def test_get_with_filters_leaves_the_queryset_as_it_was(db: Database) -> None:
    await people(("ann", 1), ("bob", 1))
    queryset = Person.objects.filter(age=1)
    found = await queryset.get(name="ann")
    assert found is not None and found.name == "ann"
    assert await queryset.count() == 2


async def test_first(db: Database) -> None:
    assert await Person.objects.first() is None
    await people(("b", 2), ("a", 1), ("c", 3))
    first = await Person.objects.order_by("-age").first()
    assert first is not None and first.name == "c"
    filtered = await Person.objects.filter(age__lt=3).order_by("name").first()
    assert filtered is not None and filtered.name == "a"


async def test_exists(db: Database) -> None:
    assert await Person.objects.exists() is False
    await people(("a", 1))
    assert await Person.objects.exists() is True
    assert await Person.objects.filter(age=2).exists() is False
    await people(("b", 2))
    assert await Person.objects.skip(1).exists() is True
    assert await Person.objects.skip(2).exists() is False


async def test_distinct_by_name_and_field_converted(db: Database) -> None:
    owner = ObjectId()
    await Person.objects.bulk_insert(
        [Person(name="a", age=1, owner_id=owner), Person(name="b", age=1), Person(name="c", age=2)]
    )
    assert sorted(await Person.objects.distinct("age")) == [1, 2]
    assert await Person.objects.filter(name__in=["a", "b"]).distinct(Person.age) == [1]
    assert sorted(await Person.objects.distinct("name")) == ["a", "b", "c"]  # through db_field
    assert await Person.objects.filter(name="a").distinct("owner_id") == [owner]
    with pytest.raises(InvalidQueryError, match="'nickname'"):
        await Person.objects.distinct("nickname")


# --- create / delete / bulk_insert ------------------------------------------------------------
async def test_create_validates_and_inserts(db: Database) -> None:
    ann = await Person.objects.create(name="ann", age=3)
    assert isinstance(ann._id, ObjectId)
    raw = await db.collection("people").find_one({"_id": ann._id})
    assert raw is not None and raw["n"] == "ann"
    with pytest.raises(InvalidDocumentError, match=r"Person.age"):
        await Person.objects.create(name="bob", age="three")
    assert await Person.objects.count() == 1


async def test_delete_returns_the_number_deleted(db: Database) -> None:
    await people(("a", 1), ("b", 1), ("c", 2))
    assert await Person.objects.filter(age=1).delete() == 2
    assert names(await Person.objects.find_all()) == ["c"]
    assert await Person.objects.filter(age=9).delete() == 0
    with pytest.raises(InvalidQueryError, match=r"skip\(\)/limit\(\)"):
        await Person.objects.limit(1).delete()
    assert await Person.objects.delete() == 1


async def test_bulk_insert_one_insert_many_and_ids(db: Database, commands: CommandRecorder) -> None:
    documents = [Person(name=f"p{i}", age=i) for i in range(5)]
    commands.clear()
    inserted = await Person.objects.bulk_insert(documents, alias="monitored")
    assert inserted == documents
    assert all(isinstance(document._id, ObjectId) for document in inserted)
    inserts = commands.named("insert")
    assert len(inserts) == 1 and len(inserts[0]["documents"]) == 5
    assert set(await Person.objects.distinct("_id")) == {d._id for d in documents}


async def test_bulk_insert_writes_nothing_if_any_is_invalid(
    db: Database, commands: CommandRecorder
) -> None:
    documents = [Person(name="ok", age=1), Person(age=2), Person(name="ok2")]  # #2: no name
    commands.clear()
    with pytest.raises(InvalidDocumentError, match=r"Person.name"):
        await Person.objects.bulk_insert(documents, alias="monitored")
    assert commands.named("insert") == []
    assert await Person.objects.count() == 0


async def test_bulk_insert_empty_list(db: Database, commands: CommandRecorder) -> None:
    commands.clear()
    assert await Person.objects.bulk_insert([], alias="monitored") == []
    assert commands.names() == []


async def test_bulk_insert_rejects_other_models_and_saved_documents(db: Database) -> None:
    saved = await Person.objects.create(name="a")
    with pytest.raises(InvalidQueryError, match="already saved"):
        await Person.objects.bulk_insert([Person(name="b"), saved])
    with pytest.raises(InvalidQueryError, match="Address"):
        await Person.objects.bulk_insert([Address(street="x")])  # type: ignore[list-item]
    assert await Person.objects.count() == 1


# --- updates ---------------------------------------------------------------------------------
async def test_update_definition_with_names_and_fields(db: Database) -> None:
    await people(("a", 1), ("b", 1), ("c", 2))
    owner = ObjectId()
    result = await Person.objects.filter(age=1).update(
        {"city": "Oslo", Person.owner_id: str(owner), "address__street": "Main"}
    )
    assert result.count == 2 and result.matched == 2
    raw = [d async for d in db.collection("people").find({"age": 1})]
    assert all(d["city"] == "Oslo" for d in raw)
    assert all(d["owner_id"] == owner for d in raw)  # converted by its field: an ObjectId
    assert all(d["address"] == {"st": "Main"} for d in raw)  # through db_field
    untouched = await db.collection("people").find_one({"age": 2})
    assert untouched is not None and "city" not in untouched


async def test_update_rejects_bad_values_and_writes_nothing(db: Database) -> None:
    await people(("a", 1))
    with pytest.raises(InvalidDocumentError, match=r"Person.age"):
        await Person.objects.update({"age": "old", "city": "Oslo"})
    with pytest.raises(InvalidDocumentError, match=r"Person.name"):
        await Person.objects.update(set__name={"$gt": ""})
    with pytest.raises(InvalidQueryError, match="'nickname'"):
        await Person.objects.update({"nickname": "x"})
    with pytest.raises(InvalidQueryError, match="unknown update 'rename__name'"):
        await Person.objects.update(rename__name="x")
    with pytest.raises(InvalidQueryError, match=r"skip\(\)/limit\(\)"):
        await Person.objects.limit(1).update(set__city="x")
    raw = await db.collection("people").find_one({})
    assert raw is not None and "city" not in raw and raw["age"] == 1


async def test_mongoengine_style_updates(db: Database) -> None:
    ann = await Person.objects.create(name="ann", age=1, city="Oslo", tags=["a", "b"], views=5)
    queryset = Person.objects.filter(id=ann._id)
    await queryset.update(set__name="Ann", unset__city=True, inc__views=2, push__tags="c")
    raw = await db.collection("people").find_one({"_id": ann._id})
    assert raw is not None
    assert (raw["n"], raw["views"], raw["tags"]) == ("Ann", 7, ["a", "b", "c"])
    assert "city" not in raw
    with pytest.raises(InvalidQueryError, match="changes 'tags' twice"):
        await queryset.update(pull__tags="a", add_to_set__tags="b")
    with pytest.raises(InvalidQueryError, match=r"'address.st' twice \(and 'address'\)"):
        await queryset.update({"address": Address(street="x")}, set__address__street="y")
    await queryset.update(pull__tags="a", dec__views=1)
    await queryset.update(add_to_set__tags="b")
    await queryset.update(add_to_set__tags=["b", "d"])
    raw = await db.collection("people").find_one({"_id": ann._id})
    assert raw is not None and raw["tags"] == ["b", "c", "d"] and raw["views"] == 6
    await queryset.update(push_all__tags=["e", "f"], max__age=10)
    await queryset.update(pull_all__tags=["b", "c"], min__views=3)
    await queryset.update(pop__tags=1)
    raw = await db.collection("people").find_one({"_id": ann._id})
    assert raw is not None and raw["tags"] == ["d", "e"] and raw["age"] == 10
    assert raw["views"] == 3
    await queryset.update(set__address__street="Main", mul__age=3)
    raw = await db.collection("people").find_one({"_id": ann._id})
    assert raw is not None and raw["address"] == {"st": "Main"} and raw["age"] == 30


async def test_update_converts_operation_values(db: Database) -> None:
    await people(("a", 1))
    with pytest.raises(InvalidDocumentError, match=r"Person\.views: invalid value 'one'"):
        await Person.objects.update(inc__views="one")
    with pytest.raises(InvalidDocumentError, match=r"Person.tags"):
        await Person.objects.update(push__tags=5)
    raw = await db.collection("people").find_one({})
    assert raw is not None and raw["views"] == 0 and raw["tags"] == []


async def test_update_one(db: Database) -> None:
    await people(("a", 1), ("b", 1))
    result = await Person.objects.filter(age=1).update_one(set__city="Oslo")
    assert result.count == 1
    assert await Person.objects.filter(city="Oslo").count() == 1
    nothing = await Person.objects.filter(age=9).update_one({"city": "x"})
    assert (nothing.count, nothing.matched) == (0, 0)


async def test_update_result_counts_modified_documents(db: Database) -> None:
    await people(("a", 1), ("b", 2))
    result = await Person.objects.update({"age": 1})
    assert (result.count, result.matched) == (1, 2)


# --- alias= on every call ---------------------------------------------------------------------
async def test_every_call_takes_an_alias(db: Database, other: Database) -> None:
    ann = await Person.objects.create(alias="other", name="ann", age=1)
    await Person.objects.bulk_insert([Person(name="bob", age=2)], alias="other")
    assert await Person.objects.count() == 0  # nothing on the default alias
    objects = Person.objects
    assert await objects.count(alias="other") == 2
    assert names(await objects.order_by("name").find_all(alias="other")) == ["ann", "bob"]
    assert names(await objects.order_by("name").to_list(1, alias="other")) == ["ann"]
    assert await objects.get(ann._id, alias="other") == ann
    assert (await objects.order_by("-name").first(alias="other")).name == "bob"  # type: ignore[union-attr]
    assert await objects.exists(alias="other") is True
    assert sorted(await objects.distinct("age", alias="other")) == [1, 2]
    assert (await objects.update({"city": "x"}, alias="other")).count == 2
    assert (await objects.update_one(set__city="y", alias="other")).count == 1
    assert await Person.objects.filter(name="bob").delete(alias="other") == 1
    assert await objects.count(alias="other") == 1
    assert await Person.objects.using("other").count() == 1
    assert await db.collection("people").count_documents({}) == 0


class Tag(Document):
    __collection__ = "bulk_tags"
    label = StringField(unique=True)


async def test_bulk_insert_duplicate_marks_exactly_the_inserted_documents_saved(
    db: Database,
) -> None:
    from aiomotorengine import UniqueKeyViolationError

    await Tag.ensure_index()
    await Tag.objects.create(label="taken")
    first, clash, last = Tag(label="new"), Tag(label="taken"), Tag(label="later")
    with pytest.raises(UniqueKeyViolationError, match="label"):
        await Tag.objects.bulk_insert([first, clash, last])
    assert isinstance(first._id, ObjectId)
    assert clash._id is None and last._id is None
    stored = sorted(doc["label"] for doc in await db["bulk_tags"].find({}).to_list(None))
    assert stored == ["new", "taken"]
    # The inserted one is a saved document now: saving it again updates, never re-inserts.
    first.label = "renamed"
    await first.save()
    assert await Tag.objects.filter(label="renamed").count() == 1
    assert await Tag.objects.count() == 2


class Writer(Document):
    __collection__ = "stream_writers"
    name = StringField()


class EagerPost(Document):
    __collection__ = "stream_posts"
    __lazy__ = False
    title = StringField()
    writer = ReferenceField(Writer)


async def test_async_for_loads_eager_references_a_chunk_at_a_time(
    db: Database, commands: CommandRecorder
) -> None:
    writers = await Writer.objects.bulk_insert([Writer(name=f"w{i}") for i in range(3)])
    await EagerPost.objects.bulk_insert(
        [EagerPost(title=f"p{i}", writer=writers[i % 3]) for i in range(250)]
    )
    commands.clear()
    seen = [post.writer.name async for post in EagerPost.objects.using("monitored")]  # type: ignore[union-attr]
    assert len(seen) == 250 and set(seen) == {"w0", "w1", "w2"}
    # One $in per chunk of 100 streamed documents, never one query per document.
    assert commands.targets("find").count("stream_writers") == 3
