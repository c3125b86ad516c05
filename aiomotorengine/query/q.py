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

    @classmethod
    def _combine(cls, connector: str, left: Q, right: Q) -> Q:
        if not isinstance(right, Q):
            return NotImplemented
        node = cls.__new__(cls)
        node.raw = ()
        node.keywords = {}
        node.negated = False
        node.connector = connector
        children: list[Q] = []
        for child in (left, right):
            if child.children and child.connector == connector and not child.negated:
                children.extend(child.children)  # (a | b) | c is one $or of three
            else:
                children.append(child)
        node.children = tuple(children)
        return node

    def __and__(self, other: Q) -> Q:
        return Q._combine(Q.AND, self, other)

    def __or__(self, other: Q) -> Q:
        return Q._combine(Q.OR, self, other)

    def __invert__(self) -> Q:
        node = Q._combine(Q.AND, self, Q())
        node.children = (self,)
        node.negated = True
        return node

    def is_empty(self) -> bool:
        return not (self.raw or self.keywords or self.children)

    def to_query(self, document: type[BaseDocument]) -> dict[str, Any]:
        """The MongoDB filter for ``document``, with names and values converted by its fields."""
        return compile_node(document, self)

    def __repr__(self) -> str:
        if self.children:
            inner = f" {'|' if self.connector == Q.OR else '&'} ".join(map(repr, self.children))
            return f"~({inner})" if self.negated else f"({inner})"
        parts = [repr(query) for query in self.raw]
        parts += [f"{key}={value!r}" for key, value in self.keywords.items()]
        return f"Q({', '.join(parts)})"


def compile_node(document: type[BaseDocument], node: Q) -> dict[str, Any]:
    """The filter for a ``Q`` tree."""
    if node.children:
        compiled = [part for child in node.children if (part := compile_node(document, child))]
        if node.negated:
            return {"$nor": [merge_and(compiled)]} if compiled else {}
        if node.connector == Q.OR:
            return {"$or": compiled} if len(compiled) > 1 else (compiled[0] if compiled else {})
        return merge_and(compiled)
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
