"""The collection a model's operations use, with the indexes the model declares in place and
the read preference and concerns it declares.

The first operation on a model's collection through a client creates the indexes the model
declares (one ``createIndexes``); the connection's per-client memo
(:attr:`~aiomotorengine.connection.Database.client_memo`) remembers it, so later operations
cost a dict lookup. :func:`ensure_indexes` is the explicit form, for deployment scripts.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Hashable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from aiomotorengine.base.document import CollectionDocument
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

__all__ = ["ensure_indexes", "prepared_collection"]

# The memo's value once a model's indexes exist on a collection (or there is nothing to create);
# until then, the task creating them.
_READY = True


async def prepared_collection(
    document: type[CollectionDocument], alias: str | None = None
) -> tuple[str, AsyncCollection[dict[str, Any]]]:
    """The alias an operation on ``document`` uses and the collection there (with the read
    preference and concerns the model declares), once the indexes the model declares exist on
    it.

    The first operation per client, database, collection and model creates them (one
    ``createIndexes``; concurrent first operations wait for it), unless the model sets
    ``__auto_index__ = False`` or the connection was made with ``auto_index=False``. A failed
    creation is not remembered: the next operation tries again. Stored duplicates of a unique
    key raise ``UniqueKeyViolationError``.
    """
    resolved, handle, collection = _target(document, alias)
    if handle.client_memo.get((document, document.__collection__)) is not _READY:
        await _create_declared_indexes(handle, collection, document)
    return resolved, _with_declared_options(document, collection)


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
    document: type[CollectionDocument], alias: str | None
) -> tuple[str, Database, AsyncCollection[dict[str, Any]]]:
    resolved = resolve_alias(document, document.__alias__, alias)
    handle = get_connection(resolved)
    return resolved, handle, handle.collection(document.__collection__)


async def _create_declared_indexes(
    handle: Database,
    collection: AsyncCollection[dict[str, Any]],
    document: type[CollectionDocument],
) -> None:
    memo = handle.client_memo
    key = (document, document.__collection__)
    creation = memo.get(key)
    if creation is None:
        auto = handle.auto_index and getattr(document, "__auto_index__", True)
        models = index_models(document) if auto else []
        if not models:
            memo[key] = _READY
            return
        # A task of its own: a cancelled first caller does not cancel it for those waiting.
        creation = memo[key] = asyncio.ensure_future(collection.create_indexes(models))
        creation.add_done_callback(functools.partial(_settle, memo, key))
    await _created(document, asyncio.shield(creation))


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


async def ensure_indexes(document: type[CollectionDocument], alias: str | None = None) -> int:
    """Create the indexes ``document`` declares on its collection (on ``alias``, else the
    connection its queries use), whatever ``__auto_index__`` and ``auto_index`` say. Idempotent;
    returns how many indexes the model declares, all of which exist afterwards::

        count = await ensure_indexes(User)          # or: await User.ensure_index()

    Stored duplicates of a unique key raise ``UniqueKeyViolationError``. An existing index with
    the same keys but other options raises the driver's ``OperationFailure`` (drop it first to
    change it).
    """
    models = index_models(document)
    if not models:
        return 0
    _, handle, collection = _target(document, alias)
    memo = handle.client_memo  # that of the client the indexes are created with
    await _created(document, collection.create_indexes(models))
    memo[(document, document.__collection__)] = _READY
    return len(models)
