"""Command line: ``python -m aiomotorengine sync``, ``sync-indexes`` and ``server``.

``sync`` creates the collections of models and the indexes they declare on every pair of
connection and database (cqlengine's ``sync_table``), and reports per model and pair what it
created, with a progress line per model when it syncs more than one::

    python -m aiomotorengine sync --models myapp.models --connection mongodb://db1/app \
        --connection eu=mongodb://db2/app --db app --db archive

``--connection [ALIAS=]URI`` is repeatable (the URI's path names the default database; without
``--connection``, each model goes to the connection its modules register); ``--db NAME`` is
repeatable too (default: each model's ``__db__``, else the connection's default database).
A connection is shown by its alias, else by its hosts; credentials are never printed.

``sync-indexes`` creates the indexes models declare, on one or several connections::

    python -m aiomotorengine sync-indexes --connect default=mongodb://db1/app \\
        --connect eu=mongodb://db2/app --alias default --alias eu myapp.models myapp.auth:User

A target is ``module.path:Model`` or ``module.path`` (every ``Document`` class defined in that
module). Connections come from ``--connect ALIAS=URI`` (the URI names the database) or from
what the imported modules register themselves; without ``--alias`` each model goes to its own
connection. URIs are never printed.

``server`` runs the embedded MongoDB server in the foreground for local development, prints the
URI to connect to and stops cleanly on Ctrl-C or SIGTERM::

    python -m aiomotorengine server --port 27017 --path ./.mongodb

Without ``--path`` the data lives in a temporary directory removed at exit; with it, the
directory is kept. Without ``--port`` a free port is chosen.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType

from aiomotorengine import __version__
from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.connection import connect, disconnect, get_connection, redact
from aiomotorengine.document import Document
from aiomotorengine.embedded import EmbeddedServer
from aiomotorengine.errors import AioMotorEngineError
from aiomotorengine.management import CollectionSync, models_in, sync_all, sync_indexes

__all__ = ["load_models", "main"]


def load_models(targets: Sequence[str]) -> list[type[Document]]:
    """The ``Document`` classes named by ``module.path:Model`` / ``module.path`` targets."""
    models: list[type[Document]] = []
    for target in targets:
        module_name, _, class_name = target.partition(":")
        module = importlib.import_module(module_name)
        if class_name:
            model = getattr(module, class_name, None)
            if not (isinstance(model, type) and issubclass(model, Document)):
                raise LookupError(f"{target}: {class_name!r} is not a Document class")
            found = [model]
        else:
            found = models_in(module)
            if not found:
                raise LookupError(f"{target}: the module defines no Document class")
        models.extend(model for model in found if model not in models)
    return models


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aiomotorengine")
    parser.add_argument("--version", action="version", version=f"aiomotorengine {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    collections = commands.add_parser(
        "sync",
        help="create the collections of models and their indexes on every connection and "
        "database (idempotent)",
    )
    collections.add_argument(
        "--models",
        action="append",
        required=True,
        metavar="TARGET",
        help="module.path (every Document class it defines) or module.path:Model; repeatable",
    )
    collections.add_argument(
        "--connection",
        action="append",
        default=[],
        metavar="[ALIAS=]URI",
        help="a connection to sync on (the URI's path names its default database); repeatable "
        "(default: each model's own connection, as its modules register it)",
    )
    collections.add_argument(
        "--db",
        action="append",
        default=None,
        metavar="NAME",
        help="a database to sync in on every connection; repeatable (default: the model's "
        "__db__, else the connection's default database)",
    )
    sync = commands.add_parser(
        "sync-indexes", help="create the indexes models declare (idempotent)"
    )
    sync.add_argument(
        "targets", nargs="+", metavar="TARGET", help="module.path:Model or module.path"
    )
    sync.add_argument(
        "--connect",
        action="append",
        default=[],
        metavar="ALIAS=URI",
        help="register a connection (the URI's path names the database)",
    )
    sync.add_argument(
        "--alias",
        action="append",
        default=None,
        metavar="ALIAS",
        help="sync on this connection (repeatable; default: each model's own connection)",
    )
    server = commands.add_parser(
        "server", help="run the embedded MongoDB server in the foreground (local development)"
    )
    server.add_argument("--port", type=int, help="the port to listen on (default: a free one)")
    server.add_argument(
        "--path",
        metavar="DIR",
        help="keep the data in DIR (created if missing, kept at exit; default: a temporary "
        "directory removed at exit)",
    )
    return parser


async def _sync(models: list[type[Document]], aliases: list[str] | None, own: list[str]) -> None:
    try:
        done = await sync_indexes(models, connections=aliases)
        for alias, counts in done.items():
            for model, count in counts.items():
                print(f"{alias}: {model}: {count} index(es) ensured")
    finally:
        for alias in own:
            await get_connection(alias).close()


def _connection_label(uri: str) -> str:
    """The hosts of ``uri``, without credentials, path or options: how a connection given as a
    bare URI is shown."""
    authority = uri.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    return authority.rpartition("@")[2]


def _has_database(uri: str) -> bool:
    path = uri.split("://", 1)[-1].split("?", 1)[0]
    return bool(path.partition("/")[2])


def _register(specs: list[str], dbs: list[str] | None, aliases: list[str]) -> dict[str, str]:
    """Register the ``--connection [ALIAS=]URI`` connections, their aliases added to
    ``aliases``; returns how each is shown."""
    labels: dict[str, str] = {}
    for number, spec in enumerate(specs, 1):
        if spec.startswith(("mongodb://", "mongodb+srv://")):
            alias, uri, label = f"connection{number}", spec, _connection_label(spec)
        else:
            alias, separator, uri = spec.partition("=")
            if not separator or not alias or not uri:
                raise AioMotorEngineError("--connection takes a mongodb:// URI or ALIAS=URI")
            label = alias
        # The URI's path names the default database; without one, the first --db does.
        default_db = dbs[0] if dbs and not _has_database(uri) else None
        connect(default_db, alias=alias, host=uri)
        aliases.append(alias)
        labels[alias] = label
    return labels


async def _sync_collections(
    targets: list[str], aliases: list[str] | None, dbs: list[str] | None, labels: dict[str, str]
) -> None:
    models: list[type[CollectionDocument]] = list(load_models(targets))

    def report(
        index: int, total: int, model: type[CollectionDocument], synced: list[CollectionSync]
    ) -> None:
        if total > 1:
            print(f"[{index}/{total}] {model.__name__}", flush=True)
        for done in synced:
            shown = labels.get(done.alias, repr(done.alias))
            line = str(done).replace(f"on {done.alias!r}", f"on {shown}", 1)
            print(("  " if total > 1 else "") + line, flush=True)

    try:
        await sync_all(models, aliases, dbs, progress=report)
    finally:
        for alias in aliases or ():
            await get_connection(alias).close()


def _reporting(work: Callable[[list[str]], None]) -> int:
    """Run a command's ``work``, which registers the connections it makes in the list it is
    given; print any error with credentials hidden, forget those connections, return the exit
    status."""
    own: list[str] = []
    try:
        work(own)
    except (AioMotorEngineError, LookupError, ImportError) as error:
        print(f"error: {redact(str(error))}", file=sys.stderr)
        return 1
    except Exception as error:  # driver errors: report them, credentials hidden
        print(f"error: {type(error).__name__}: {redact(str(error))}", file=sys.stderr)
        return 1
    finally:
        for alias in own:
            disconnect(alias)
    return 0


def _sync_collections_command(arguments: argparse.Namespace) -> int:
    def work(own: list[str]) -> None:
        labels = _register(arguments.connection, arguments.db, own)
        asyncio.run(_sync_collections(arguments.models, own or None, arguments.db, labels))

    return _reporting(work)


def _sync_indexes(arguments: argparse.Namespace) -> int:
    def work(own: list[str]) -> None:
        for spec in arguments.connect:
            alias, separator, uri = spec.partition("=")
            if not separator or not alias or not uri:
                raise AioMotorEngineError("--connect takes ALIAS=URI")
            connect(alias=alias, host=uri)
            own.append(alias)
        models = load_models(arguments.targets)
        asyncio.run(_sync(models, arguments.alias, own))

    return _reporting(work)


# How often the foreground server checks that the server process is still alive.
_HEARTBEAT = 1.0
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Interrupted(Exception):
    """SIGINT (Ctrl-C) or SIGTERM: stop the server and exit."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted


def _serve(port: int | None, path: str | None) -> int:
    server = EmbeddedServer(port=port, storage_path=path)
    previous = {signum: signal.signal(signum, _interrupt) for signum in _STOP_SIGNALS}
    try:
        server.start()
        kept = "kept" if path else "removed at exit"
        print(f"embedded MongoDB server (SecantusDB), data in {server.storage_path} ({kept})")
        print(f"connect to\n{server.uri}\nCtrl-C stops it", flush=True)
        while server.running:
            time.sleep(_HEARTBEAT)
        print("error: the embedded server exited", file=sys.stderr)
        return 1
    except _Interrupted:
        return 0
    except (RuntimeError, OSError) as error:  # not installed, port taken, DIR unusable...
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        for signum in _STOP_SIGNALS:  # a second Ctrl-C must not cut the stop short
            signal.signal(signum, signal.SIG_IGN)
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "server":
        return _serve(arguments.port, arguments.path)
    if arguments.command == "sync":
        return _sync_collections_command(arguments)
    return _sync_indexes(arguments)


if __name__ == "__main__":
    sys.exit(main())
