"""Choosing the connection: aliases, ``__alias__``/``__connection__``, ``using()``, documents
saving back where they came from, ``switch_connection``/``ContextQuery``, and task isolation.

Each alias points at a database of its own on the session's server, so where a document landed
is checked by reading each database directly.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from aiomotorengine import (
    ContextQuery,
    Database,
    Document,
    StringField,
    connect,
    switch_connection,
)
from aiomotorengine.connection import disconnect_all, resolve_alias
from aiomotorengine.errors import ConnectionError


class User(Document):
    __collection__ = "users"
    first_name = StringField(required=True)
    last_name = StringField(required=True)


class Post(Document):
    __collection__ = "posts"
    title = StringField()


class Archived(Document):
    __collection__ = "archived"
    __alias__ = "archive"
    title = StringField()


class Automobile(Document):
    __collection__ = "automobiles"
    __connection__ = "cluster2"
    manufacturer = StringField()


class Rendezvous:
    """Two tasks wait here until both arrived (``asyncio.Barrier`` needs Python 3.11)."""

    def __init__(self, parties: int) -> None:
        self._parties = parties
        self._arrived = 0
        self._all_here = asyncio.Event()

    async def wait(self) -> None:
        self._arrived += 1
        if self._arrived == self._parties:
            self._all_here.set()
        await self._all_here.wait()


@dataclass
class Databases:
    default: Database
    users: Database
    archive: Database
    cluster2: Database

    async def names_in(self, handle: Database, collection: str, key: str) -> list[str]:
        return sorted([doc[key] async for doc in handle[collection].find({})])


@pytest.fixture
async def databases(mongodb_uri: str) -> AsyncIterator[Databases]:
    suffix = uuid.uuid4().hex[:12]
    handles = Databases(
        default=connect(f"posts_{suffix}", host=mongodb_uri),
        users=connect(f"users_{suffix}", alias="users", host=mongodb_uri),
        archive=connect(f"archive_{suffix}", alias="archive", host=mongodb_uri),
        cluster2=connect(f"cluster2_{suffix}", alias="cluster2", host=mongodb_uri),
    )
    try:
        yield handles
    finally:
        client = handles.default.client
        for handle in (handles.default, handles.users, handles.archive, handles.cluster2):
            await client.drop_database(handle.name)
        await disconnect_all()


async def test_multiple_databases_with_an_alias(databases: Databases) -> None:
    # The seed: posts is the default database, users has the alias "users".
    await User.objects.using("users").create(first_name="Ada", last_name="Lovelace")
    await Post.objects.create(title="hello")
    assert await databases.names_in(databases.users, "users", "first_name") == ["Ada"]
    assert await databases.names_in(databases.default, "users", "first_name") == []
    assert await databases.names_in(databases.default, "posts", "title") == ["hello"]

    users = await User.objects.find_all(alias="users")
    assert [u.first_name for u in users] == ["Ada"]
    assert await User.objects.find_all() == []  # the default (posts) database has none


async def test_model_alias_and_connection_attributes(databases: Databases) -> None:
    await Archived.objects.create(title="old")
    await Automobile.objects.create(manufacturer="honda")
    assert await databases.names_in(databases.archive, "archived", "title") == ["old"]
    assert await databases.names_in(databases.cluster2, "automobiles", "manufacturer") == ["honda"]
    assert await databases.names_in(databases.default, "archived", "title") == []
    assert Automobile.__alias__ == "cluster2"
    assert [a.manufacturer for a in await Automobile.objects.find_all()] == ["honda"]


async def test_queryset_using(databases: Databases) -> None:
    await Post.objects.using("users").create(title="on users")
    await Post.objects.using(connection="archive").create(title="on archive")
    assert await databases.names_in(databases.users, "posts", "title") == ["on users"]
    assert await databases.names_in(databases.archive, "posts", "title") == ["on archive"]
    assert await Post.objects.using(connection="users").count() == 1
    # using() beats the model's own alias.
    await Archived.objects.using("users").create(title="moved")
    assert await databases.names_in(databases.users, "archived", "title") == ["moved"]


async def test_document_using_and_saving_back_where_it_was_loaded(databases: Databases) -> None:
    post = Post(title="draft")
    await post.using("users").save()
    assert await databases.names_in(databases.users, "posts", "title") == ["draft"]

    loaded = await Post.objects.using("users").get(post._id)
    assert loaded is not None
    loaded.title = "edited"
    await loaded.save()  # no alias given: back to "users", where it came from
    assert await databases.names_in(databases.users, "posts", "title") == ["edited"]
    assert await databases.names_in(databases.default, "posts", "title") == []

    await loaded.delete()
    assert await databases.names_in(databases.users, "posts", "title") == []

    # cqlengine's pattern: copy documents to another connection.
    await Post.objects.create(title="copy me")
    for found in await Post.objects.find_all():
        copy = Post(title=found.title)
        await copy.using(connection="archive").save()  # cqlengine's keyword
    assert await databases.names_in(databases.archive, "posts", "title") == ["copy me"]
    with pytest.raises(TypeError, match="alias"):
        Post(title="x").using()


async def test_switch_connection_task_wide(databases: Databases) -> None:
    with switch_connection("users"):
        await Post.objects.create(title="switched")
        assert [p.title for p in await Post.objects.find_all()] == ["switched"]
        # A model with its own alias keeps it under a task-wide switch.
        await Archived.objects.create(title="still archive")
    assert await databases.names_in(databases.users, "posts", "title") == ["switched"]
    assert await databases.names_in(databases.archive, "archived", "title") == ["still archive"]
    assert await Post.objects.find_all() == []  # the switch ended with the block


async def test_switch_connection_per_model_and_context_query(databases: Databases) -> None:
    with switch_connection("users", Archived):
        await Archived.objects.create(title="per model")  # beats __alias__
        await Post.objects.create(title="unaffected")
    assert await databases.names_in(databases.users, "archived", "title") == ["per model"]
    assert await databases.names_in(databases.default, "posts", "title") == ["unaffected"]

    with ContextQuery(Automobile, connection="users") as A:
        assert A is not Automobile and issubclass(A, Automobile)  # a bound copy
        await A.objects.create(manufacturer="tesla")
        assert [a.manufacturer for a in await A.objects.find_all()] == ["tesla"]
    assert await databases.names_in(databases.users, "automobiles", "manufacturer") == ["tesla"]
    assert await databases.names_in(databases.cluster2, "automobiles", "manufacturer") == []

    with ContextQuery(Post, User, connection="archive") as (P, U):
        assert issubclass(P, Post) and issubclass(U, User)
        await P.objects.create(title="ctx")
    assert await databases.names_in(databases.archive, "posts", "title") == ["ctx"]


async def test_switch_to_an_unknown_alias_is_an_error(databases: Databases) -> None:
    with pytest.raises(ConnectionError, match="'nowhere'"), switch_connection("nowhere"):
        pass
    with pytest.raises(ConnectionError, match="'nowhere'"):
        await Post.objects.using("nowhere").find_all()
    with pytest.raises(TypeError):
        ContextQuery(connection="users")


async def test_precedence(databases: Databases) -> None:
    assert resolve_alias(Post, Post.__alias__) == "default"
    assert resolve_alias(Archived, Archived.__alias__) == "archive"
    with switch_connection("users"):
        assert resolve_alias(Post, Post.__alias__) == "users"
        assert resolve_alias(Archived, Archived.__alias__) == "archive"  # declared beats task
        with switch_connection("cluster2", Archived):
            assert resolve_alias(Archived, Archived.__alias__) == "cluster2"  # model switch
            assert resolve_alias(Archived, Archived.__alias__, "users") == "users"  # explicit
    assert resolve_alias(Post, Post.__alias__) == "default"


async def test_concurrent_tasks_never_see_each_others_switch(databases: Databases) -> None:
    both_inside = Rendezvous(2)

    async def write(alias: str, title: str) -> list[str]:
        with switch_connection(alias):
            await both_inside.wait()  # both switches are active at the same time
            await Post.objects.create(title=title)
            await asyncio.sleep(0)
            return [str(p.title) for p in await Post.objects.find_all()]

    async def write_per_model(alias: str, title: str) -> list[str]:
        with ContextQuery(Post, connection=alias) as P:
            await both_inside.wait()
            await P.objects.create(title=title)
            return [str(p.title) for p in await P.objects.find_all()]

    seen = await asyncio.gather(write("users", "u"), write("archive", "a"))
    assert list(seen) == [["u"], ["a"]]
    assert await databases.names_in(databases.users, "posts", "title") == ["u"]
    assert await databases.names_in(databases.archive, "posts", "title") == ["a"]
    assert await databases.names_in(databases.default, "posts", "title") == []

    both_inside = Rendezvous(2)
    seen = await asyncio.gather(write_per_model("cluster2", "c"), write_per_model("users", "v"))
    assert list(seen) == [["c"], ["u", "v"]]
    assert await databases.names_in(databases.cluster2, "posts", "title") == ["c"]
