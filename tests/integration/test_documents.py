"""Documents against a server: identity, ``db_field`` storage, SON, equality, repr, dynamic
attributes, connection aliases, plain documents embedded, projections, lazy hydration.
Declaration and validation without I/O are in ``tests/base/test_document_declaration.py``."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from aiomotorengine import (
    BaseField,
    Database,
    Document,
    EmbeddedDocumentField,
    FieldNotLoadedError,
    IntField,
    StringField,
    connect,
    get_connection,
)


class User(Document):
    __collection__ = "users"
    first_name = StringField(required=True)
    last_name = StringField(required=True)
    age = IntField()

    @property
    def full_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def greeting(self, word: str = "Hello") -> str:
        return f"{word} {self.first_name}"


async def test_id_is_none_until_inserted_then_an_object_id(db: Database) -> None:
    user = User(first_name="Ada", last_name="Lovelace")
    assert user._id is None and user.id is None
    await user.save()
    assert isinstance(user._id, ObjectId)
    assert user.id == user._id
    loaded = await User.objects.get(str(user._id))
    assert loaded is not None and loaded.id == user._id


async def test_db_field_is_the_stored_key(db: Database) -> None:
    class Renamed(Document):
        name = StringField(db_field="n")

    renamed = await Renamed.objects.create(name="x")
    raw = await db.collection("Renamed").find_one({"_id": renamed._id})
    assert raw == {"_id": renamed._id, "n": "x"}
    found = await Renamed.objects.filter(name="x").find_all()
    assert [item.name for item in found] == ["x"]


async def test_db_field_key_is_not_a_dynamic_attribute(db: Database) -> None:
    class Renamed(Document):
        name = StringField(db_field="n")

    renamed = await Renamed.objects.create(name="x")
    loaded = await Renamed.objects.get(renamed._id)
    assert loaded is not None
    with pytest.raises(AttributeError):
        _ = loaded.n
    loaded.name = "y"
    await loaded.save()
    assert loaded.to_son() == {"_id": renamed._id, "n": "y"}
    assert await db.collection("Renamed").find_one({}) == {"_id": renamed._id, "n": "y"}


async def test_to_son_and_from_son(db: Database) -> None:
    user = User(first_name="Ada", last_name="Lovelace", age=None)
    assert user.to_son() == {"first_name": "Ada", "last_name": "Lovelace"}
    await user.save()
    son = {"_id": user._id, "first_name": "Ada", "last_name": "L", "unknown": [1]}
    loaded = User.from_son(son)
    assert loaded._id == user._id and loaded.last_name == "L" and loaded.age is None
    assert loaded.to_son() == son  # unknown keys included, unchanged
    assert loaded.unknown == [1]
    assert loaded == user


async def test_equality_by_class_and_id(db: Database) -> None:
    one = await User.objects.create(first_name="a", last_name="b")
    again = await User.objects.get(one._id)
    assert again == one and hash(again) == hash(one)
    assert len({one, again}) == 1
    other = await User.objects.create(first_name="a", last_name="b")
    assert other != one
    unsaved_one, unsaved_two = User(first_name="a"), User(first_name="a")
    assert unsaved_one != unsaved_two
    assert unsaved_one == unsaved_one

    class Other(Document):
        pass

    stranger = Other.from_son({"_id": one._id})
    assert stranger != one


async def test_repr_default_and_custom(db: Database) -> None:
    class Plain(Document):
        name = StringField()

    plain = Plain(name="x")
    assert repr(plain) == "<Plain _id=None>"
    await plain.save()
    assert repr(plain) == f"<Plain _id={plain._id!r}>"

    class Custom(Document):
        name = StringField()
        age = IntField()

        def __repr__(self) -> str:
            return f"<Custom: {self.name}({self.age})>"

    custom = await Custom.objects.create(name="Python", age=13)
    assert repr(custom) == "<Custom: Python(13)>"
    loaded = await Custom.objects.get(custom._id)
    assert repr(loaded) == "<Custom: Python(13)>"


async def test_properties_and_methods_keep_working(db: Database) -> None:
    user = await User.objects.create(first_name="Ada", last_name="Lovelace")
    loaded = await User.objects.get(user._id)
    assert loaded is not None
    assert loaded.full_name == "Lovelace, Ada"
    assert loaded.greeting("Hi") == "Hi Ada"
    raw = await db.collection("users").find_one({"_id": user._id})
    assert raw is not None and "full_name" not in raw


async def test_unknown_keyword_becomes_a_dynamic_attribute(db: Database) -> None:
    user = User(first_name="Ada", last_name="L", nonexistent=1)
    assert user.nonexistent == 1
    user.hobby = {"kind": "math"}
    await user.save()
    raw = await db.collection("users").find_one({"_id": user._id})
    assert raw is not None
    assert raw["nonexistent"] == 1 and raw["hobby"] == {"kind": "math"}
    assert "_nonexistent" not in raw and "_hobby" not in raw
    loaded = await User.objects.get(user._id)
    assert loaded is not None
    assert loaded.nonexistent == 1 and loaded.hobby == {"kind": "math"}
    with pytest.raises(AttributeError):
        _ = loaded.never_stored


async def test_unknown_stored_keys_are_kept_with_their_own_names(db: Database) -> None:
    inserted = await db.collection("users").insert_one(
        {"first_name": "A", "last_name": "B", "Weird-Key": 1, "_hidden": 2, "nested": {"x": 1}}
    )
    user = await User.objects.get(inserted.inserted_id)
    assert user is not None
    assert getattr(user, "Weird-Key") == 1
    user.first_name = "C"
    await user.save()
    raw = await db.collection("users").find_one({"_id": inserted.inserted_id})
    assert raw == {
        "_id": inserted.inserted_id,
        "first_name": "C",
        "last_name": "B",
        "Weird-Key": 1,
        "_hidden": 2,
        "nested": {"x": 1},
    }


async def test_alias_and_connection_select_the_models_connection(
    db: Database, mongodb_uri: str
) -> None:
    other = connect(f"{db.name}_other", alias="others", host=mongodb_uri)
    try:

        class ViaAlias(Document):
            __alias__ = "others"
            name = StringField()

        class ViaConnection(Document):
            __connection__ = "others"
            name = StringField()

        assert ViaAlias.__alias__ == "others" and ViaConnection.__alias__ == "others"
        assert User.__lazy__ is True
        await ViaAlias.objects.create(name="a")
        await ViaConnection.objects.create(name="b")
        assert await other.collection("ViaAlias").count_documents({}) == 1
        assert await other.collection("ViaConnection").count_documents({}) == 1
        assert await db.collection("ViaAlias").count_documents({}) == 0
    finally:
        await other.client.drop_database(other.name)


async def test_plain_document_loaded_as_embedded(db: Database) -> None:
    class Tag(Document):
        label = StringField()

    class Post(Document):
        tag = EmbeddedDocumentField(Tag)

    post = await Post.objects.create(tag=Tag(label="x"))
    loaded = await Post.objects.get(post._id)
    assert loaded is not None and loaded.tag is not None
    assert loaded.tag.label == "x" and loaded.tag._id is None
    loaded.tag.label = "y"
    await loaded.save()
    raw = await db.collection("Post").find_one({"_id": post._id})
    assert raw is not None and raw["tag"] == {"label": "y"}


async def test_field_not_loaded_by_projection_raises_naming_it(db: Database) -> None:
    user = await User.objects.create(first_name="Ada", last_name="L", age=3)
    partial = await User.objects.only("first_name").get(user._id)
    assert partial is not None
    assert partial.first_name == "Ada"
    with pytest.raises(FieldNotLoadedError, match=r"User\.age"):
        _ = partial.age
    assert partial._id == user._id


class CountingField(BaseField[int]):
    """Counts conversions, to prove hydration converts nothing until a field is read."""

    conversions = 0

    def from_son(self, value: Any) -> Any:
        type(self).conversions += 1
        return value


async def test_hydration_converts_fields_only_when_read(db: Database) -> None:
    class Lazy(Document):
        a = CountingField()
        b = CountingField()

    await get_connection().collection("Lazy").insert_many([{"a": i, "b": i} for i in range(200)])
    CountingField.conversions = 0
    documents = await Lazy.objects.find_all()
    assert len(documents) == 200
    assert CountingField.conversions == 0
    assert documents[5].a == 5
    assert documents[5].a == 5
    assert CountingField.conversions == 1
