"""Property-based: no operator from "user input" ever reaches the server.

Hypothesis feeds dicts shaped like hostile request bodies and query strings (``$``-keys at any
depth, dotted and ``__`` names, positional ``$``/``$[]`` parts, lists, odd strings, huge
numbers) into ``filter``, ``get``, ``order_by``, ``only``, ``update`` and ``from_dict``.
Whatever happens, a ``CommandRecorder`` on the connection proves:

- an input with an operator-shaped key anywhere (a key, or a part of a ``__``/``.`` name,
  starting with ``$``) is refused with an ``AioMotorEngineError`` before anything is sent;
- no command carries a key (or a part of a dotted path) that the ODM never writes itself
  (``$where``, ``$expr``, ``$function``, ``$rename``, positional ``$``...);
- inserted documents hold no ``$``-key and no dotted key;
- nothing but aiomotorengine's own errors comes out (no driver error, no ``TypeError``).

Bounded: ``max_examples`` per property and a deadline per example keep the file to seconds.
Raw query dicts passed positionally to ``filter()`` are trusted input and not tested here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.errors import OperationFailure

from aiomotorengine import (
    AioMotorEngineError,
    Database,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    JsonField,
    ListField,
    StringField,
    get_connection,
)
from aiomotorengine.testing import CommandRecorder


class Profile(EmbeddedDocument):
    city = StringField()


class Member(Document):
    __collection__ = "property_members"
    login = StringField(required=True)
    token = StringField()
    age = IntField()
    roles = ListField(StringField())
    profile = EmbeddedDocumentField(Profile)
    data = JsonField()


# Operators an attacker would send; those the ODM never writes in these operations are FOREIGN.
OPERATORS = [
    "$ne", "$gt", "$gte", "$lt", "$in", "$nin", "$exists", "$regex", "$or", "$and", "$not",
    "$elemMatch", "$where", "$expr", "$function", "$jsonSchema", "$set", "$unset", "$inc",
    "$push", "$each", "$slice", "$rename", "$setOnInsert", "$currentDate", "$natural", "$",
    "$[]",
]  # fmt: skip
FOREIGN = {
    "$where", "$expr", "$function", "$jsonSchema", "$rename", "$setOnInsert", "$currentDate",
    "$natural", "$", "$[]",
}  # fmt: skip

_NAMES = st.sampled_from(
    ["login", "token", "age", "roles", "profile", "data", "id", "_id", "pk", "alias", "nope"]
)
_SUFFIXES = st.sampled_from(
    ["", "__ne", "__gt", "__in", "__exists", "__contains", "__city", "__x", "__0", "__S",
     "__$ne", "__$where", "__$", "__$[]", ".city", ".$", ".$where", "__city__$gt"]
)  # fmt: skip
_ODD_TEXT = st.text(max_size=8)
KEYS = st.one_of(st.builds(str.__add__, _NAMES, _SUFFIXES), st.sampled_from(OPERATORS), _ODD_TEXT)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    _ODD_TEXT,
    st.sampled_from(OPERATORS),
)
VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)
    ),
    max_leaves=8,
)
USER_INPUT = st.dictionaries(KEYS, VALUES, max_size=4)

BOUNDED = settings(
    max_examples=60,
    deadline=1_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# The parts of each command that carry what the ODM compiled (not the driver's own fields).
_COMPILED_PARTS = {
    "find": ("filter", "sort", "projection"),
    "aggregate": ("pipeline",),
    "count": ("query",),
    "distinct": ("query",),
    "update": ("updates",),
    "delete": ("deletes",),
    "insert": ("documents",),
    "findAndModify": ("query", "update", "sort", "fields"),
}


def _keys(value: Any) -> Iterator[str]:
    """Every dict key in ``value``, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _parts(key: str) -> list[str]:
    return key.replace("__", ".").split(".")


def has_operator_key(user_input: dict[str, Any]) -> bool:
    """Whether a part of a keyword name (split at ``__`` and ``.``), or of a key nested in a
    value (split at ``.``), starts with ``$``."""
    return any(part.startswith("$") for key in user_input for part in _parts(key)) or any(
        part.startswith("$") for key in _keys(list(user_input.values())) for part in key.split(".")
    )


@pytest.fixture
async def wire(monitored: tuple[Database, CommandRecorder]) -> CommandRecorder:
    recorder = monitored[1]
    await Member.objects.bulk_insert(
        [
            Member(login="root", token="s3cret", age=40, roles=["admin"], data={"k": 1}),
            Member(login="ann", token="t0ken", age=30, roles=["user"]),
        ]
    )
    return recorder


async def attempt(
    wire: CommandRecorder,
    user_input: dict[str, Any],
    operation: Callable[[], Awaitable[Any]],
    *,
    server_may_refuse: bool = False,
) -> None:
    """Run ``operation``; then check the properties on everything it sent. With
    ``server_may_refuse``, the server may refuse a well-formed write that does not fit the
    stored data (``$set`` of ``data.x`` where ``data`` holds a list: ``PathNotViable``)."""
    wire.clear()
    refused = True
    try:
        await operation()
        refused = False
    except AioMotorEngineError:
        pass
    except OperationFailure:
        if not server_may_refuse:
            raise
    if has_operator_key(user_input):
        assert refused, f"accepted an operator-shaped key: {user_input!r}"
        assert wire.commands == [], f"sent {wire.names()} for {user_input!r}"
    for name, command in wire.commands:
        for part in _COMPILED_PARTS.get(name, ()):
            compiled = command.get(part)
            for key in _keys(compiled):
                assert not FOREIGN.intersection(key.split(".")), (name, key, user_input)
                if "." in key:  # a path: no part of it is an operator
                    assert not any(p.startswith("$") for p in key.split(".")), (key, user_input)
            if name == "insert":
                for key in _keys(compiled):
                    assert not key.startswith("$") and "." not in key, (key, user_input)


@BOUNDED
@given(user_input=USER_INPUT)
async def test_filter_keywords(wire: CommandRecorder, user_input: dict[str, Any]) -> None:
    await attempt(wire, user_input, lambda: Member.objects.filter(**user_input).find_all())


@BOUNDED
@given(user_input=USER_INPUT)
async def test_get_keywords(wire: CommandRecorder, user_input: dict[str, Any]) -> None:
    await attempt(wire, user_input, lambda: Member.objects.get(**user_input))


@BOUNDED
@given(name=KEYS, descending=st.booleans())
async def test_order_by_names(wire: CommandRecorder, name: str, descending: bool) -> None:
    spelled = "-" + name if descending else name
    await attempt(wire, {spelled: 1}, lambda: Member.objects.order_by(spelled).limit(1).find_all())


@BOUNDED
@given(names=st.lists(KEYS, min_size=1, max_size=3))
async def test_only_names(wire: CommandRecorder, names: list[str]) -> None:
    await attempt(wire, dict.fromkeys(names, 1), lambda: Member.objects.only(*names).find_all())


async def reset_ann() -> None:
    """Ann as first stored: each update example starts from the same data."""
    await (
        get_connection()
        .collection("property_members")
        .replace_one(
            {"login": "ann"}, {"login": "ann", "token": "t0ken", "age": 30, "roles": ["user"]}
        )
    )


@BOUNDED
@given(user_input=USER_INPUT)
async def test_update_definitions(wire: CommandRecorder, user_input: dict[str, Any]) -> None:
    await reset_ann()
    await attempt(
        wire,
        user_input,
        lambda: Member.objects.filter(login="ann").update(user_input),
        server_may_refuse=True,
    )


@BOUNDED
@given(user_input=USER_INPUT)
async def test_update_operations(wire: CommandRecorder, user_input: dict[str, Any]) -> None:
    await reset_ann()
    await attempt(
        wire,
        user_input,
        lambda: Member.objects.filter(login="ann").update(**user_input),
        server_may_refuse=True,
    )


@BOUNDED
@given(user_input=USER_INPUT, login=_ODD_TEXT)
async def test_from_dict_then_save(
    wire: CommandRecorder, user_input: dict[str, Any], login: str
) -> None:
    async def create() -> None:
        await Member.from_dict({"login": login or "x", **user_input}).save()

    await attempt(wire, user_input, create)
