"""``Q``: composable filters, combined with ``|`` and ``&`` and negated with ``~``, and the
compilation of ``Q`` trees into MongoDB filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiomotorengine.base.document import BaseDocument
from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.query.compiler import compile_filter
from aiomotorengine.query.rules import merge_and

__all__ = ["Q", "compile_arguments", "compile_node"]


class Q:
    """A filter: keyword conditions (``Q(age__gt=20)``), a raw MongoDB dict (``Q({"a.b": 1})``),
    or a combination of both::

        query = Q(last_update__is_null=True) | (Q(is_active=True) & Q(last_update__lt=cutoff))
        query.to_query(User)
        # {'$or': [{'last_update': None}, {'is_active': True, 'last_update': {'$lt': cutoff}}]}

    Several keywords in one ``Q`` are ANDed. ``~q`` matches what ``q`` does not (``$nor``).
    """

    __slots__ = ("children", "connector", "keywords", "negated", "raw")

    AND = "$and"
    OR = "$or"

    def __init__(self, *raw: dict[str, Any], **keywords: Any) -> None:
        for query in raw:
            if not isinstance(query, dict):
                raise TypeError(f"Q() takes raw query dicts and keywords, got {query!r}")
        self.raw = raw
        self.keywords = keywords
        self.children: tuple[Q, ...] = ()
        self.connector = Q.AND
        self.negated = False

    def __and__(self, other: Q) -> Q:
        return _combine(Q.AND, self, other)

    def __or__(self, other: Q) -> Q:
        return _combine(Q.OR, self, other)

    def __invert__(self) -> Q:
        node = Q.__new__(Q)
        node.raw = ()
        node.keywords = {}
        node.negated = True
        node.connector = Q.AND
        node.children = (self,)
        return node

    def is_empty(self) -> bool:
        return not (self.raw or self.keywords or self.children)

    def to_query(self, document: type[BaseDocument]) -> dict[str, Any]:
        """The MongoDB filter for ``document``, with names and values converted by its fields."""
        if self.children:  # compile_node, inlined
            return _compile_children(document, self.children, self.connector, self.negated)
        return _compile_leaf(document, self)

    def __repr__(self) -> str:
        if self.children:
            inner = f" {'|' if self.connector == Q.OR else '&'} ".join(map(repr, self.children))
            return f"~({inner})" if self.negated else f"({inner})"
        parts = [repr(query) for query in self.raw]
        parts += [f"{key}={value!r}" for key, value in self.keywords.items()]
        return f"Q({', '.join(parts)})"


def _combine(connector: str, left: Q, right: Q) -> Q:
    """``left & right`` (``connector`` ``"$and"``) or ``left | right`` (``"$or"``): an
    operand combined by the same connector, not negated, gives its children ((a | b) | c is one
    ``$or`` of three)."""
    if not isinstance(right, Q):
        return NotImplemented
    node = Q.__new__(Q)
    node.raw = ()
    node.keywords = {}
    node.negated = False
    node.connector = connector
    children = left.children
    first = children if children and left.connector == connector and not left.negated else (left,)
    children = right.children
    second = (
        children if children and right.connector == connector and not right.negated else (right,)
    )
    node.children = first + second
    return node


def compile_node(document: type[BaseDocument], node: Q) -> dict[str, Any]:
    """The filter for a ``Q`` tree."""
    if node.children:
        return _compile_children(document, node.children, node.connector, node.negated)
    return _compile_leaf(document, node)


def _compile_children(
    document: type[BaseDocument],
    children: tuple[Q, ...],
    connector: str,
    negated: bool,
) -> dict[str, Any]:
    """The filter of the node joining ``children`` by ``connector``, negated or not: one
    pass over the tree, leaves compiled in place."""
    parts: list[dict[str, Any]] = []
    for child in children:
        if child.children:
            part = _compile_children(document, child.children, child.connector, child.negated)
        elif child.raw:
            part = _compile_leaf(document, child)
        elif child.keywords:
            part = compile_filter(document, child.keywords)
        else:
            continue
        if part:
            parts.append(part)
    if connector == Q.OR and not negated:
        return {"$or": parts} if len(parts) > 1 else (parts[0] if parts else {})
    merged = merge_and(parts)
    if negated:
        return {"$nor": [merged]} if parts else {}
    return merged


def _compile_leaf(document: type[BaseDocument], node: Q) -> dict[str, Any]:
    """The filter of a ``Q`` without children: its raw dicts and keywords, ANDed."""
    if not node.raw:
        return compile_filter(document, node.keywords) if node.keywords else {}
    parts = [dict(raw) for raw in node.raw]
    if node.keywords:
        parts.append(compile_filter(document, node.keywords))
    return merge_and(parts)


def compile_arguments(
    document: type[BaseDocument], args: tuple[Any, ...], keywords: dict[str, Any]
) -> dict[str, Any]:
    """The filter for ``filter()``'s arguments, ANDed: ``Q`` objects, raw query dicts (passed
    through unchanged) and keyword conditions."""
    if not args:
        return compile_filter(document, keywords) if keywords else {}
    parts: list[dict[str, Any]] = []
    for arg in args:
        if isinstance(arg, Q):
            parts.append(compile_node(document, arg))
        elif isinstance(arg, Mapping):
            parts.append(dict(arg))
        else:
            raise InvalidQueryError(
                f"{document.__name__}: filter() takes Q objects, raw query dicts and "
                f"keywords, got {describe_value(arg)}"
            )
    if keywords:
        parts.append(compile_filter(document, keywords))
    return merge_and(parts)
