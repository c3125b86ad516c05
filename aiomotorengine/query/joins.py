"""Queries through references, planned as one aggregation pipeline (no I/O).

A filter through a reference compiles to a condition on a ``"$join:<field>"`` key
(:mod:`aiomotorengine.query.compiler`), a sort key to a ``"$join:<field>.<path>"`` path. The
planner turns a queryset's filters, sort, paging, projection and ``select_related`` names into
the stages::

    $match    the conditions that touch no reference: they run first, on the local indexes
    $lookup   per reference a condition or the sort reads: its documents by _id into the array
              "__join_<field>", the conditions ANDed on that reference moved into the
              lookup's own pipeline (and the fields read elsewhere projected there)
    $match    the other conditions, on the arrays ($elemMatch: an empty array, a dangling
              reference, never matches)
    $sort, $skip, $limit
    $lookup   per reference only select_related() names, after paging: fewer lookups
    $project  only()/exclude(), and the arrays nothing loads

The same plan repeats inside each ``$lookup`` for the references of the referenced model
(``author__company__name``, ``select_related("author__company")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiomotorengine.base.document import (
    REFERENCE,
    REFERENCE_LIST,
    BaseDocument,
    CollectionDocument,
)
from aiomotorengine.base.fields import BaseField
from aiomotorengine.base.state import Projection
from aiomotorengine.errors import InvalidQueryError
from aiomotorengine.query.compiler import JOIN
from aiomotorengine.query.rules import merge_and

__all__ = [
    "JOINED",
    "Join",
    "JoinPlan",
    "filter_pipeline",
    "plan_joins",
    "refuse_joins",
    "related_paths",
    "uses_joins",
]

#: The prefix of the arrays the lookups write: ``"__join_author"``.
JOINED = "__join_"

_LOGICAL = ("$and", "$or", "$nor")


class Join:
    """One reference field joined by a ``$lookup``, and what the pipeline needs of it."""

    __slots__ = (
        "document",
        "field",
        "joins",
        "many",
        "name",
        "pushed",
        "reads",
        "selected",
        "uses",
    )

    def __init__(self, field: BaseField[Any], document: type[CollectionDocument]) -> None:
        #: The reference field (a ``ReferenceField`` or a ``ListField`` of them).
        self.field = field
        #: The referenced model.
        self.document = document
        #: The array the lookup writes.
        self.name = JOINED + field.db_field
        self.many = field.element_field() is not field
        #: Loaded into the documents (``select_related``): the whole referenced documents.
        self.selected = False
        #: How many conditions and sort keys of the level above read the array.
        self.uses = 0
        #: Conditions on the referenced model moved into the lookup's pipeline.
        self.pushed: list[dict[str, Any]] = []
        #: The referenced documents' keys the level above reads (``None``: any of them).
        self.reads: set[str] | None = set()
        #: The joins of the referenced model's own references, by stored key.
        self.joins: dict[str, Join] = {}

    def __repr__(self) -> str:
        return f"<Join {self.field!r} -> {self.document.__name__}>"


@dataclass(frozen=True)
class JoinPlan:
    """The pipeline of a query through references, and its joins (by stored key), which say
    what the results carry: the arrays of ``Join.name`` hold the documents to load."""

    pipeline: list[dict[str, Any]]
    joins: dict[str, Join]


def uses_joins(filters: Iterable[dict[str, Any]], sort: Iterable[tuple[str, int]] = ()) -> bool:
    """Whether the filters or sort keys go through a reference (a ``find`` cannot run them)."""
    # Loops, not any(): every query asks, and a generator costs calls.
    for query in filters:
        if _has_join(query):
            return True
    for key, _ in sort:  # noqa: SIM110
        if key.startswith(JOIN):
            return True
    return False


def _has_join(query: dict[str, Any]) -> bool:
    for key, value in query.items():
        if key.startswith(JOIN):
            return True
        if (
            key in _LOGICAL
            and isinstance(value, list)
            and any(isinstance(item, dict) and _has_join(item) for item in value)
        ):
            return True
    return False


def refuse_joins(
    document: type[BaseDocument], filters: Iterable[dict[str, Any]], action: str
) -> None:
    """Raise for a filter through a reference where only a ``find`` filter fits: writes and
    ``distinct()`` select their documents by the collection's own fields."""
    if uses_joins(filters):
        raise InvalidQueryError(
            f"{document.__name__}.objects {action}(): the filter goes through a reference, "
            f"which only queries that read documents can do (one aggregation); {action}() "
            f"the documents by their own fields or ids instead"
        )


def related_paths(document: type[BaseDocument], names: Sequence[str]) -> tuple[str, ...]:
    """The ``select_related`` names, checked: each part a reference field of the model before
    it (``"author__company"``); none named: every reference field of ``document``."""
    if not names:
        return tuple(_references(document))
    paths = []
    for name in names:
        model = document
        for part in name.replace(".", "__").split("__"):
            field = model._fields.get(part)
            referenced = None if field is None else field.element_field().referenced_document()
            if referenced is None:
                what = "no field" if field is None else "no reference field"
                raise InvalidQueryError(
                    f"{document.__name__}.objects.select_related({name!r}): {model.__name__} "
                    f"has {what} {part!r}; known references: "
                    f"{', '.join(_references(model)) or 'none'}"
                )
            model = referenced
        paths.append(name.replace(".", "__"))
    return tuple(dict.fromkeys(paths))


def _references(document: type[BaseDocument]) -> list[str]:
    return [
        name
        for name, _, kind, _ in document.reference_plan()
        if kind in (REFERENCE, REFERENCE_LIST)
    ]


def plan_joins(
    document: type[BaseDocument],
    filters: Sequence[dict[str, Any]],
    *,
    sort: Sequence[tuple[str, int]] = (),
    skip: int = 0,
    limit: int = 0,
    projection: Projection | None = None,
    related: Sequence[str] = (),
) -> JoinPlan:
    """The pipeline that finds ``document``'s documents matching ``filters`` (compiled, with
    ``$join:`` keys), sorted, paged and projected, with the references ``related`` names loaded
    (see :func:`related_paths`)."""
    joins: dict[str, Join] = {}
    for name in related:
        model, level = document, joins
        for part in name.split("__"):
            join = _join(model, level, model._fields[part].db_field)
            join.selected = True
            join.reads = None
            model, level = join.document, join.joins
    if projection is not None:
        for join in joins.values():
            if join.selected and join.field.name not in projection.fields:
                raise InvalidQueryError(
                    f"{document.__name__}.objects: select_related({join.field.name!r}) loads a "
                    f"field that only()/exclude() leaves out; load it too"
                )
    paging: list[dict[str, Any]] = []
    if skip:
        paging.append({"$skip": skip})
    if limit:
        paging.append({"$limit": limit})
    stages = _stages(document, _and_parts(merge_and(list(filters))), joins, sort, paging)
    dropped = [join.name for join in joins.values() if not join.selected]
    if projection is not None and not projection.excluding:
        kept = projection.to_find()
        kept.update((join.name, 1) for join in joins.values() if join.selected)
        stages.append({"$project": kept})
    elif projection is not None or dropped:
        removed = projection.to_find() if projection is not None else {}
        removed.update(dict.fromkeys(dropped, 0))
        stages.append({"$project": removed})
    return JoinPlan(stages, joins)


def filter_pipeline(document: type[BaseDocument], filters: Sequence[dict[str, Any]]) -> JoinPlan:
    """The stages that keep ``document``'s documents matching ``filters``, in the model's shape
    (the arrays removed with ``$addFields``, not ``$project``): the start of an aggregation."""
    joins: dict[str, Join] = {}
    stages = _stages(document, _and_parts(merge_and(list(filters))), joins, (), [])
    if joins:
        stages.append({"$addFields": {join.name: "$$REMOVE" for join in joins.values()}})
    return JoinPlan(stages, joins)


def _join(document: type[BaseDocument], joins: dict[str, Join], key: str) -> Join:
    """The join of ``document``'s reference stored at ``key``, registered on first use."""
    join = joins.get(key)
    if join is None:
        field = document._fields_by_db_field.get(key)
        referenced = None if field is None else field.element_field().referenced_document()
        if field is None or referenced is None:
            raise InvalidQueryError(f"{document.__name__}: {key!r} is not a reference field")
        join = joins[key] = Join(field, referenced)
    return join


def _and_parts(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The conditions ANDed in ``query``, one per key, ``$and`` flattened."""
    parts: list[dict[str, Any]] = []
    for key, value in query.items():
        if key == "$and" and isinstance(value, list) and all(isinstance(i, dict) for i in value):
            for item in value:
                parts.extend(_and_parts(item))
        else:
            parts.append({key: value})
    return parts


def _stages(
    document: type[BaseDocument],
    parts: list[dict[str, Any]],
    joins: dict[str, Join],
    sort: Sequence[tuple[str, int]],
    paging: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The stages of one level: ``document``'s conditions ``parts``, with ``joins`` already
    holding what the level above needs (selected, read, used)."""
    local = [part for part in parts if not _has_join(part)]
    joined = [part for part in parts if _has_join(part)]
    for part in joined:
        for key in _join_keys(part):
            _join(document, joins, key).uses += 1
    for key, _ in sort:
        if key.startswith(JOIN):
            _join(document, joins, key.partition(".")[0][len(JOIN) :]).uses += 1

    conditions: list[dict[str, Any]] = []
    present: dict[str, Any] = {}
    for part in joined:
        join = _pushable(part, joins)
        if join is None:
            conditions.append(_rewrite(document, part, joins))
        else:
            # ANDed at this level: the lookup itself keeps only the matching documents.
            join.pushed.append(part[JOIN + join.field.db_field]["$elemMatch"])
            present[join.name] = {"$ne": []}
    sort_stage = {_sort_path(document, key, joins): direction for key, direction in sort}

    stages: list[dict[str, Any]] = []
    if local:
        stages.append({"$match": merge_and(local)})
    stages.extend(_lookup(join) for join in joins.values() if join.uses)
    if present or conditions:
        stages.append({"$match": merge_and([present, *conditions])})
    if sort_stage:
        stages.append({"$sort": sort_stage})
    stages.extend(paging)
    stages.extend(_lookup(join) for join in joins.values() if not join.uses)
    return stages


def _pushable(part: dict[str, Any], joins: dict[str, Join]) -> Join | None:
    """The join whose lookup can take the condition ``part`` (ANDed at its level): a single
    reference, or a list of them that nothing else reads (the lookup drops the documents
    that do not match)."""
    if len(part) != 1:
        return None
    ((key, value),) = part.items()
    if not key.startswith(JOIN) or not isinstance(value, dict) or set(value) != {"$elemMatch"}:
        return None
    join = joins[key[len(JOIN) :]]
    if join.many and (join.uses > 1 or join.selected):
        return None
    return join


def _join_keys(query: dict[str, Any]) -> list[str]:
    """The references (stored keys) ``query`` goes through at its own level."""
    keys: list[str] = []
    for key, value in query.items():
        if key.startswith(JOIN):
            keys.append(key[len(JOIN) :])
        elif key in _LOGICAL and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    keys.extend(_join_keys(item))
    return keys


def _rewrite(
    document: type[BaseDocument], query: dict[str, Any], joins: dict[str, Join]
) -> dict[str, Any]:
    """``query`` with its ``$join:`` keys turned into the arrays' names, noting what each
    join's documents must keep for it."""
    rewritten: dict[str, Any] = {}
    for key, value in query.items():
        if key.startswith(JOIN):
            join = _join(document, joins, key[len(JOIN) :])
            inner = value.get("$elemMatch") if isinstance(value, dict) else None
            if not isinstance(inner, dict) or len(value) != 1:
                raise InvalidQueryError(
                    f"{document.__name__}: a condition on {key!r} must be {{'$elemMatch': {{...}}}}"
                )
            _read(join, inner)
            rewritten[join.name] = {"$elemMatch": _rewrite(join.document, inner, join.joins)}
        elif key in _LOGICAL and isinstance(value, list):
            rewritten[key] = [
                _rewrite(document, item, joins) if isinstance(item, dict) else item
                for item in value
            ]
        else:
            rewritten[key] = value
    return rewritten


def _read(join: Join, query: dict[str, Any]) -> None:
    """Note the keys of ``join``'s documents that the condition ``query`` reads."""
    for key, value in query.items():
        if key.startswith(JOIN):
            _join(join.document, join.joins, key[len(JOIN) :]).uses += 1
            _add_read(join, JOINED + key[len(JOIN) :])
        elif key in _LOGICAL and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _read(join, item)
        elif key.startswith("$"):
            join.reads = None  # an operator of its own ($expr...): keep whole documents
        else:
            _add_read(join, key.split(".", 1)[0])


def _add_read(join: Join, key: str) -> None:
    if join.reads is not None:
        join.reads.add(key)


def _sort_path(document: type[BaseDocument], key: str, joins: dict[str, Join]) -> str:
    """A sort key with its ``$join:`` segments turned into the arrays' names."""
    if not key.startswith(JOIN):
        return key
    head, _, rest = key.partition(".")
    join = _join(document, joins, head[len(JOIN) :])
    if rest.startswith(JOIN):
        _join(join.document, join.joins, rest.partition(".")[0][len(JOIN) :]).uses += 1
    inner = _sort_path(join.document, rest, join.joins)
    _add_read(join, inner.partition(".")[0])
    return f"{join.name}.{inner}"


def _lookup(join: Join) -> dict[str, Any]:
    """The ``$lookup`` of ``join``, its pipeline planned like the level above."""
    stages = _stages(join.document, _and_parts(merge_and(join.pushed)), join.joins, (), [])
    if join.reads is not None:
        stages.append({"$project": dict.fromkeys(sorted(join.reads), 1) or {"_id": 1}})
    lookup: dict[str, Any] = {
        "from": join.document.__collection__,
        "localField": join.field.db_field,
        "foreignField": "_id",
        "as": join.name,
    }
    if stages:
        lookup["pipeline"] = stages
    return {"$lookup": lookup}
