"""Documents without I/O: declaration (field order, collection names, inheritance, redefined
fields, clashing ``db_field`` names), ``validate()`` and embedded documents (no server needed)."""

from __future__ import annotations

import pytest

from aiomotorengine import (
    Document,
    EmbeddedDocument,
    IntField,
    InvalidDocumentError,
    ListField,
    StringField,
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


class Employee(User):
    employee_id = IntField(required=True)


def test_fields_are_collected_in_declaration_order() -> None:
    class Ordered(Document):
        zeta = StringField()
        alpha = IntField()
        mid = ListField(StringField())

    assert list(Ordered._fields) == ["_id", "zeta", "alpha", "mid"]
    assert [f.name for f in Ordered._fields.values()] == ["_id", "zeta", "alpha", "mid"]


def test_collection_defaults_to_the_class_name() -> None:
    class Article(Document):
        title = StringField()

    assert Article.__collection__ == "Article"
    assert User.__collection__ == "users"
    assert not hasattr(EmbeddedDocument, "__collection__")


def test_inheritance_merges_fields_and_gets_its_own_collection() -> None:
    assert list(Employee._fields) == ["_id", "first_name", "last_name", "age", "employee_id"]
    assert "employee_id" not in User._fields
    assert Employee.__collection__ == "Employee"

    class Manager(Employee):
        __collection__ = "managers"
        reports = IntField()

    assert Manager.__collection__ == "managers"
    assert list(Manager._fields)[-1] == "reports"
    assert Manager(first_name="a").full_name == "None, a"


def test_subclass_may_redefine_a_field() -> None:
    class Strict(User):
        age = IntField(min_value=18)

    assert list(Strict._fields).count("age") == 1
    with pytest.raises(InvalidDocumentError):
        Strict(age=10)
    assert User(age=10).age == 10


def test_duplicate_db_field_in_one_class_is_an_error_naming_both() -> None:
    with pytest.raises(InvalidDocumentError) as raised:

        class Clash(Document):
            name = StringField(db_field="n")
            nick = StringField(db_field="n")

    message = str(raised.value)
    assert "Clash" in message and "'name'" in message and "'nick'" in message
    assert "'n'" in message
    assert (raised.value.model, raised.value.field, raised.value.value) == ("Clash", "nick", "n")


def test_duplicate_db_field_across_the_hierarchy_is_an_error_naming_both() -> None:
    with pytest.raises(InvalidDocumentError) as raised:

        class Contractor(User):
            surname = StringField(db_field="last_name")

    message = str(raised.value)
    assert "'last_name'" in message and "'surname'" in message


def test_validate_names_model_field_and_value() -> None:
    user = User(first_name="Ada")
    with pytest.raises(InvalidDocumentError) as raised:
        user.validate()
    assert (raised.value.model, raised.value.field) == ("User", "last_name")
    assert "User.last_name" in str(raised.value)
    user.last_name = "Lovelace"
    assert user.validate() is True


def test_embedded_document_has_no_id_and_no_collection() -> None:
    class Point(EmbeddedDocument):
        x = IntField()

    assert "_id" not in Point._fields
    assert not hasattr(Point, "__collection__") and not hasattr(Point, "objects")
    assert Point(x=1).to_son() == {"x": 1}
    assert Point(x=1) == Point(x=1) and Point(x=1) != Point(x=2)
    assert "x" in repr(Point(x=1))


@pytest.mark.parametrize(
    ("declaration", "shown"),
    [
        ("ListField('x')", "'x'"),
        ("ListField(StringField)", "ListField(StringField())"),
        ("ListField(ListField(ReferenceField(3)))", "3"),
        ("EmbeddedDocumentField(10)", "10"),
        ("ReferenceField(10)", "10"),
        ("ReferenceField(Plain)", "Plain"),
    ],
)
def test_field_declarations_are_checked_when_the_class_is_created(
    declaration: str, shown: str
) -> None:
    namespace: dict[str, object] = {}
    exec(
        "from aiomotorengine import *\nclass Plain(EmbeddedDocument):\n    pass\n",
        namespace,
    )
    with pytest.raises(InvalidDocumentError) as raised:
        exec(f"class Declared(Document):\n    broken = {declaration}\n", namespace)
    error = raised.value
    assert (error.model, error.field) == ("Declared", "broken")
    assert str(error).startswith("Declared.broken: ") and shown in str(error)


def test_a_document_field_named_id_is_refused_but_an_embedded_one_is_a_field() -> None:
    with pytest.raises(InvalidDocumentError) as raised:

        class External(Document):
            id = StringField()  # type: ignore[assignment]
            name = StringField()

    error = raised.value
    assert (error.model, error.field) == ("External", "id")
    assert str(error).startswith("External.id: ") and "identity (_id)" in str(error)

    class Item(EmbeddedDocument):
        id = StringField()

    item = Item.from_dict({"id": "ext-1"})
    assert item.id == "ext-1" and item.to_dict() == {"id": "ext-1"}
    assert list(Item.json_schema()["properties"]) == ["id"]
