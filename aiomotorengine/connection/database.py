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
    ``options`` go to ``AsyncMongoClient``; ``auto_index`` is aiomotorengine's own."""

    __slots__ = ("auto_index", "db", "host", "options", "port")

    def __init__(
        self,
        db: str,
        host: str | list[str],
        port: int | None,
        options: dict[str, Any],
        auto_index: bool,
    ):
        self.db = db
        self.host = host
        self.port = port
        self.options = options
        self.auto_index = auto_index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Settings):
            return NotImplemented
        return (self.db, self.host, self.port, self.options, self.auto_index) == (
            other.db,
            other.host,
            other.port,
            other.options,
            other.auto_index,
        )

    __hash__ = None  # type: ignore[assignment]

    def describe(self) -> str:
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
        self._client: AsyncMongoClient[dict[str, Any]] | None = None
        self._loop: weakref.ReferenceType[asyncio.AbstractEventLoop] | None = None
        self._collections: dict[str, AsyncCollection[dict[str, Any]]] = {}
        self._client_memo: dict[Hashable, Any] = {}

    def __repr__(self) -> str:
        return f"<Database alias={self._alias!r} {self._settings.describe()}>"

    @property
    def alias(self) -> str:
        """The connection alias."""
        return self._alias

    @property
    def name(self) -> str:
        """The database name."""
        return self._settings.db

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
        """The alias's ``AsyncMongoClient`` for the running event loop (built on first use)."""
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
        """The driver's ``AsyncDatabase`` for this alias."""
        return self.client[self._settings.db]

    def collection(self, name: str) -> AsyncCollection[dict[str, Any]]:
        """The collection ``name`` (cached per client)."""
        client = self.client
        try:
            return self._collections[name]
        except KeyError:
            collection = self._collections[name] = client[self._settings.db][name]
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
        """Close the client of the running loop; the next use builds a new one."""
        # A client bound to another (usually finished) loop cannot be used from this one.
        stale = self._loop is not None and self._loop() is not _running_loop()
        client, self._client, self._loop = self._client, None, None
        self._collections = {}
        self._client_memo = {}
        if client is not None and not stale:
            await client.close()

    def _forget_client(self) -> None:
        client, self._client, self._loop = self._client, None, None
        self._collections = {}
        self._client_memo = {}
        if client is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(client.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)
