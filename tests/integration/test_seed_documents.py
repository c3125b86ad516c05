"""The seed documentation's examples, run as tests ("Defining Documents", "Example",
"Getting Started", "Modeling", "Bulk inserting", raw queries on embedded documents).

The code is the seed's; ``io_loop.run_until_complete(x())`` becomes ``await x()``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pymongo
import pytest

from aiomotorengine import (
    Database,
    Document,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
    connect,
    get_connection,
)
from aiomotorengine.connection import disconnect_all


async def test_defining_documents(db: Database) -> None:
    from aiomotorengine import Document, StringField

    class User(Document):
        __collection__ = "users"  # optional. if no collection is specified, class name is used.

        first_name = StringField(required=True)
        last_name = StringField(required=True)

        @property
        def full_name(self):
            return "%s, %s" % (self.last_name, self.first_name)  # noqa: UP031

    user = await User(first_name="Bernardo", last_name="Heynemann").save()
    assert user.full_name == "Heynemann, Bernardo"
    loaded = await User.objects.get(user._id)
    assert loaded is not None and loaded.full_name == "Heynemann, Bernardo"
    assert await db.collection("users").count_documents({}) == 1


@pytest.fixture
async def example_database(mongodb_uri: str) -> AsyncIterator[str]:
    """A database name for the "Example" chapter, which calls connect() itself."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    try:
        yield name
    finally:
        await get_connection().client.drop_database(name)
        await disconnect_all()


async def test_example_chapter(
    example_database: str, mongodb_uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    class User(Document):
        __collection__ = "users"

        name = StringField(required=True, unique=True)
        age = IntField()

        def __repr__(self):
            return "<User: {0}({1})>".format(self.name, self.age)  # noqa: UP030, UP032

    async def create():
        user = await User.objects.create(name="Python", age=13)
        print(user)
        user2 = User(name="Linux", age=20)
        await user2.save()
        print("_id of user2 is {0}".format(user2._id))  # noqa: UP030, UP032

    async def query():
        cursor = User.objects.filter(age__gt=10)
        cursor.order_by(User.name, pymongo.DESCENDING)
        cursor.limit(2)
        users = await cursor.find_all()
        print(users)

    loop = asyncio.get_event_loop()
    # the seed: connect('xxx', io_loop=loop); here on the test server, io_loop still accepted
    with pytest.warns(DeprecationWarning, match="io_loop"):
        connect(example_database, host=mongodb_uri, io_loop=loop)
    await create()
    await query()

    lines = capsys.readouterr().out.splitlines()
    user2 = await User.objects.get(name="Linux")
    assert user2 is not None
    assert lines == [
        "<User: Python(13)>",
        f"_id of user2 is {user2._id}",
        "[<User: Python(13)>, <User: Linux(20)>]",
    ]
    # and io_loop is optional
    assert connect(example_database, host=mongodb_uri) is get_connection()


def _modeling_a_document() -> tuple[type[Document], type[Document]]:
    # "Modeling a Document", as in the seed
    class User(Document):
        first_name = StringField(required=True)
        last_name = StringField(required=True)

    class Employee(User):
        employee_id = IntField(required=True)

    return User, Employee


async def test_getting_started_create_employee(db: Database) -> None:
    _user, Employee = _modeling_a_document()

    async def create_employee():
        emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1532)
        emp = await emp.save()
        assert emp is not None
        assert emp.employee_id == 1532

    await create_employee()
    raw = await db.collection("Employee").find_one({})
    assert raw is not None
    assert (raw["first_name"], raw["last_name"], raw["employee_id"]) == (
        "Bernardo",
        "Heynemann",
        1532,
    )
    assert await db.collection("User").count_documents({}) == 0


async def test_getting_started_update_employee(db: Database) -> None:
    _user, Employee = _modeling_a_document()

    async def update_employee():
        emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1532)
        await emp.save()
        emp.employee_id = 1534
        await emp.save()
        assert emp.employee_id == 1534

    await update_employee()
    raws = await db.collection("Employee").find({}).to_list(None)
    assert [raw["employee_id"] for raw in raws] == [1534]


async def test_getting_started_load_employee(db: Database) -> None:
    _user, Employee = _modeling_a_document()

    async def load_employee():
        emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1538)
        await emp.save()
        emp2 = await Employee.objects.get(emp._id)
        assert emp2 is not None
        assert emp2.employee_id == 1538

    await load_employee()


async def test_getting_started_querying_collections(db: Database) -> None:
    _user, Employee = _modeling_a_document()

    async def create_employee():
        emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1538)
        await emp.save()
        # return the first 10 employees ordered by last_name that joined after 2010
        employees = await Employee.objects \
            .limit(10) \
            .order_by("last_name") \
            .filter(last_name="Heynemann") \
            .find_all()  # fmt: skip

        assert len(employees) > 0
        assert employees[0].last_name == "Heynemann"

    await create_employee()


async def test_getting_started_counting(db: Database) -> None:
    _user, Employee = _modeling_a_document()

    async def count_employees():
        number_of_employees = await Employee.objects.count()
        assert number_of_employees == 0

    await count_employees()


async def test_modeling_article_crud(db: Database) -> None:
    from uuid import uuid4

    from aiomotorengine.document import Document
    from aiomotorengine.fields import DateTimeField, StringField

    class Article(Document):
        title = StringField(required=True)
        description = StringField(required=True)
        published_date = DateTimeField(auto_now_on_insert=True)

    new_title = "Better Title %s" % uuid4()  # noqa: UP031

    async def crud_article():
        article = await Article.objects.create(
            title="Some Article", description="This is an article that really matters."
        )

        article.title = new_title
        await article.save()

        articles = await Article.objects.filter(title=new_title).find_all()

        assert len(articles) == 1
        assert articles[0].title == new_title

        number_of_deleted_items = await articles[0].delete()

        assert number_of_deleted_items == 1

    await crud_article()
    assert await db.collection("Article").count_documents({}) == 0


async def test_modeling_article_published_date_is_set_on_insert(db: Database) -> None:
    from aiomotorengine.document import Document
    from aiomotorengine.fields import DateTimeField, StringField

    class Article(Document):
        title = StringField(required=True)
        description = StringField(required=True)
        published_date = DateTimeField(auto_now_on_insert=True)

    article = await Article.objects.create(title="t", description="d")
    raw = await db.collection("Article").find_one({"_id": article._id})
    assert raw is not None and raw["published_date"] is not None


async def test_bulk_inserting(db: Database) -> None:
    class User(Document):
        name = StringField()

    async def create_users():
        users = [User(name="Bernardo"), User(name="Heynemann")]
        users = await User.objects.bulk_insert(users)
        assert len(users) == 2
        assert users[0]._id
        assert users[1]._id

    await create_users()
    names = sorted(raw["name"] for raw in await db.collection("User").find({}).to_list(None))
    assert names == ["Bernardo", "Heynemann"]


async def test_raw_query_on_a_list_of_embedded_plain_documents(db: Database) -> None:
    class Address(Document):
        __collection__ = "QueryingWithRawQueryAddress"
        street = StringField()

    class User(Document):
        __collection__ = "QueryingWithRawQueryUser"
        addresses = ListField(EmbeddedDocumentField(Address))
        name = StringField()

    async def query_user():
        user = User(name="Bernardo", addresses=[Address(street="Infinite Loop")])
        await user.save()
        users = await User.objects.filter({"addresses": {"street": "Infinite Loop"}}).find_all()
        assert users[0].name == "Bernardo", users
        assert users[0].addresses[0].street == "Infinite Loop", users

    await query_user()
    raw: dict[str, Any] | None = await db.collection("QueryingWithRawQueryUser").find_one({})
    assert raw is not None and raw["addresses"] == [{"street": "Infinite Loop"}]
