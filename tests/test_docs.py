"""Run every ```python block of README.md and docs/*.md against the test server.

The blocks of one file run in order, in one shared namespace, in a worker thread with an event
loop of its own: top-level ``await`` works, and so does a block that calls ``asyncio.run()``.
A block preceded by the line ``<!-- no-run -->`` is skipped; one preceded by
``<!-- mongodb-only: reason -->`` runs only against a real MongoDB (``MONGODB_URI``), because
the embedded server deviates there. In the examples,
``mongodb://localhost:27017/`` stands for the test server (``mongodb_uri``), and every database
name gets a suffix unique to the file, so each file starts on empty databases; those databases
are dropped and every connection is closed and forgotten afterwards. The pages of the API
reference (``::: aiomotorengine...`` directives, rendered from the docstrings by the docs site)
have no examples of their own.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import inspect
import os
import re
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

import aiomotorengine.base.registry as document_registry
import aiomotorengine.connection.database as connection_database
import aiomotorengine.connection.registry as connection_registry
from aiomotorengine.connection import disconnect_all

ROOT = Path(__file__).resolve().parent.parent
_API_REFERENCE = re.compile(r"^::: aiomotorengine\b", re.MULTILINE)


def _is_api_reference(path: Path) -> bool:
    return bool(_API_REFERENCE.search(path.read_text(encoding="utf-8")))


PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [ROOT / "README.md", *(page for page in PAGES if not _is_api_reference(page))]
API_REFERENCE = [page for page in PAGES if _is_api_reference(page)]
EXAMPLE_HOST = "mongodb://localhost:27017/"
NO_RUN = "<!-- no-run -->"
_MONGODB_ONLY = re.compile(r"^<!-- mongodb-only: (?P<reason>.+) -->$")
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the block's first code line
    source: str
    mongodb_only: str | None = None  # the reason the block needs a real MongoDB


def python_blocks(path: Path) -> list[Block]:
    """The runnable ```python blocks of a Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        info = match["info"].strip().split()
        start = index + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        previous = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
        if info[:1] == ["python"] and previous != NO_RUN:
            indent = len(match["indent"])
            body = "\n".join(line[indent:] for line in lines[start:end])
            only = _MONGODB_ONLY.match(previous)
            blocks.append(Block(path, start + 1, body, only["reason"] if only else None))
        index = end + 1
    return blocks


def _compile(block: Block, uri: str) -> Any:
    # Leading newlines keep the Markdown file's line numbers in tracebacks.
    source = "\n" * (block.line - 1) + block.source.replace(EXAMPLE_HOST, uri)
    return compile(
        source, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )


class _FileSettings(connection_database._Settings):
    """Connection settings whose database name carries the file's unique suffix."""

    suffix = ""

    def __init__(
        self,
        db: str,
        host: Any,
        port: Any,
        options: dict[str, Any],
        auto_index: bool,
        client: Any = None,
    ) -> None:
        super().__init__(f"{db}{self.suffix}", host, port, options, auto_index, client)


def _run_file(path: Path, uri: str, suffix: str) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    namespace: dict[str, Any] = {"__name__": f"docs_{path.stem.replace('-', '_')}"}
    try:
        real_mongodb = bool(os.environ.get("MONGODB_URI"))
        for block in python_blocks(path):
            if block.mongodb_only and not real_mongodb:
                continue
            where = f"{path.relative_to(ROOT)}:{block.line}"
            try:
                code = _compile(block, uri)
                if code.co_flags & inspect.CO_COROUTINE:
                    loop.run_until_complete(eval(code, namespace))
                else:
                    exec(code, namespace)
            except BaseException as error:
                detail = "".join(traceback.format_exception(error))
                raise AssertionError(f"example at {where} failed:\n{detail}") from None
    finally:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(_clean_up(uri, suffix))
        finally:
            loop.close()
            asyncio.set_event_loop(None)


async def _clean_up(uri: str, suffix: str) -> None:
    await disconnect_all()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        for name in await client.list_database_names():
            if name.endswith(suffix):
                await client.drop_database(name)
    finally:
        await client.close()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_examples_run(path: Path, mongodb_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert path.exists(), f"{path} is missing"
    assert python_blocks(path), f"{path.relative_to(ROOT)} has no runnable python block"
    suffix = f"_docs_{uuid.uuid4().hex[:8]}"
    settings = type("_Settings", (_FileSettings,), {"suffix": suffix})
    # connect() looks the settings class up in the registry module when called.
    monkeypatch.setattr(connection_registry, "_Settings", settings)
    # Classes the examples define must not replace the suite's in the by-name registry.
    registry = dict(document_registry._classes)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as worker:
            worker.submit(_run_file, path, mongodb_uri, suffix).result()
    finally:
        document_registry._classes.clear()
        document_registry._classes.update(registry)


@pytest.mark.parametrize("path", API_REFERENCE, ids=lambda path: str(path.relative_to(ROOT)))
def test_api_reference_pages_hold_no_examples(path: Path) -> None:
    # An example there would never run: examples belong on the guide's pages.
    assert not python_blocks(path), f"{path.relative_to(ROOT)}: move its examples to a guide page"


def test_no_run_marker_skips_the_next_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```python\nx = 1\n```\n\n<!-- no-run -->\n```python\nraise SystemExit\n```\n"
        "```console\n$ make test\n```\n```python\ny = await f()\n```\n"
        "<!-- mongodb-only: sorts -->\n```python\nz = 2\n```\n",
        encoding="utf-8",
    )
    blocks = python_blocks(page)
    assert [(block.line, block.source, block.mongodb_only) for block in blocks] == [
        (4, "x = 1", None),
        (15, "y = await f()", None),
        (19, "z = 2", "sorts"),
    ]
