"""Property-based: ``&``, ``|`` and ``~`` build, and ``to_query`` compiles, any ``Q`` tree as
the plain recursive definition does (``reference_combine``, ``reference_compile``): the same
nodes, flattened the same way, and the same filter, ``$and`` whenever a key repeats; and
``merge_and`` ANDs filters as its definition does (``reference_merge_and``)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aiomotorengine import Document, IntField, ListField, Q, StringField
from aiomotorengine.query import compile_filter
from aiomotorengine.query.rules import merge_and

Filter = dict[str, Any]


class TreeUser(Document):
    name = StringField(db_field="n")
    age = IntField()
    tags = ListField(StringField())


def reference_merge_and(parts: list[Filter]) -> Filter:
    """AND filters, by definition: one dict when no key repeats, else ``$and`` of the
    non-empty ones (a lone non-empty filter is returned as it is)."""
    parts = [part for part in parts if part]
    if len(parts) < 2:
        return parts[0] if parts else {}
    merged: Filter = {}
    for part in parts:
        if not merged.keys().isdisjoint(part):
            return {"$and": parts}
        merged.update(part)
    return merged


def reference_combine(connector: str, left: Q, right: Q) -> Q:
    """``left & right`` (``$and``) or ``left | right`` (``$or``), by definition."""
    node = Q()
    node.connector = connector
    children: list[Q] = []
    for child in (left, right):
        if child.children and child.connector == connector and not child.negated:
            children.extend(child.children)
        else:
            children.append(child)
    node.children = tuple(children)
    return node


def reference_negate(query: Q) -> Q:
    node = Q()
    node.children = (query,)
    node.negated = True
    return node


def reference_compile(node: Q) -> dict[str, Any]:
    """The filter of a ``Q`` tree, by definition."""
    if node.children:
        compiled = [part for child in node.children if (part := reference_compile(child))]
        if node.negated:
            return {"$nor": [reference_merge_and(compiled)]} if compiled else {}
        if node.connector == Q.OR:
            return {"$or": compiled} if len(compiled) > 1 else (compiled[0] if compiled else {})
        return reference_merge_and(compiled)
    parts = [dict(raw) for raw in node.raw]
    if node.keywords:
        parts.append(compile_filter(TreeUser, node.keywords))
    return reference_merge_and(parts)


def shape(node: Q) -> Any:
    """What a node is made of, children included."""
    return (
        node.connector,
        node.negated,
        node.raw,
        node.keywords,
        tuple(shape(child) for child in node.children),
    )


LEAVES = st.sampled_from(
    [
        {},
        {"age": 1},
        {"age__gt": 1},
        {"age__lt": 9},
        {"age__gt": 2, "age__lt": 5},
        {"name": "x"},
        {"name__in": ["x", "y"]},
        {"tags": ["a", "b"]},
        {"tags": "a"},
        {"tags__nin": ("c",)},
    ]
)
RAWS = st.lists(st.sampled_from([{"n": "raw"}, {"age": {"$gt": 0}}, {"other": 1}]), max_size=2)

# Each tree twice: built with the operators, and by the reference definitions.
Pair = tuple[Q, Q]


@st.composite
def leaves(draw: st.DrawFn) -> Pair:
    raw = draw(RAWS)
    keywords = draw(LEAVES)
    return Q(*raw, **keywords), Q(*raw, **keywords)


def extend(children: st.SearchStrategy[Pair]) -> st.SearchStrategy[Pair]:
    def combine(operation: str, left: Pair, right: Pair) -> Pair:
        if operation == "&":
            return left[0] & right[0], reference_combine(Q.AND, left[1], right[1])
        return left[0] | right[0], reference_combine(Q.OR, left[1], right[1])

    def negate(pair: Pair) -> Pair:
        return ~pair[0], reference_negate(pair[1])

    return st.one_of(
        st.builds(combine, st.sampled_from(["&", "|"]), children, children),
        st.builds(negate, children),
    )


TREES = st.recursive(leaves(), extend, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_trees_build_and_compile_as_defined(pair: Pair) -> None:
    built, reference = pair
    assert shape(built) == shape(reference)
    assert built.to_query(TreeUser) == reference_compile(reference)
    assert built.to_query(TreeUser) == built.to_query(TreeUser)  # compiled keywords reused


FILTERS = st.dictionaries(st.sampled_from(["a", "b", "c", "$or"]), st.integers(0, 3), max_size=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(FILTERS, max_size=5))
def test_merge_and_is_its_definition(parts: list[Filter]) -> None:
    merged = merge_and(list(parts))
    assert merged == reference_merge_and(list(parts))
    kept = [part for part in parts if part]
    if len(kept) == 1:
        assert merged is kept[0]
