"""The pytest plugin as users get it: a user's test file run by pytest (``pytester``) uses the
``mongodb_database`` fixture in two tests, which each see an empty database of their own, in
pytest-asyncio's strict and auto modes; the databases are dropped and the alias forgotten. The
plugin loads without pytest-asyncio too."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import subprocess
import sys

import pytest
from pymongo import MongoClient

from aiomotorengine import Document, StringField, get_connection
from aiomotorengine.connection import registered_aliases


class Note(Document):
    __collection__ = "notes"
    text = StringField()


names = []


@pytest.mark.asyncio
async def test_first(mongodb_database):
    assert get_connection() is mongodb_database and mongodb_database.alias == "default"
    await Note.objects.create(text="first")
    assert [note.text for note in await Note.objects.find_all()] == ["first"]
    names.append(mongodb_database.name)


@pytest.mark.asyncio
async def test_second(mongodb_database):
    assert mongodb_database.name not in names
    assert await Note.objects.count() == 0  # nothing of the first test's
    await Note.objects.create(text="second")
    assert await mongodb_database.notes.count_documents({}) == 1
    names.append(mongodb_database.name)


def test_both_databases_dropped_and_the_alias_forgotten(mongodb_uri):
    assert len(names) == 2 and registered_aliases() == []
    with MongoClient(mongodb_uri) as client:
        assert not set(names) & set(client.list_database_names())
"""


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_mongodb_database_gives_each_test_a_fresh_database(
    pytester: pytest.Pytester, mongodb_uri: str, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)  # the session's server, not one more
    pytester.makeini(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=3)


def test_the_plugin_loads_without_pytest_asyncio() -> None:
    # pytest loads it for everyone who installs aiomotorengine, pytest-asyncio or not.
    code = (
        "import sys; sys.modules['pytest_asyncio'] = None\n"
        "import aiomotorengine.testing.plugin as plugin\n"
        "assert plugin.mongodb_database\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
