"""The :class:`Database` handle of one connection alias and the lifecycle of its client.

A handle holds what ``connect()`` was given and builds its ``AsyncMongoClient`` lazily, inside
the running event loop, rebuilding it when the loop changes (a client is never shared across
loops). Configuration errors never carry a secret.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable, MutableMapping
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from aiomotorengine.connection.redaction import redact, redact_client_repr, scrub, visible_options
from aiomotorengine.errors import ConnectionError

__all__ = ["Database"]

# Closes started by ``disconnect()`` in the background, kept referenced until they finish.
_closing: set[asyncio.Task[None]] = set()


class _Settings:
    """What ``connect()`` was given for one alias; compared to spot conflicting re-registration.
    ``options`` go to ``AsyncMongoClient``; ``auto_index`` is aiomotorengine's own; ``client``
    is a client the caller made (``register_connection(client=...)``), used as it is and never
    closed by us."""

    __slots__ = ("auto_index", "client", "db", "host", "options", "port")

    def __init__(
        self,
        db: str,
        host: str | list[str],
        port: int | None,
        options: dict[str, Any],
        auto_index: bool,
        client: AsyncMongoClient[dict[str, Any]] | None = None,
    ):
        self.db = db
        self.host = host
        self.port = port
        self.options = options
        self.auto_index = auto_index
        self.client = client

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Settings):
            return NotImplemented
        return (self.db, self.host, self.port, self.options, self.auto_index) == (
            other.db,
            other.host,
            other.port,
            other.options,
            other.auto_index,
        ) and (self.client is other.client)

    __hash__ = None  # type: ignore[assignment]

    def describe(self) -> str:
        if self.client is not None:
            return f"db={self.db!r} client=<a client of its own> auto_index={self.auto_index!r}"
        hosts = self.host if isinstance(self.host, str) else ",".join(self.host)
        shown = visible_options(self.options)
        return redact(
            f"db={self.db!r} host={hosts!r} port={self.port!r} options={shown!r} "
            f"auto_index={self.auto_index!r}"
        )


class _Client(AsyncMongoClient[dict[str, Any]]):
    """The driver's client, with a repr that hides the TLS key password (the driver's shows
    it)."""

    def __repr__(self) -> str:
        return redact_client_repr(super().__repr__())


def _new_client(alias: str, settings: _Settings, options: dict[str, Any]) -> _Client:
    """A client for ``settings``; a configuration error becomes a ``ConnectionError`` whose
    message and exception chain hold no secret (the driver's message may quote one)."""
    try:
        return _Client(host=settings.host, port=settings.port, **options)
    except Exception as error:  # configuration errors: never echo credentials
        message = scrub(str(error), settings.host, settings.options)
    # Raised outside the except block: the driver's error must not stay as __context__.
    raise ConnectionError(f"cannot configure connection {alias!r}: {message}")


def _check_options(alias: str, settings: _Settings) -> None:
    """Raise ``ConnectionError`` now for options the driver rejects, not at first use.

    A throw-away client validates them: building one does no I/O (it connects on first use;
    ``mongodb+srv`` is resolved then too). Event listeners are left out: a client with topology
    listeners starts a task, which needs a running loop.
    """
    options = {k: v for k, v in settings.options.items() if k != "event_listeners"}
    options.setdefault("uuidRepresentation", "standard")
    _new_client(alias, settings, options)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Database:
    """The handle ``connect()`` returns for one alias.

    It gives the database's collections (``db["users"]`` or ``db.users``), runs commands and
    owns the alias's ``AsyncMongoClient``, built lazily inside the running event loop::

        db = connect("blog", host="mongodb://localhost:27017/")
        await db.ping()
        await db.command("buildInfo")
    """

    def __init__(self, alias: str, settings: _Settings) -> None:
        self._alias = alias
        self._settings = settings
        self._client: AsyncMongoClient[dict[str, Any]] | None = settings.client
        self._loop: weakref.ReferenceType[asyncio.AbstractEventLoop] | None = None
        self._collections: dict[tuple[str, str], AsyncCollection[dict[str, Any]]] = {}
        self._client_memo: dict[Hashable, Any] = {}

    def __repr__(self) -> str:
        return f"<Database alias={self._alias!r} {self._settings.describe()}>"

    @property
    def alias(self) -> str:
        """The connection alias."""
        return self._alias

    @property
    def name(self) -> str:
        """The name of the connection's default database."""
        return self._settings.db

    @property
    def owns_client(self) -> bool:
        """Whether the client is ours to build and close (``False`` for a client given to
        ``register_connection(client=...)``, which stays open until its owner closes it)."""
        return self._settings.client is None

    @property
    def auto_index(self) -> bool:
        """Whether operations on this connection create the indexes a model declares on first
        use (``connect(..., auto_index=False)`` turns that off)."""
        return self._settings.auto_index

    @property
    def client_memo(self) -> dict[Hashable, Any]:
        """What the layers above remember about the current client (the queryset layer: whose
        declared indexes exist); emptied whenever the client is replaced or closed."""
        return self._client_memo

    @property
    def client(self) -> AsyncMongoClient[dict[str, Any]]:
        """The alias's ``AsyncMongoClient`` for the running event loop (built on first use;
        a client given to ``register_connection(client=...)`` is always that one)."""
        given = self._settings.client
        if given is not None:
            return given
        loop = _running_loop()
        client = self._client
        if client is not None:
            bound = self._loop() if self._loop is not None else None
            if loop is None or bound is loop:
                return client
            if bound is None and self._loop is None:
                # Built outside any loop and never used for I/O: adopt it.
                self._loop = weakref.ref(loop)
                return client
        return self._build_client(loop)

    connection = client

    def _build_client(
        self, loop: asyncio.AbstractEventLoop | None
    ) -> AsyncMongoClient[dict[str, Any]]:
        settings = self._settings
        options = dict(settings.options)
        options.setdefault("uuidRepresentation", "standard")
        client = _new_client(self._alias, settings, options)
        self._client = client
        self._loop = weakref.ref(loop) if loop is not None else None
        self._collections = {}
        self._client_memo = {}
        return client

    @property
    def database(self) -> AsyncDatabase[dict[str, Any]]:
        """The driver's ``AsyncDatabase`` of this alias's default database."""
        return self.client[self._settings.db]

    def collection(self, name: str, db: str | None = None) -> AsyncCollection[dict[str, Any]]:
        """The collection ``name`` of database ``db`` (``None``: the default one), cached per
        client::

            handle = get_connection("cluster1")
            handle.collection("users")                # in the connection's default database
            handle.collection("users", db="archive")  # the same client, another database
        """
        client = self.client
        key = (db or self._settings.db, name)
        try:
            return self._collections[key]
        except KeyError:
            collection = self._collections[key] = client[key[0]][name]
            return collection

    def __getitem__(self, name: str) -> AsyncCollection[dict[str, Any]]:
        return self.collection(name)

    def __getattr__(self, name: str) -> AsyncCollection[dict[str, Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.collection(name)

    async def ping(self) -> dict[str, Any]:
        """Round-trip a ``ping`` command to the server."""
        return await self.database.command("ping")

    async def command(
        self, command: str | MutableMapping[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        """Run a database command (use ``bson.SON`` when the command's key order matters)."""
        return await self.database.command(command, *args, **kwargs)

    async def close(self) -> None:
        """Close the client of the running loop; the next use builds a new one. A client given
        to ``register_connection(client=...)`` is left open: its owner closes it."""
        # A client bound to another (usually finished) loop cannot be used from this one.
        stale = self._loop is not None and self._loop() is not _running_loop()
        client = self._release()
        if client is not None and not stale:
            await client.close()

    def _release(self) -> AsyncMongoClient[dict[str, Any]] | None:
        """Forget the client and what was cached with it; returns it when it is ours to
        close."""
        client, self._client, self._loop = self._client, self._settings.client, None
        self._collections = {}
        self._client_memo = {}
        return client if self.owns_client else None

    def _forget_client(self) -> None:
        client = self._release()
        if client is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(client.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)
