"""The registry of named connections, the default alias and the per-task switches.

One :class:`_Registry` instance holds the aliases and the default alias; the public functions
delegate to it. Switches (:func:`switch_connection`) are ``contextvars``, so concurrent tasks
never see each other's.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, overload

from pymongo import AsyncMongoClient
from pymongo.errors import ConfigurationError

from aiomotorengine.connection.database import Database, _check_options, _Settings
from aiomotorengine.errors import ConnectionError

__all__ = [
    "DEFAULT_ALIAS",
    "connect",
    "declared_alias",
    "disconnect",
    "disconnect_all",
    "get_connection",
    "get_default_alias",
    "register_connection",
    "registered_aliases",
    "resolve_alias",
    "set_default_connection",
    "switch_connection",
    "unregister_connection",
]

DEFAULT_ALIAS = "default"


class _Registry:
    """The registered connections (by alias, in registration order) and the default alias."""

    __slots__ = ("_connections", "_default_alias")

    def __init__(self) -> None:
        self._connections: dict[str, Database] = {}
        self._default_alias = DEFAULT_ALIAS

    @property
    def default_alias(self) -> str:
        return self._default_alias

    def aliases(self) -> list[str]:
        return list(self._connections)

    def register(self, alias: str, settings: _Settings) -> Database:
        """The handle of ``alias``: the registered one if its settings are equal, else a new
        one (an error if ``alias`` is registered with other settings)."""
        existing = self._connections.get(alias)
        if existing is not None:
            if existing._settings == settings:
                return existing
            raise ConnectionError(
                f"connection {alias!r} is already registered with other settings "
                f"({existing._settings.describe()}); call disconnect({alias!r}) first"
            )
        if settings.client is None:
            _check_options(alias, settings)
        handle = Database(alias, settings)
        self._connections[alias] = handle
        return handle

    def require(self, alias: str) -> Database:
        try:
            return self._connections[alias]
        except KeyError:
            known = ", ".join(repr(a) for a in self._connections) or "none"
            raise ConnectionError(
                f"no connection registered under alias {alias!r} (registered: {known}); "
                f"call connect(db, alias={alias!r}) first"
            ) from None

    def set_default(self, alias: str) -> None:
        self.require(alias)
        self._default_alias = alias

    def disconnect(self, alias: str) -> None:
        handle = self._connections.pop(alias, None)
        if handle is not None:
            handle._forget_client()

    async def disconnect_all(self) -> None:
        for alias in list(self._connections):
            handle = self._connections.pop(alias)
            await handle.close()
        self._default_alias = DEFAULT_ALIAS


_registry = _Registry()

# Per-task switches: a global one (``switch_connection``) and per-model ones (``ContextQuery``).
_switched_alias: ContextVar[str | None] = ContextVar("aiomotorengine_alias", default=None)
_switched_models: ContextVar[Mapping[type, str]] = ContextVar(
    "aiomotorengine_model_aliases",
    default={},  # noqa: B039 - never mutated: switch_connection sets a new mapping
)


def connect(
    db: str | None = None,
    alias: str = DEFAULT_ALIAS,
    host: str | list[str] = "localhost",
    port: int | None = None,
    replicaSet: str | None = None,
    username: str | None = None,
    password: str | None = None,
    io_loop: Any = None,
    *,
    auto_index: bool = True,
    **kwargs: Any,
) -> Database:
    """Register connection ``alias`` to database ``db`` and return its :class:`Database` handle.

    No I/O happens here, so it is safe at module level. ``host`` is a hostname, ``"h1:p1,h2:p2"``
    seeds or a ``mongodb://``/``mongodb+srv://`` URI (``db`` may then come from the URI's path).
    Extra keyword arguments go to ``AsyncMongoClient``. ``io_loop`` is ignored.
    ``auto_index=False`` stops operations on this connection from creating the indexes a model
    declares on first use (``ensure_index()`` and ``sync_indexes`` still create them)::

        connect("blog")
        connect("users", alias="users", host="db1:27017,db2:27017", replicaSet="rs0")
        connect("reports", alias="reports", auto_index=False)  # indexes managed elsewhere
    """
    if io_loop is not None:
        warnings.warn(
            "connect(io_loop=...) is ignored: the running asyncio loop is always used",
            DeprecationWarning,
            stacklevel=2,
        )
    if not isinstance(alias, str) or not alias:
        raise ConnectionError(f"connection alias must be a non-empty string, got {alias!r}")
    if not isinstance(auto_index, bool):
        raise ConnectionError(
            f"connection {alias!r}: auto_index must be True or False, got "
            f"{type(auto_index).__name__}"
        )
    if replicaSet is not None:
        if not isinstance(replicaSet, str):
            raise ConnectionError(
                f"connection {alias!r}: replicaSet must be the replica set's name as a string, "
                f"got {type(replicaSet).__name__}"
            )
        kwargs["replicaSet"] = replicaSet
    if username is not None:
        kwargs["username"] = username
    if password is not None:
        kwargs["password"] = password
    if isinstance(host, str) and "://" not in host and "," in host:
        host = [seed.strip() for seed in host.split(",") if seed.strip()]
    db = db or _database_from_uri(host)
    if not db:
        raise ConnectionError(
            f"connection {alias!r}: name a database, as connect('mydb', ...) or in the URI path"
        )
    return _registry.register(alias, _Settings(db, host, port, kwargs, auto_index))


def _database_from_uri(host: str | list[str]) -> str | None:
    if isinstance(host, str) and "://" in host:
        path = host.split("://", 1)[1].split("?", 1)[0]
        if "/" in path:
            return path.split("/", 1)[1] or None
    return None


@overload
def register_connection(
    name: str,
    *,
    client: AsyncMongoClient[Any],
    db: str | None = None,
    default: bool = False,
    auto_index: bool = True,
) -> Database: ...


@overload
def register_connection(
    name: str,
    host: str | list[str] | None = None,
    db: str | None = None,
    *,
    default: bool = False,
    **client_kwargs: Any,
) -> Database: ...


def register_connection(
    name: str,
    *positional: Any,
    client: AsyncMongoClient[Any] | None = None,
    default: bool = False,
    **client_kwargs: Any,
) -> Database:
    """Register connection ``name``: a client to ``host`` (a hostname, seeds or a URI; the
    default ``"localhost"``) built on first use, or ``client``, an ``AsyncMongoClient`` you made,
    used as it is and never closed by aiomotorengine. ``db`` is its default database (else the
    URI's or the client's). ``default=True`` makes it the default connection. Other keywords go
    to ``AsyncMongoClient`` (and ``auto_index``, as for ``connect()``)::

        register_connection("cluster2", "mongodb://db2.example.com/", db="garage")
        register_connection("cluster3", client=AsyncMongoClient("mongodb://db3/"), db="garage")
        register_connection("cluster1", "mongodb://db1.example.com/garage", default=True)

    The form of earlier 2.0 previews, ``register_connection(name, db, host=...)``, still works.
    """
    if len(positional) > 2:
        raise TypeError(
            f"register_connection() takes at most 3 positional arguments "
            f"({len(positional) + 1} given)"
        )
    given = dict(zip(("host", "db"), positional, strict=False))
    if len(given) == 1 and "host" in client_kwargs:  # (name, db, host=...): database second
        given = {"db": given["host"]}
    for keyword in ("host", "db"):
        if keyword in client_kwargs:
            if keyword in given:
                raise TypeError(f"register_connection() got multiple values for {keyword!r}")
            given[keyword] = client_kwargs.pop(keyword)
    host, db = given.get("host"), given.get("db")
    if client is None:
        host = "localhost" if host is None else host
        handle = connect(db, alias=name, host=host, **client_kwargs)
    else:
        handle = _register_client(name, client, db, host, client_kwargs)
    if default:
        set_default_connection(name)
    return handle


def _register_client(
    name: str,
    client: object,
    db: str | None,
    host: str | list[str] | None,
    options: dict[str, Any],
) -> Database:
    """Register ``client``, made by the caller, as connection ``name``."""
    if not isinstance(name, str) or not name:
        raise ConnectionError(f"connection alias must be a non-empty string, got {name!r}")
    if not isinstance(client, AsyncMongoClient):
        raise ConnectionError(
            f"connection {name!r}: client must be a pymongo AsyncMongoClient, got "
            f"{type(client).__name__}"
        )
    auto_index = options.pop("auto_index", True)
    if host is not None or options:
        given = ", ".join(["host"] * (host is not None) + sorted(options))
        raise ConnectionError(
            f"connection {name!r}: {given} cannot apply to a client you pass; configure the "
            f"AsyncMongoClient itself"
        )
    if not isinstance(auto_index, bool):
        raise ConnectionError(
            f"connection {name!r}: auto_index must be True or False, got "
            f"{type(auto_index).__name__}"
        )
    if db is None:
        try:
            db = client.get_default_database().name
        except ConfigurationError:
            raise ConnectionError(
                f"connection {name!r}: name a database, as register_connection({name!r}, "
                f"client=..., db='mydb'), or in the client's URI path"
            ) from None
    return _registry.register(name, _Settings(db, "", None, {}, auto_index, client=client))


def disconnect(alias: str = DEFAULT_ALIAS) -> None:
    """Forget ``alias`` and close its client (in the background when a loop is running); a
    client given to ``register_connection(client=...)`` stays open.

    An unknown alias is a no-op. Use ``await get_connection(alias).close()`` first to wait for
    the close.
    """
    _registry.disconnect(alias)


def unregister_connection(name: str) -> None:
    """Forget connection ``name`` as :func:`disconnect` does; an unknown name is an error
    naming it::

        unregister_connection("cluster2")
    """
    _registry.require(name)
    _registry.disconnect(name)


async def disconnect_all() -> None:
    """Close every client, forget every alias and restore the default alias (for tests and
    shutdown)."""
    await _registry.disconnect_all()


def set_default_connection(alias: str) -> None:
    """Make the registered connection ``alias`` the default one."""
    _registry.set_default(alias)


def get_default_alias() -> str:
    """The alias used when nothing selects another."""
    return _registry.default_alias


def registered_aliases() -> list[str]:
    """The aliases registered now, in registration order."""
    return _registry.aliases()


def get_connection(alias: str | None = None) -> Database:
    """The :class:`Database` handle of ``alias`` (the current default when ``None``)."""
    if alias is None:
        alias = _switched_alias.get() or _registry.default_alias
    return _registry.require(alias)


def resolve_alias(
    model: type | None = None, model_alias: str | None = None, explicit: str | None = None
) -> str:
    """The alias a query on ``model`` runs on, in order of precedence: ``explicit``, a
    per-model switch, the model's declared alias, the task-wide switch, the default."""
    return (
        declared_alias(model, model_alias, explicit)
        or _switched_alias.get()
        or _registry.default_alias
    )


def declared_alias(
    model: type | None = None, model_alias: str | None = None, explicit: str | None = None
) -> str | None:
    """The alias ``explicit``, a per-model switch or the model's declared alias selects, in
    that order; ``None`` when only the task-wide switch or the default would apply."""
    if explicit is not None:
        return explicit
    if model is not None:
        switched = _switched_models.get().get(model)
        if switched is not None:
            return switched
    return model_alias


@contextlib.contextmanager
def switch_connection(alias: str, *models: type) -> Iterator[None]:
    """Within the block, run queries of this task on ``alias``.

    With ``models``, only those models switch (and the switch beats their own declared alias);
    without, every model that declares no alias of its own does. Concurrent tasks never see each
    other's switch::

        with switch_connection("tenant_b"):
            await User.objects.find_all()
    """
    _registry.require(alias)
    if models:
        token_models = _switched_models.set(
            {**_switched_models.get(), **dict.fromkeys(models, alias)}
        )
        try:
            yield
        finally:
            _switched_models.reset(token_models)
    else:
        token = _switched_alias.set(alias)
        try:
            yield
        finally:
            _switched_alias.reset(token)
