"""Command line: ``python -m aiomotorengine sync-indexes``.

Creates the indexes models declare, on one or several connections::

    python -m aiomotorengine sync-indexes --connect default=mongodb://db1/app \\
        --connect eu=mongodb://db2/app --alias default --alias eu myapp.models myapp.auth:User

A target is ``module.path:Model`` or ``module.path`` (every ``Document`` class defined in that
module). Connections come from ``--connect ALIAS=URI`` (the URI names the database) or from
what the imported modules register themselves; without ``--alias`` each model goes to its own
connection. URIs are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
from collections.abc import Sequence

from aiomotorengine import __version__
from aiomotorengine.connection import connect, disconnect, get_connection, redact
from aiomotorengine.document import Document
from aiomotorengine.errors import AioMotorEngineError
from aiomotorengine.management import sync_indexes

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
            found = [
                value
                for _, value in inspect.getmembers(module, inspect.isclass)
                if issubclass(value, Document)
                and value is not Document
                and value.__module__ == module.__name__
            ]
            if not found:
                raise LookupError(f"{target}: the module defines no Document class")
        models.extend(model for model in found if model not in models)
    return models


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aiomotorengine")
    parser.add_argument("--version", action="version", version=f"aiomotorengine {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = _parser().parse_args(argv)
    own: list[str] = []
    try:
        for spec in arguments.connect:
            alias, separator, uri = spec.partition("=")
            if not separator or not alias or not uri:
                raise AioMotorEngineError("--connect takes ALIAS=URI")
            connect(alias=alias, host=uri)
            own.append(alias)
        models = load_models(arguments.targets)
        asyncio.run(_sync(models, arguments.alias, own))
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


if __name__ == "__main__":
    sys.exit(main())
