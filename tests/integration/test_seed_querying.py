"""The seed documentation's querying examples, run as written (class names made unique)."""

from __future__ import annotations

from datetime import datetime

import pymongo

from aiomotorengine import (
    BooleanField,
    Database,
    DateTimeField,
    Document,
    EmbeddedDocumentField,
    IntField,
    ListField,
    Q,
    StringField,
)

# --- "Example": create() and query() ----------------------------------------------------------


class SeedUser(Document):
    __collection__ = "users"

    name = StringField(required=True, unique=True)
    age = IntField()

    def __repr__(self) -> str:
        return f"<User: {self.name}({self.age})>"


async def test_seed_example_create_and_query(db: Database) -> None:
    user = await SeedUser.objects.create(name="Python", age=13)
    assert repr(user) == "<User: Python(13)>"
    user2 = SeedUser(name="Linux", age=20)
    await user2.save()
    assert user2._id is not None
    await SeedUser.objects.create(name="Ada", age=36)
    await SeedUser.objects.create(name="Young", age=9)

    cursor = SeedUser.objects.filter(age__gt=10)
    cursor.order_by(SeedUser.name, pymongo.DESCENDING)
    cursor.limit(2)
    users = await cursor.find_all()
    assert [repr(u) for u in users] == ["<User: Python(13)>", "<User: Linux(20)>"]


# --- "Getting Started": Employee -------------------------------------------------------------


class StaffUser(Document):
    first_name = StringField(required=True)
    last_name = StringField(required=True)


class Employee(StaffUser):
    employee_id = IntField(required=True)


async def test_seed_create_employee(db: Database) -> None:
    emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1532)
    emp = await emp.save()
    assert emp is not None
    assert emp.employee_id == 1532


async def test_seed_update_employee(db: Database) -> None:
    emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1532)
    await emp.save()
    emp.employee_id = 1534
    await emp.save()
    assert emp.employee_id == 1534
    reloaded = await Employee.objects.get(emp._id)
    assert reloaded is not None and reloaded.employee_id == 1534


async def test_seed_load_employee(db: Database) -> None:
    emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1538)
    await emp.save()
    emp2 = await Employee.objects.get(emp._id)
    assert emp2 is not None
    assert emp2.employee_id == 1538
    emp3 = await Employee.objects.get(str(emp._id))  # "takes a string as well"
    assert emp3 is not None and emp3.employee_id == 1538


async def test_seed_querying_collections(db: Database) -> None:
    emp = Employee(first_name="Bernardo", last_name="Heynemann", employee_id=1538)
    await emp.save()
    for index, last_name in enumerate(["Zed", "Heynemann", "Abbot"]):
        await Employee(first_name=f"n{index}", last_name=last_name, employee_id=index).save()
    # return the first 10 employees ordered by last_name
    employees = (
        await Employee.objects.limit(10)
        .order_by("last_name")
        .filter(last_name="Heynemann")
        .find_all()
    )

    assert len(employees) > 0
    assert employees[0].last_name == "Heynemann"
    assert len(employees) == 2 and {e.employee_id for e in employees} == {1538, 1}


async def test_seed_count_employees(db: Database) -> None:
    number_of_employees = await Employee.objects.count()
    assert number_of_employees == 0
    await Employee(first_name="a", last_name="b", employee_id=1).save()
    assert await Employee.objects.count() == 1


# --- "Bulk inserting instances" ----------------------------------------------------------------


class BulkUser(Document):
    name = StringField()


async def test_seed_bulk_insert(db: Database) -> None:
    users = [BulkUser(name="Bernardo"), BulkUser(name="Heynemann")]
    users = await BulkUser.objects.bulk_insert(users)
    assert len(users) == 2
    assert users[0]._id
    assert users[1]._id
    assert await BulkUser.objects.count() == 2


# --- "Querying with Q" -----------------------------------------------------------------------


class ActiveUser(Document):
    name = StringField()
    is_active = BooleanField()
    last_update = DateTimeField()


async def test_seed_querying_with_q(db: Database) -> None:
    query = Q(last_update__is_null=True) | (
        Q(is_active=True) & Q(last_update__lt=datetime(2010, 1, 1, 0, 0, 0))
    )

    query_result = query.to_query(ActiveUser)

    assert query_result == {
        "$or": [
            {"last_update": None},
            {"is_active": True, "last_update": {"$lt": datetime(2010, 1, 1, 0, 0, 0)}},
        ]
    }
    assert "$or" in query_result
    or_query = query_result["$or"]
    assert len(or_query) == 2
    assert "last_update" in or_query[0]
    assert "is_active" in or_query[1]
    assert "last_update" in or_query[1]

    await ActiveUser.objects.bulk_insert(
        [
            ActiveUser(name="never"),
            ActiveUser(name="old-active", is_active=True, last_update=datetime(2009, 1, 1)),
            ActiveUser(name="old-inactive", is_active=False, last_update=datetime(2009, 1, 1)),
            ActiveUser(name="new-active", is_active=True, last_update=datetime(2011, 1, 1)),
        ]
    )
    found = await ActiveUser.objects.filter(query).find_all()
    assert sorted(u.name or "" for u in found) == ["never", "old-active"]


# --- "Query Operators": each example's printed query, and what it finds -----------------------


class OperatorUser(Document):
    name = StringField()
    age = IntField()
    email = StringField()


async def operator_users() -> None:
    await OperatorUser.objects.bulk_insert(
        [
            OperatorUser(name="Bernardo", age=20, email="heynemann@gmail.com"),
            OperatorUser(name="Rafael", age=21, email="rafael@x.org"),
            OperatorUser(age=25),
        ]
    )


async def found(query: Q) -> list[int]:
    return sorted(u.age or 0 for u in await OperatorUser.objects.filter(query).find_all())


async def test_seed_exists_operator(db: Database) -> None:
    query = Q(name__exists=True)
    assert query.to_query(OperatorUser) == {"name": {"$exists": True}}
    await operator_users()
    assert await found(query) == [20, 21]


async def test_seed_comparison_operators(db: Database) -> None:
    await operator_users()
    examples = [
        (Q(age__gt=20), {"age": {"$gt": 20}}, [21, 25]),
        (Q(age__gte=21), {"age": {"$gte": 21}}, [21, 25]),
        (Q(age__lt=20), {"age": {"$lt": 20}}, []),
        (Q(age__lte=21), {"age": {"$lte": 21}}, [20, 21]),
        (Q(age__in=[20, 21, 22, 23, 24]), {"age": {"$in": [20, 21, 22, 23, 24]}}, [20, 21]),
    ]
    for query, printed, ages in examples:
        assert query.to_query(OperatorUser) == printed
        assert await found(query) == ages


async def test_seed_is_null_operator(db: Database) -> None:
    query = Q(email__is_null=False)
    query_result = query.to_query(OperatorUser)
    assert query_result == {"email": {"$ne": None, "$exists": True}}
    assert "email" in query_result
    assert "$ne" in query_result["email"]
    assert "$exists" in query_result["email"]
    await operator_users()
    assert await found(query) == [20, 21]
    assert await found(Q(email__is_null=True)) == [25]


async def test_seed_not_equal_operator(db: Database) -> None:
    query = Q(email__ne="heynemann@gmail.com")
    assert query.to_query(OperatorUser) == {"email": {"$ne": "heynemann@gmail.com"}}
    await operator_users()
    assert await found(query) == [21, 25]


# --- "Querying with Raw Queries" ---------------------------------------------------------------


class RawAddress(Document):
    __collection__ = "QueryingWithRawQueryAddress"
    street = StringField()


class RawUser(Document):
    __collection__ = "QueryingWithRawQueryUser"
    addresses = ListField(EmbeddedDocumentField(RawAddress))
    name = StringField()


async def test_seed_raw_query(db: Database) -> None:
    user = RawUser(name="Bernardo", addresses=[RawAddress(street="Infinite Loop")])
    await user.save()
    await RawUser(name="Other", addresses=[RawAddress(street="Elsewhere")]).save()
    users = await RawUser.objects.filter({"addresses": {"street": "Infinite Loop"}}).find_all()
    assert users[0].name == "Bernardo", users
    assert users[0].addresses is not None
    assert users[0].addresses[0].street == "Infinite Loop", users
    assert len(users) == 1
    # the same through Q, and with the dotted form
    assert (
        len(await RawUser.objects.filter(Q({"addresses.street": "Infinite Loop"})).find_all()) == 1
    )
    by_keyword = await RawUser.objects.filter(addresses__street="Infinite Loop").find_all()
    assert [u.name for u in by_keyword] == ["Bernardo"]
