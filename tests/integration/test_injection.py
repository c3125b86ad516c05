"""User input shaped like operators is rejected, never sent: reads, writes and deletes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiomotorengine import (
    Database,
    Document,
    IntField,
    InvalidDocumentError,
    InvalidQueryError,
    ListField,
    Q,
    StringField,
)


class Account(Document):
    __collection__ = "accounts"

    login = StringField(required=True)
    token = StringField()
    age = IntField()
    roles = ListField(StringField())


@pytest.fixture
async def accounts(db: Database) -> None:
    await Account.objects.bulk_insert(
        [
            Account(login="root", token="s3cret", age=40, roles=["admin"]),
            Account(login="ann", token="t0ken", age=30, roles=["user"]),
        ]
    )


INJECTIONS: list[dict[str, Any]] = [
    {"login": {"$ne": None}},
    {"login": {"$gt": ""}},
    {"login": {"$regex": ".*"}},
    {"token": {"$exists": True}},
    {"login": ["root", "ann"]},
    {"age": {"$gte": 0}},
    {"roles": {"$ne": "nobody"}},
    {"id": {"$ne": None}},
    {"login__ne": {"$gt": ""}},
    {"login__in": [{"$ne": None}]},
    {"login__contains": {"$ne": None}},
    {"login__exists": "false"},
    {"$where": "true"},
    {"login__$ne": "x"},
]


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize("keywords", INJECTIONS)
async def test_injected_filters_raise_instead_of_matching(keywords: dict[str, Any]) -> None:
    [(key, _)] = keywords.items()
    attempts: list[Callable[[], Awaitable[Any]]] = [
        lambda: Account.objects.filter(**keywords).find_all(),
        lambda: Account.objects.get(**keywords),
        lambda: Account.objects.filter(Q(**keywords)).count(),
        lambda: Account.objects.filter_not(**keywords).exists(),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidQueryError, match="Account") as raised:
            await attempt()
        assert isinstance(raised.value, ValueError)
        assert key.split("__")[0] in str(raised.value)


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize("keywords", INJECTIONS)
async def test_injected_filters_delete_and_update_nothing(
    db: Database, keywords: dict[str, Any]
) -> None:
    with pytest.raises(InvalidQueryError):
        await Account.objects.filter(**keywords).delete()
    with pytest.raises(InvalidQueryError):
        await Account.objects.filter(**keywords).update(set__token="pwned")
    raw = [doc async for doc in db.collection("accounts").find({}, {"_id": 0, "token": 1})]
    assert sorted(doc["token"] for doc in raw) == ["s3cret", "t0ken"]


@pytest.mark.usefixtures("accounts")
async def test_login_lookup_with_hostile_input(db: Database) -> None:
    async def lookup(login: Any, token: Any) -> Account | None:
        return await Account.objects.get(login=login, token=token)

    assert await lookup("ann", "t0ken") is not None
    assert await lookup("ann", "wrong") is None
    with pytest.raises(InvalidQueryError, match=r"Account.token"):
        await lookup("root", {"$ne": "x"})
    with pytest.raises(InvalidQueryError, match=r"Account.login"):
        await lookup({"$gt": ""}, {"$gt": ""})


@pytest.mark.usefixtures("accounts")
async def test_string_operators_treat_text_literally() -> None:
    assert await Account.objects.filter(login__contains=".*").count() == 0
    assert await Account.objects.filter(login__iexact="R..T").count() == 0
    assert await Account.objects.filter(login__iexact="ROOT").count() == 1
    assert await Account.objects.filter(login__startswith="^").count() == 0


@pytest.mark.usefixtures("accounts")
async def test_injected_update_values_rejected(db: Database) -> None:
    with pytest.raises(InvalidDocumentError, match=r"Account.token"):
        await Account.objects.update({"token": {"$concat": ["a", "b"]}})
    with pytest.raises(InvalidDocumentError, match=r"Account.login"):
        await Account.objects.update(set__login={"$ne": None})
    with pytest.raises(InvalidDocumentError, match=r"Account.roles"):
        await Account.objects.update(push__roles={"$each": ["admin"]})
    with pytest.raises(InvalidQueryError, match=r"'\$set'"):
        await Account.objects.update({"$set": {"token": "x"}})
    with pytest.raises(InvalidQueryError, match=r"'\$where'"):
        await Account.objects.update(None, None, **{"set__$where": "x"})
    with pytest.raises(InvalidQueryError, match=r"'\$inc'"):
        await Account.objects.update({"age": 1, "$inc": {"age": 1}})
    raw = await db.collection("accounts").find_one({"login": "ann"})
    assert raw is not None and raw["token"] == "t0ken" and raw["roles"] == ["user"]


@pytest.mark.usefixtures("accounts")
async def test_injected_create_values_rejected(db: Database) -> None:
    with pytest.raises(InvalidDocumentError, match=r"Account.login"):
        await Account.objects.create(login={"$gt": ""})
    assert await Account.objects.count() == 2


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize("name", ["$natural", "-$natural", "login.$", "$where", "token__$x"])
async def test_sort_and_projection_names_are_checked(name: str) -> None:
    with pytest.raises(InvalidQueryError, match="Account"):
        await Account.objects.order_by(name).find_all()
    with pytest.raises(InvalidQueryError, match="Account"):
        await Account.objects.only(name).find_all()
    with pytest.raises(InvalidQueryError, match="Account"):
        await Account.objects.exclude(name).find_all()
