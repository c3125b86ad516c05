"""Save rules, proven on the wire with PyMongo command monitoring.

A loaded document sends only what changed, as ``$set``/``$unset`` on ``{_id}`` without upsert;
nothing it did not load or does not know is touched; nothing is sent when nothing changed.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from aiomotorengine import (
    Database,
    DateTimeField,
    Document,
    DocumentDeletedError,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    ListField,
    StringField,
    connect,
    get_connection,
)
from aiomotorengine.testing import CommandRecorder


def only_update(wire: CommandRecorder) -> dict[str, Any]:
    """The one update statement sent since the last clear(), checked for shape."""
    updates = wire.named("update")
    assert len(updates) == 1, wire.commands
    statements = updates[0]["updates"]
    assert len(statements) == 1
    statement = statements[0]
    assert not statement.get("upsert", False)
    assert not statement.get("multi", False)
    assert set(statement["q"]) == {"_id"}
    return statement


@pytest.fixture
def wire(monitored: tuple[Database, CommandRecorder]) -> CommandRecorder:
    """The commands of the default connection (on a fresh database)."""
    return monitored[1]


class Address(EmbeddedDocument):
    street = StringField()
    city = StringField()


class Comment(EmbeddedDocument):
    text = StringField(required=True)
    votes = IntField(default=0)


class Person(Document):
    __collection__ = "people"
    name = StringField(required=True)
    age = IntField(min_value=0)
    email = StringField(unique=True, sparse=True)  # many people have none
    tags = ListField(StringField())
    address = EmbeddedDocumentField(Address)
    comments = ListField(EmbeddedDocumentField(Comment))


async def raw_person(person: Person) -> dict[str, Any]:
    son = await get_connection().collection("people").find_one({"_id": person._id})
    assert son is not None
    return son


async def saved_person(**values: Any) -> Person:
    """A person inserted, then loaded afresh from the database."""
    defaults: dict[str, Any] = {
        "name": "Ada",
        "age": 36,
        "tags": ["math"],
        "address": Address(street="Main", city="London"),
        "comments": [Comment(text="first"), Comment(text="second", votes=3)],
    }
    defaults.update(values)
    person = await Person.objects.create(**defaults)
    loaded = await Person.objects.get(person._id)
    assert loaded is not None
    return loaded


async def test_insert_sends_the_document_and_sets_id(wire: CommandRecorder) -> None:
    await Person.ensure_index()  # the first save would create the declared indexes first
    person = Person(name="Ada", age=None)
    assert person._id is None
    wire.clear()
    await person.save()
    inserts = wire.named("insert")
    assert len(inserts) == 1
    sent = inserts[0]["documents"][0]
    assert sent["name"] == "Ada"
    assert "age" not in sent  # None is never sent
    assert sent["_id"] == person._id is not None
    assert wire.writes() == ["insert"]


async def test_changed_field_is_set_alone(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    person.age = 37
    await person.save()
    statement = only_update(wire)
    assert statement["q"] == {"_id": person._id}
    assert statement["u"] == {"$set": {"age": 37}}
    # a second change after the first save sends only the second change
    wire.clear()
    person.name = "Ada L."
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"name": "Ada L."}}
    raw = await raw_person(person)
    assert (raw["name"], raw["age"]) == ("Ada L.", 37)


async def test_field_set_to_none_is_unset(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    person.age = None
    person.address = None
    await person.save()
    assert only_update(wire)["u"] == {"$unset": {"age": "", "address": ""}}
    raw = await raw_person(person)
    assert "age" not in raw and "address" not in raw


async def test_in_place_list_append_is_sent_as_a_push(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    person.tags.append("poetry")
    await person.save()
    assert only_update(wire)["u"] == {"$push": {"tags": {"$each": ["poetry"]}}}
    assert (await raw_person(person))["tags"] == ["math", "poetry"]


async def test_embedded_attribute_change_is_a_dotted_set(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    person.address.street = "Second"
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"address.street": "Second"}}
    assert (await raw_person(person))["address"] == {"street": "Second", "city": "London"}
    # and again, after the first save
    wire.clear()
    person.address.city = None
    await person.save()
    assert only_update(wire)["u"] == {"$unset": {"address.city": ""}}
    assert (await raw_person(person))["address"] == {"street": "Second"}


async def test_new_embedded_document_replaces_the_sub_document(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    person.address = Address(city="Paris")
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"address": {"city": "Paris"}}}
    # then the new embedded document is tracked like a loaded one
    wire.clear()
    person.address.street = "Rivoli"
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"address.street": "Rivoli"}}


async def test_changed_item_of_a_list_of_embedded_documents_is_sent(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    person.comments[1].votes = 4
    await person.save()
    update = only_update(wire)["u"]
    assert update == {
        "$set": {"comments": [{"text": "first", "votes": 0}, {"text": "second", "votes": 4}]}
    }
    assert (await raw_person(person))["comments"][1]["votes"] == 4


async def test_nothing_changed_means_nothing_sent(wire: CommandRecorder) -> None:
    person = await saved_person()
    # read every field, including embedded ones, then save
    assert person.name and person.age and person.tags and person.address and person.comments
    assert person.address.street and person.comments[0].text
    wire.clear()
    await person.save()
    await person.save()
    assert wire.commands == []
    # same for a document just inserted
    fresh = await Person.objects.create(name="Grace", tags=["navy"])
    wire.clear()
    await fresh.save()
    assert wire.commands == []
    # assigning the same value is no change either
    person.age = 36
    person.tags = ["math"]
    await person.save()
    assert wire.commands == []


async def test_projection_only_leaves_unloaded_fields_untouched(wire: CommandRecorder) -> None:
    person = await saved_person()
    partial = await Person.objects.only("name").get(person._id)
    assert partial is not None
    partial.name = "Renamed"
    wire.clear()
    await partial.save()
    assert only_update(wire)["u"] == {"$set": {"name": "Renamed"}}
    raw = await raw_person(person)
    assert raw["name"] == "Renamed"
    assert raw["age"] == 36 and raw["tags"] == ["math"]
    assert raw["address"] == {"street": "Main", "city": "London"}
    assert len(raw["comments"]) == 2


async def test_projection_exclude_leaves_excluded_fields_untouched(wire: CommandRecorder) -> None:
    person = await saved_person()
    partial = await Person.objects.exclude("comments", "address").get(person._id)
    assert partial is not None
    partial.age = 40
    wire.clear()
    await partial.save()
    assert only_update(wire)["u"] == {"$set": {"age": 40}}
    raw = await raw_person(person)
    assert raw["age"] == 40 and len(raw["comments"]) == 2 and raw["address"]["city"] == "London"


async def test_unknown_stored_keys_survive_load_and_save(wire: CommandRecorder) -> None:
    collection = get_connection().collection("people")
    inserted = await collection.insert_one(
        {"name": "Old", "legacy": {"nested": [1, 2]}, "_private": "x", "age": 5}
    )
    person = await Person.objects.get(inserted.inserted_id)
    assert person is not None
    person.age = 6
    wire.clear()
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"age": 6}}
    raw = await collection.find_one({"_id": inserted.inserted_id})
    assert raw is not None
    assert raw["legacy"] == {"nested": [1, 2]} and raw["_private"] == "x"
    # unknown keys are readable as dynamic attributes; changing one in place is saved
    assert person.legacy == {"nested": [1, 2]}
    person.legacy["nested"].append(3)
    wire.clear()
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"legacy": {"nested": [1, 2, 3]}}}
    raw = await collection.find_one({"_id": inserted.inserted_id})
    assert raw is not None and raw["legacy"] == {"nested": [1, 2, 3]}


async def test_stored_null_is_not_unset_by_an_unrelated_save(wire: CommandRecorder) -> None:
    collection = get_connection().collection("people")
    inserted = await collection.insert_one({"name": "Null", "age": None})
    person = await Person.objects.get(inserted.inserted_id)
    assert person is not None
    assert person.age is None
    person.name = "Still null"
    wire.clear()
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"name": "Still null"}}
    raw = await collection.find_one({"_id": inserted.inserted_id})
    assert raw is not None and "age" in raw and raw["age"] is None


async def test_dynamic_attribute_is_set_under_its_own_name(wire: CommandRecorder) -> None:
    person = await saved_person()
    person.nickname = "Countess"
    wire.clear()
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"nickname": "Countess"}}
    raw = await raw_person(person)
    assert raw["nickname"] == "Countess"
    assert "_nickname" not in raw


async def test_del_removes_an_unknown_key_or_clears_a_field_with_unset(
    wire: CommandRecorder,
) -> None:
    collection = get_connection().collection("people")
    inserted = await collection.insert_one({"name": "Old", "legacy": 1, "other": 2, "age": 5})
    person = await Person.objects.get(inserted.inserted_id)
    assert person is not None
    del person.legacy  # never read: removed all the same
    del person.age
    with pytest.raises(AttributeError):
        person.legacy  # noqa: B018 - reading a removed key
    with pytest.raises(AttributeError, match="missing"):
        del person.missing
    assert "legacy" not in person.to_son() and person.age is None
    wire.clear()
    await person.save()
    assert only_update(wire)["u"] == {"$unset": {"legacy": "", "age": ""}}
    raw = await collection.find_one({"_id": inserted.inserted_id})
    assert raw == {"_id": inserted.inserted_id, "name": "Old", "other": 2}
    # Removed, then assigned again: a plain $set, no conflicting $unset.
    person.legacy = 3
    del person.other
    person.other = 4
    wire.clear()
    await person.save()
    assert only_update(wire)["u"] == {"$set": {"legacy": 3, "other": 4}}


async def test_two_clients_updating_different_fields_both_survive(
    wire: CommandRecorder, mongodb_uri: str
) -> None:
    person = await saved_person()
    database = get_connection().name
    connect(database, alias="second", host=mongodb_uri, serverSelectionTimeoutMS=10_000)
    assert get_connection("second").client is not get_connection().client

    mine = await Person.objects.get(person._id)
    theirs = await Person.objects.using("second").get(person._id)
    assert mine is not None and theirs is not None
    mine.age = 50
    theirs.tags.append("chess")
    theirs.address.city = "Cambridge"
    await theirs.save()
    await mine.save()
    raw = await raw_person(person)
    assert raw["age"] == 50
    assert raw["tags"] == ["math", "chess"]
    assert raw["address"] == {"street": "Main", "city": "Cambridge"}


async def test_saving_a_document_deleted_meanwhile_does_not_resurrect_it(
    wire: CommandRecorder,
) -> None:
    person = await saved_person()
    await get_connection().collection("people").delete_one({"_id": person._id})
    person.age = 99
    with pytest.raises(DocumentDeletedError) as raised:
        await person.save()
    assert "Person" in str(raised.value) and str(person._id) in str(raised.value)
    assert await get_connection().collection("people").count_documents({}) == 0
    with pytest.raises(DocumentDeletedError):
        await person.reload()


async def test_delete_returns_count(wire: CommandRecorder) -> None:
    person = await saved_person()
    wire.clear()
    assert await person.delete() == 1
    assert wire.named("delete")[0]["deletes"][0]["q"] == {"_id": person._id}
    assert await person.delete() == 0
    assert await Person(name="never saved").delete() == 0
    assert await get_connection().collection("people").count_documents({}) == 0


async def test_reload_refreshes_from_the_database(wire: CommandRecorder) -> None:
    person = await saved_person()
    await (
        get_connection()
        .collection("people")
        .update_one({"_id": person._id}, {"$set": {"age": 40, "extra": 1}, "$unset": {"tags": ""}})
    )
    person.name = "unsaved change"
    person.scratch = "dynamic"
    assert await person.reload() is person
    assert person.name == "Ada"
    assert person.age == 40
    assert person.extra == 1
    assert person.tags == []  # missing now: the field's default
    assert not hasattr(person, "scratch")
    wire.clear()
    await person.save()
    assert wire.writes() == []


async def test_validation_failure_writes_nothing(wire: CommandRecorder) -> None:
    person = await saved_person()
    person.age = 10
    person.comments.append(Comment(votes=1))  # no text: invalid
    wire.clear()
    with pytest.raises(InvalidDocumentError) as raised:
        await person.save()
    assert raised.value.model == "Person" and raised.value.field == "comments"
    assert wire.writes() == []
    raw = await raw_person(person)
    assert raw["age"] == 36 and len(raw["comments"]) == 2

    missing = Person(age=3)
    with pytest.raises(InvalidDocumentError) as raised:
        await missing.save()
    assert raised.value.field == "name"
    assert wire.writes() == []
    assert missing._id is None
    assert await get_connection().collection("people").count_documents({}) == 1


async def test_the_first_save_creates_the_declared_indexes_once(wire: CommandRecorder) -> None:
    person = Person(name="Unique", email="u@example.org")
    wire.clear()
    await person.save()
    person.email = "v@example.org"
    await person.save()
    await Person.objects.create(name="Other", email="w@example.org")
    assert wire.writes() == ["createIndexes", "insert", "update", "insert"]
    assert wire.named("createIndexes")[0]["indexes"] == [
        {"key": {"email": 1}, "name": "email_1", "unique": True, "sparse": True}
    ]


async def test_auto_now_on_update_with_a_projection(wire: CommandRecorder) -> None:
    class Stamped(Document):
        title = StringField()
        body = StringField()
        updated = DateTimeField(auto_now_on_update=True)
        created = DateTimeField(auto_now_on_insert=True)

    stamped = await Stamped.objects.create(title="a", body="b")
    partial = await Stamped.objects.only("title").get(stamped._id)
    assert partial is not None
    partial.title = "c"
    wire.clear()
    await partial.save()
    update = only_update(wire)["u"]
    assert set(update) == {"$set"}
    assert set(update["$set"]) == {"title", "updated"}
    assert isinstance(update["$set"]["updated"], datetime.datetime)
    raw = await get_connection().collection("Stamped").find_one({"_id": stamped._id})
    assert raw is not None and raw["body"] == "b" and raw["created"] is not None


async def test_dict_appended_to_a_list_of_embedded_documents(wire: CommandRecorder) -> None:
    person = await saved_person()
    person.comments.append({"text": "third"})
    wire.clear()
    await person.save()
    assert isinstance(person.comments[2], Comment)
    assert only_update(wire)["u"]["$push"]["comments"] == {"$each": [{"text": "third", "votes": 0}]}
    person.comments.append(5)
    wire.clear()
    with pytest.raises(InvalidDocumentError) as raised:
        await person.save()
    assert raised.value.field == "comments" and "5" in str(raised.value)
    assert wire.writes() == []
