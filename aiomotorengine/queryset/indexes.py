"""The collection a model's operations use, with the indexes the model declares in place and
the read preference and concerns it declares.

:func:`resolve_place` is the one place that decides where an operation runs: the connection
alias (see :func:`~aiomotorengine.connection.resolve_alias`) and the database (one named by the
operation, else the model's ``__db__``, else the connection's default). The first operation on
a model's collection through a client and database creates the indexes the model declares (one
``createIndexes``); the connection's per-client memo
(:attr:`~aiomotorengine.connection.Database.client_memo`) remembers it, so later operations
cost a dict lookup. :func:`ensure_indexes` is the explicit form, for deployment scripts; it also
installs the validator of a model that asks for one (``__validator__ = True``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Hashable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.state import Place
from aiomotorengine.connection import (
    Database,
    get_connection,
    read_concern_option,
    read_preference_option,
    resolve_alias,
    write_concern_option,
)
from aiomotorengine.query.indexes import index_models
from aiomotorengine.queryset.driver_errors import index_build_violation, is_duplicate_key

__all__ = [
    "database_name",
    "ensure_indexes",
    "install_validator",
    "prepared_collection",
    "resolve_place",
]

# The memo's value once a model's indexes exist on a collection (or there is nothing to create);
# until then, the task creating them.
_READY = True


def resolve_place(
    document: type[CollectionDocument], alias: str | None = None, db: str | None = None
) -> Place:
    """Where an operation on ``document`` runs, given the connection ``alias`` and database
    ``db`` it names (``None``: as the model and the switches in force say). No I/O."""
    return Place(resolve_alias(document, document.__alias__, alias), db or document.__db__)


def database_name(place: Place) -> str:
    """The name of the database ``place`` stands for (its connection's default when it names
    none)."""
    return place.db or get_connection(place.alias).name


async def prepared_collection(
    document: type[CollectionDocument], alias: str | None = None, db: str | None = None
) -> tuple[Place, AsyncCollection[dict[str, Any]]]:
    """Where an operation on ``document`` runs (see :func:`resolve_place`) and the collection
    there (with the read preference and concerns the model declares), once the indexes the
    model declares exist on it.

    The first operation per client, database, collection and model creates them (one
    ``createIndexes``; concurrent first operations wait for it), unless the model sets
    ``__auto_index__ = False`` or the connection was made with ``auto_index=False``. A failed
    creation is not remembered: the next operation tries again. Stored duplicates of a unique
    key raise ``UniqueKeyViolationError``.
    """
    place, handle, collection = _target(document, alias, db)
    if handle.client_memo.get(_memo_key(document, collection)) is not _READY:
        await _create_declared_indexes(handle, collection, document)
    return place, _with_declared_options(document, collection)


def _with_declared_options(
    document: type[CollectionDocument], collection: AsyncCollection[dict[str, Any]]
) -> AsyncCollection[dict[str, Any]]:
    """``collection`` with the read preference, read concern and write concern the model
    declares (``__read_preference__``, ``__read_concern__``, ``__write_concern__``); what it
    does not declare stays the connection's."""
    read_preference = getattr(document, "__read_preference__", None)
    read_concern = getattr(document, "__read_concern__", None)
    write_concern = getattr(document, "__write_concern__", None)
    if read_preference is None and read_concern is None and write_concern is None:
        return collection
    name = document.__name__
    return collection.with_options(
        read_preference=(
            None
            if read_preference is None
            else read_preference_option(read_preference, f"{name}.__read_preference__")
        ),
        read_concern=(
            None
            if read_concern is None
            else read_concern_option(read_concern, f"{name}.__read_concern__")
        ),
        write_concern=(
            None
            if write_concern is None
            else write_concern_option(write_concern, f"{name}.__write_concern__")
        ),
    )


def _target(
    document: type[CollectionDocument], alias: str | None, db: str | None
) -> tuple[Place, Database, AsyncCollection[dict[str, Any]]]:
    place = resolve_place(document, alias, db)
    handle = get_connection(place.alias)
    return place, handle, handle.collection(document.__collection__, place.db)


def _memo_key(
    document: type[CollectionDocument], collection: AsyncCollection[dict[str, Any]]
) -> Hashable:
    """What the memo knows a model's indexes by: the model (a bound copy is its model), the
    database and the collection."""
    return (document._unbound, collection.database.name, collection.name)


async def _create_declared_indexes(
    handle: Database,
    collection: AsyncCollection[dict[str, Any]],
    document: type[CollectionDocument],
) -> None:
    memo = handle.client_memo
    key = _memo_key(document, collection)
    creation = memo.get(key)
    if creation is None:
        auto = handle.auto_index and document.__auto_index__
        models = index_models(document) if auto else []
        if not models:
            memo[key] = _READY
            return
        # A task of its own: a cancelled first caller does not cancel it for those waiting.
        creation = memo[key] = asyncio.ensure_future(collection.create_indexes(models))
        creation.add_done_callback(functools.partial(_settle, memo, key))
    await _created(document, asyncio.shield(creation))


# Server error codes: the collection does not exist / exists already.
_NAMESPACE_NOT_FOUND = 26
_NAMESPACE_EXISTS = 48


async def install_validator(
    document: type[CollectionDocument], database: AsyncDatabase[dict[str, Any]]
) -> None:
    """Make ``document.bson_schema()`` the validator of its collection in ``database``
    (``collMod``; ``create`` when the collection does not exist yet), replacing any other: the
    server then refuses inserts and updates that break it, whoever sends them (error 121,
    ``DocumentValidationFailure``). ``validationLevel`` is ``moderate``: documents stored
    before, and already invalid, can still be updated, so older data never blocks a save::

        await install_validator(User, get_connection().database)
    """
    name = document.__collection__
    options = {
        "validator": {"$jsonSchema": document.bson_schema()},
        "validationLevel": "moderate",
        "validationAction": "error",
    }
    try:
        await database.command({"collMod": name, **options})
        return
    except OperationFailure as error:
        if error.code != _NAMESPACE_NOT_FOUND:
            raise
    try:
        await database.command({"create": name, **options})
    except OperationFailure as error:  # created meanwhile, by another process
        if error.code != _NAMESPACE_EXISTS:
            raise
        await database.command({"collMod": name, **options})


def _settle(memo: dict[Hashable, Any], key: Hashable, creation: asyncio.Task[Any]) -> None:
    """Remember a successful creation; forget a failed one, so the next operation retries."""
    if memo.get(key) is not creation:
        return  # the client was replaced, or ensure_indexes() ran meanwhile
    if creation.cancelled() or creation.exception() is not None:
        del memo[key]
    else:
        memo[key] = _READY


async def _created(document: type[CollectionDocument], creation: Awaitable[Any]) -> None:
    """Await an index creation; stored duplicates of a unique key become
    ``UniqueKeyViolationError``."""
    try:
        await creation
    except OperationFailure as error:
        if is_duplicate_key(error):
            raise index_build_violation(document, error) from None
        raise


async def ensure_indexes(
    document: type[CollectionDocument], alias: str | None = None, db: str | None = None
) -> int:
    """Create the indexes ``document`` declares on its collection (on connection ``alias`` and
    database ``db``, else where its queries go), whatever ``__auto_index__`` and ``auto_index``
    say, and install its validator when it sets ``__validator__ = True`` (see
    :func:`install_validator`). Idempotent; returns how many indexes the model declares, all of
    which exist afterwards::

        count = await ensure_indexes(User)          # or: await User.ensure_index()
        await ensure_indexes(User, alias="cluster2", db="archive")

    Stored duplicates of a unique key raise ``UniqueKeyViolationError``. An existing index with
    the same keys but other options raises the driver's ``OperationFailure`` (drop it first to
    change it).
    """
    if document.__validator__:
        await install_validator(document, _target(document, alias, db)[2].database)
    models = index_models(document)
    if not models:
        return 0
    _, handle, collection = _target(document, alias, db)
    memo = handle.client_memo  # that of the client the indexes are created with
    await _created(document, collection.create_indexes(models))
    memo[_memo_key(document, collection)] = _READY
    return len(models)
