"""Named connections: one long-lived ``AsyncMongoClient`` per alias.

``connect()`` only records settings; the client is built on first use inside the running event
loop and rebuilt when the loop changes (a client is never shared across loops). Which alias a
query uses is decided by :func:`resolve_alias`: an explicit ``alias=``/``using()``, then a
:class:`ContextQuery`-style switch for the model, the model's own ``__alias__``/``__connection__``,
a task-wide :func:`switch_connection`, and finally the default alias.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import warnings
import weakref
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote_plus

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from aiomotorengine.errors import ConnectionError

__all__ = [
    "DEFAULT_ALIAS",
    "ContextQuery",
    "Database",
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

# The user info runs to the last "@" before the first "/", as the driver parses it (a password
# may hold spaces or an unescaped "@"); over-redacting free text is harmless.
_CREDENTIALS_IN_URI = re.compile(
    r"(?P<scheme>mongodb(?:\+srv)?://)(?P<userinfo>[^/]*)@", re.IGNORECASE
)
_SECRET_OPTIONS = frozenset(
    {"password", "tlsCertificateKeyFilePassword", "authMechanismProperties"}
)
# Never shown by repr() or error messages (compared lower-cased: pymongo's options are not
# case-sensitive).
_HIDDEN_OPTIONS = frozenset(name.lower() for name in (*_SECRET_OPTIONS, "username"))
_SECRET_URI_OPTIONS = re.compile(
    r"(?P<name>[?&](?:tlsCertificateKeyFilePassword|authMechanismProperties|password)=)"
    r"(?P<value>[^&\s'\"]*)",
    re.IGNORECASE,
)


# The driver's client repr shows this option's value (it redacts authMechanismProperties).
_TLS_PASSWORD_IN_REPR = re.compile(
    r"(?P<name>tlscertificatekeyfilepassword=)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Hide the user info and secret options of every MongoDB URI in ``text``."""
    text = _CREDENTIALS_IN_URI.sub(r"\g<scheme>***@", text)
    return _SECRET_URI_OPTIONS.sub(r"\g<name>***", text)


def _property_values(properties: str) -> list[str]:
    """The values of ``"KEY:value,KEY:value"`` auth mechanism properties."""
    return [item.partition(":")[2] for item in properties.split(",")]


def _secret_values(settings: _Settings) -> list[str]:
    """Every secret ``settings`` hold (as given and URL-decoded), longest first."""
    secrets: list[str] = []
    for name, value in settings.options.items():
        lowered = name.lower()
        if lowered in ("password", "tlscertificatekeyfilepassword"):
            secrets.append(str(value))
        elif lowered == "authmechanismproperties":
            if isinstance(value, Mapping):
                secrets.extend(str(item) for item in value.values())
            else:
                secrets.extend(_property_values(str(value)))
    for host in [settings.host] if isinstance(settings.host, str) else settings.host:
        if "://" not in host:
            continue
        authority = host.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority:
            password = authority.rpartition("@")[0].partition(":")[2]
            secrets += [password, unquote_plus(password)]
        for match in _SECRET_URI_OPTIONS.finditer(host):
            value = unquote_plus(match["value"])
            secrets += [match["value"], value, *_property_values(value)]
    return sorted({secret for secret in secrets if secret}, key=len, reverse=True)


def _scrub(text: str, settings: _Settings) -> str:
    """``text`` with URI credentials and every secret value of ``settings`` hidden."""
    text = redact(text)
    for secret in _secret_values(settings):
        text = text.replace(secret, "***")
    return text


class _Client(AsyncMongoClient[dict[str, Any]]):
    """The driver's client, with a repr that hides the TLS key password (the driver's shows
    it)."""

    def __repr__(self) -> str:
        return _TLS_PASSWORD_IN_REPR.sub(r"\g<name>'<redacted>'", super().__repr__())


def _new_client(alias: str, settings: _Settings, options: dict[str, Any]) -> _Client:
    """A client for ``settings``; a configuration error becomes a ``ConnectionError`` whose
    message and exception chain hold no secret (the driver's message may quote one)."""
    try:
        return _Client(host=settings.host, port=settings.port, **options)
    except Exception as error:  # configuration errors: never echo credentials
        message = _scrub(str(error), settings)
    # Raised outside the except block: the driver's error must not stay as __context__.
    raise ConnectionError(f"cannot configure connection {alias!r}: {message}")


class _Settings:
    """What ``connect()`` was given for one alias; compared to spot conflicting re-registration."""

    __slots__ = ("db", "host", "options", "port")

    def __init__(self, db: str, host: str | list[str], port: int | None, options: dict[str, Any]):
        self.db = db
        self.host = host
        self.port = port
        self.options = options

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Settings):
            return NotImplemented
        return (self.db, self.host, self.port, self.options) == (
            other.db,
            other.host,
            other.port,
            other.options,
        )

    __hash__ = None  # type: ignore[assignment]

    def describe(self) -> str:
        hosts = self.host if isinstance(self.host, str) else ",".join(self.host)
        shown = {k: v for k, v in self.options.items() if k.lower() not in _HIDDEN_OPTIONS}
        return redact(f"db={self.db!r} host={hosts!r} port={self.port!r} options={shown!r}")


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

    def __repr__(self) -> str:
        return f"<Database alias={self._alias!r} {self._settings.describe()}>"

    @property
    def alias(self) -> str:
        return self._alias

    @property
    def name(self) -> str:
        """The database name."""
        return self._settings.db

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
        if client is not None and not stale:
            await client.close()

    def _forget_client(self) -> None:
        client, self._client, self._loop = self._client, None, None
        self._collections = {}
        if client is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(client.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task[None]] = set()
_connections: dict[str, Database] = {}
_default_alias = DEFAULT_ALIAS

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
    **kwargs: Any,
) -> Database:
    """Register connection ``alias`` to database ``db`` and return its :class:`Database` handle.

    No I/O happens here, so it is safe at module level. ``host`` is a hostname, ``"h1:p1,h2:p2"``
    seeds or a ``mongodb://``/``mongodb+srv://`` URI (``db`` may then come from the URI's path).
    Extra keyword arguments go to ``AsyncMongoClient``. ``io_loop`` is ignored::

        connect("blog")
        connect("users", alias="users", host="db1:27017,db2:27017", replicaSet="rs0")
    """
    if io_loop is not None:
        warnings.warn(
            "connect(io_loop=...) is ignored: the running asyncio loop is always used",
            DeprecationWarning,
            stacklevel=2,
        )
    if not isinstance(alias, str) or not alias:
        raise ConnectionError(f"connection alias must be a non-empty string, got {alias!r}")
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
    settings = _Settings(db, host, port, kwargs)
    existing = _connections.get(alias)
    if existing is not None:
        if existing._settings == settings:
            return existing
        raise ConnectionError(
            f"connection {alias!r} is already registered with other settings "
            f"({existing._settings.describe()}); call disconnect({alias!r}) first"
        )
    _check_options(alias, settings)
    handle = Database(alias, settings)
    _connections[alias] = handle
    return handle


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


def _database_from_uri(host: str | list[str]) -> str | None:
    if isinstance(host, str) and "://" in host:
        path = host.split("://", 1)[1].split("?", 1)[0]
        if "/" in path:
            return path.split("/", 1)[1] or None
    return None


def register_connection(
    alias: str, db: str | None = None, *, default: bool = False, **kwargs: Any
) -> Database:
    """Register a named connection (``connect()`` with the alias first); ``default=True`` also
    makes it the default connection."""
    handle = connect(db, alias=alias, **kwargs)
    if default:
        set_default_connection(alias)
    return handle


def disconnect(alias: str = DEFAULT_ALIAS) -> None:
    """Forget ``alias`` and close its client (in the background when a loop is running).

    An unknown alias is a no-op. Use ``await get_connection(alias).close()`` first to wait for
    the close.
    """
    handle = _connections.pop(alias, None)
    if handle is not None:
        handle._forget_client()


unregister_connection = disconnect


async def disconnect_all() -> None:
    """Close every client, forget every alias and restore the default alias (for tests and
    shutdown)."""
    global _default_alias
    for alias in list(_connections):
        handle = _connections.pop(alias)
        await handle.close()
    _default_alias = DEFAULT_ALIAS


def set_default_connection(alias: str) -> None:
    """Make the registered connection ``alias`` the default one."""
    global _default_alias
    _require(alias)
    _default_alias = alias


def get_default_alias() -> str:
    """The alias used when nothing selects another."""
    return _default_alias


def registered_aliases() -> list[str]:
    """The aliases registered now, in registration order."""
    return list(_connections)


def get_connection(alias: str | None = None) -> Database:
    """The :class:`Database` handle of ``alias`` (the current default when ``None``)."""
    return _require(alias if alias is not None else (_switched_alias.get() or _default_alias))


def _require(alias: str) -> Database:
    try:
        return _connections[alias]
    except KeyError:
        known = ", ".join(repr(a) for a in _connections) or "none"
        raise ConnectionError(
            f"no connection registered under alias {alias!r} (registered: {known}); "
            f"call connect(db, alias={alias!r}) first"
        ) from None


def resolve_alias(
    model: type | None = None, model_alias: str | None = None, explicit: str | None = None
) -> str:
    """The alias a query on ``model`` runs on, in order of precedence: ``explicit``, a
    per-model switch, the model's declared alias, the task-wide switch, the default."""
    return declared_alias(model, model_alias, explicit) or _switched_alias.get() or _default_alias


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
    _require(alias)
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


class ContextQuery:
    """Run queries of the given models on connection ``connection`` within the block::

        with ContextQuery(Automobile, connection="cluster1") as A:
            await A.objects.filter(manufacturer="honda").find_all()  # on "cluster1"

    The block yields the model (or a tuple of the models given).
    """

    def __init__(self, *models: type, connection: str) -> None:
        if not models:
            raise TypeError("ContextQuery needs at least one model")
        self._models = models
        self._switch = switch_connection(connection, *models)

    def __enter__(self) -> Any:
        self._switch.__enter__()
        return self._models[0] if len(self._models) == 1 else self._models

    def __exit__(self, *exc_info: Any) -> None:
        self._switch.__exit__(*exc_info)
