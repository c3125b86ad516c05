"""``Pipeline``: an aggregation pipeline built stage by stage, compiled as it grows (no I/O).

``Model.objects.aggregate`` (:class:`aiomotorengine.queryset.aggregation.Aggregation`) adds
running it. Stages are compiled when added: names are attribute names translated to their
``db_field`` while the pipeline still carries the model's documents; after a stage that reshapes
them (``group_by``, ``project``, ``count``, a raw ``$group``...) names are taken as given
(``"_id.name"``, an accumulator's alias). ``__`` separates path parts in either case. Names, sort
keys, counts and merged conditions follow :mod:`aiomotorengine.query.rules`, as querysets do::

    pipeline = (
        User.objects.aggregate.match(age__gte=18)
        .group_by("country", Aggregation.avg("age", alias="average_age"))
        .order_by("average_age", DESCENDING)
        .to_query()
    )
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pymongo import ASCENDING

from aiomotorengine.base.document import CollectionDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.query.base import OPERATORS, has_operator
from aiomotorengine.query.compiler import resolve_field_path
from aiomotorengine.query.joins import uses_joins
from aiomotorengine.query.q import Q, compile_arguments
from aiomotorengine.query.rules import (
    FieldName,
    add_condition,
    and_conditions,
    count_argument,
    field_name,
    merge_and,
    sort_key,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Accumulator", "Pipeline"]

D = TypeVar("D", bound=CollectionDocument)

# Stages after which documents no longer have the model's shape.
_RESHAPING_STAGES = frozenset(
    {
        "$group",
        "$project",
        "$replaceRoot",
        "$replaceWith",
        "$count",
        "$bucket",
        "$bucketAuto",
        "$facet",
        "$sortByCount",
        "$unset",
    }
)


class Accumulator:
    """A ``$group`` accumulator, built by ``Aggregation.avg``/``sum``/``min``/``max``/
    ``first``/``last``/``push``. ``field`` is a name or field (``sum`` also takes a number,
    e.g. ``Aggregation.sum(1, alias="count")``); ``alias`` names the output (default: the
    field's name)."""

    def __init__(self, operator: str, field: FieldName | int | float, alias: str | None) -> None:
        if alias is None and not isinstance(field, (str, BaseField)):
            raise InvalidQueryError(
                f"Aggregation.{operator.lstrip('$')}({field!r}) needs an alias for its output"
            )
        self.operator = operator
        self.field = field
        self.alias = alias

    def __repr__(self) -> str:
        return f"<Accumulator {self.operator} {self.field!r} as {self.alias!r}>"

    def to_query(self, pipeline: Pipeline[Any]) -> dict[str, Any]:
        """The accumulator's entry in ``pipeline``'s next ``$group`` stage."""
        field = self.field
        if isinstance(field, (str, BaseField)):
            name = pipeline._name(field)
            expression: Any = "$" + pipeline._path(name)
            alias = self.alias or name.replace("__", ".").split(".")[-1]
        else:
            expression = field
            alias = self.alias or ""
        return {alias: {self.operator: expression}}


class Pipeline(Generic[D]):
    """An aggregation pipeline on ``document``'s collection; every method adds a stage and
    returns the builder, and ``.to_query()`` is the pipeline list::

        Pipeline(Post).unwind("tags").group_by(
            "tags", Pipeline.sum(1, alias="count")
        ).order_by("count", DESCENDING).limit(10).to_query()
    """

    def __init__(self, document: type[D]) -> None:
        self._document = document
        self._where = f"{document.__name__}.objects.aggregate"
        self._pipeline: list[dict[str, Any]] = []
        self._grouped = False
        self._model_shaped = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._document.__name__} {self._pipeline!r}>"

    # --- accumulators (upstream API) -----------------------------------------------------
    @staticmethod
    def avg(field: FieldName, alias: str | None = None) -> Accumulator:
        """The average of ``field`` in each group (``$avg``)."""
        return Accumulator("$avg", field, alias)

    @staticmethod
    def sum(field: FieldName | int | float, alias: str | None = None) -> Accumulator:
        """The sum of ``field`` (or of a number: ``sum(1, alias="count")``) per group."""
        return Accumulator("$sum", field, alias)

    @staticmethod
    def min(field: FieldName, alias: str | None = None) -> Accumulator:
        """The smallest value of ``field`` in each group."""
        return Accumulator("$min", field, alias)

    @staticmethod
    def max(field: FieldName, alias: str | None = None) -> Accumulator:
        """The largest value of ``field`` in each group."""
        return Accumulator("$max", field, alias)

    @staticmethod
    def first(field: FieldName, alias: str | None = None) -> Accumulator:
        """The value of ``field`` in each group's first document."""
        return Accumulator("$first", field, alias)

    @staticmethod
    def last(field: FieldName, alias: str | None = None) -> Accumulator:
        """The value of ``field`` in each group's last document."""
        return Accumulator("$last", field, alias)

    @staticmethod
    def push(field: FieldName, alias: str | None = None) -> Accumulator:
        """Every value of ``field`` in each group, as a list."""
        return Accumulator("$push", field, alias)

    # --- names ---------------------------------------------------------------------------
    def _name(self, field: FieldName) -> str:
        # A field object must be the model's own only while documents have the model's shape.
        return field_name(self._document, field, self._where, own=self._model_shaped)

    def _path(self, name: str) -> str:
        if self._model_shaped:
            path, _, _ = resolve_field_path(self._document, name, allow_operator=False)
            return path
        return self._free_path(name)

    def _free_path(self, name: str) -> str:
        """A result key's dotted path (after a reshaping stage): no empty, ``$`` or NUL parts."""
        path = name.replace("__", ".")
        if "\0" in path or any(not part or part.startswith("$") for part in path.split(".")):
            raise InvalidQueryError(f"{self._where}: invalid name {name!r}")
        return path

    def _add(self, stage: dict[str, Any]) -> Self:
        self._pipeline.append(stage)
        if any(key in _RESHAPING_STAGES for key in stage):
            self._model_shaped = False
        return self

    # --- stages --------------------------------------------------------------------------
    def match(self, *args: Q | Mapping[str, Any], **filters: Any) -> Self:
        """``$match``: keywords and ``Q`` objects compiled as by ``filter()`` (after a
        reshaping stage, keywords name result keys: ``match(count__gt=1)``); raw dicts pass
        through."""
        if self._model_shaped:
            query = compile_arguments(self._document, args, filters)
            if uses_joins([query]):
                raise InvalidQueryError(
                    f"{self._where}.match(): a filter through a reference goes on the queryset "
                    f"(Model.objects.filter(...).aggregate), which joins what it needs"
                )
        else:
            parts: list[dict[str, Any]] = []
            for arg in args:
                if isinstance(arg, Mapping) and not isinstance(arg, Q):
                    parts.append(dict(arg))
                else:
                    raise InvalidQueryError(
                        f"{self._where}.match(): after a reshaping stage, pass keywords or "
                        f"raw dicts, got {describe_value(arg)}"
                    )
            parts.append(self._free_filter(filters))
            query = merge_and(parts)
        return self._add({"$match": query})

    def _free_filter(self, filters: dict[str, Any]) -> dict[str, Any]:
        """Keyword conditions on result keys, merged as ``compile_filter`` merges them."""
        conditions: dict[str, Any] = {}
        conflicts: list[dict[str, Any]] = []
        for key, value in filters.items():
            # No field converts these values: operators come from names only, never values.
            if has_operator(value):
                raise InvalidQueryError(
                    f"{self._where}.match(): {key!r} got {describe_value(value)}, whose '$' "
                    f"keys would act as operators; name the operator in the keyword "
                    f"({key}__gt=...) or pass a raw dict"
                )
            head, _, last = key.rpartition("__")
            if head and last in OPERATORS:
                condition = OPERATORS[last].condition(None, value)
                path = self._free_path(head)
            else:
                condition, path = value, self._free_path(key)
            add_condition(conditions, conflicts, path, condition)
        return and_conditions(conditions, conflicts)

    def group_by(self, *fields_or_accumulators: FieldName | Accumulator) -> Self:
        """``$group`` on the fields given (the first ``group_by`` groups on
        ``{name: "$name"}``, later ones on ``"$_id.name"``), computing the accumulators::

            .group_by("country", Aggregation.avg("age", alias="average_age"))
        """
        group_id: dict[str, Any] = {}
        accumulators: dict[str, Any] = {}
        for item in fields_or_accumulators:
            if isinstance(item, Accumulator):
                accumulators.update(item.to_query(self))
                continue
            name = self._name(item)
            key = name.replace("__", ".").split(".")[-1]
            if self._grouped:
                group_id[key] = "$_id." + self._free_path(name)
            else:
                group_id[key] = "$" + self._path(name)
        if "_id" in accumulators:
            raise InvalidQueryError("group_by(): an accumulator cannot be named '_id'")
        self._grouped = True
        return self._add({"$group": {"_id": group_id or None, **accumulators}})

    def unwind(self, field: FieldName, preserve_null_and_empty_arrays: bool = False) -> Self:
        """``$unwind``: one document per item of the list ``field``."""
        path = "$" + self._path(self._name(field))
        if preserve_null_and_empty_arrays:
            return self._add({"$unwind": {"path": path, "preserveNullAndEmptyArrays": True}})
        return self._add({"$unwind": path})

    def order_by(self, field: FieldName, direction: int = ASCENDING) -> Self:
        """``$sort`` by ``field`` (``"-name"`` for descending); consecutive calls add keys to
        the same ``$sort`` stage."""
        name, direction = sort_key(
            self._document, field, direction, self._where, own=self._model_shaped
        )
        path = self._path(name)
        last = self._pipeline[-1] if self._pipeline else None
        if last is not None and set(last) == {"$sort"}:
            last["$sort"].pop(path, None)
            last["$sort"][path] = direction
            return self
        return self._add({"$sort": {path: direction}})

    def project(self, *fields: FieldName, **expressions: Any) -> Self:
        """``$project``: keep ``fields``; keywords add computed keys (``total="$price"``) or
        include/exclude (``_id=0``)."""
        projection: dict[str, Any] = {}
        for field in fields:
            projection[self._path(self._name(field))] = 1
        for key, expression in expressions.items():
            projection[key.replace("__", ".")] = expression
        if not projection:
            raise InvalidQueryError("aggregate.project() needs at least one field")
        return self._add({"$project": projection})

    def limit(self, count: int) -> Self:
        """``$limit``: at most ``count`` results."""
        return self._add({"$limit": count_argument(f"{self._where}.limit", count, minimum=1)})

    def skip(self, count: int) -> Self:
        """``$skip``: drop the first ``count`` results."""
        return self._add({"$skip": count_argument(f"{self._where}.skip", count)})

    def count(self, name: str = "count") -> Self:
        """``$count``: one result ``{name: number of documents}`` (none when there are none)."""
        if (
            not isinstance(name, str)
            or not name
            or name.startswith("$")
            or "." in name
            or "\0" in name
        ):
            raise InvalidQueryError(f"aggregate.count() needs a plain key name, got {name!r}")
        return self._add({"$count": name})

    def lookup(
        self,
        target: FieldName | type[CollectionDocument],
        local_field: str | None = None,
        foreign_field: str = "_id",
        as_: str | None = None,
    ) -> Self:
        """``$lookup`` (a join, on the same database). ``lookup("author")`` joins a
        ``ReferenceField`` (or a list of references) to its collection, into ``author``;
        otherwise give the model (or collection name) and the fields::

            .lookup(Comment, local_field="_id", foreign_field="post", as_="comments")
        """
        if isinstance(target, (str, BaseField)) and local_field is None:
            name = self._name(target)
            path, field, _ = resolve_field_path(self._document, name, allow_operator=False)
            reference_type = (
                field.element_field().referenced_document() if field is not None else None
            )
            if reference_type is None:
                raise InvalidQueryError(
                    f"{self._document.__name__}.{name} is not a reference; give "
                    f"lookup(model_or_collection, local_field=..., foreign_field=..., as_=...)"
                )
            stage = {
                "from": reference_type.__collection__,
                "localField": path,
                "foreignField": "_id",
                "as": as_ or name,
            }
            return self._add({"$lookup": stage})
        if local_field is None or as_ is None:
            raise InvalidQueryError("aggregate.lookup(): give local_field= and as_=")
        if isinstance(target, type) and issubclass(target, CollectionDocument):
            collection = target.__collection__
            foreign, _, _ = resolve_field_path(target, foreign_field, allow_operator=False)
        elif isinstance(target, str):
            collection, foreign = target, foreign_field.replace("__", ".")
        else:
            raise InvalidQueryError(
                f"aggregate.lookup(): expected a Document class or a collection name, got "
                f"{describe_value(target)}"
            )
        stage = {
            "from": collection,
            "localField": self._path(local_field),
            "foreignField": foreign,
            "as": as_,
        }
        return self._add({"$lookup": stage})

    def raw(self, pipeline: Sequence[Mapping[str, Any]]) -> Self:
        """Append raw pipeline stages, sent unchanged."""
        if isinstance(pipeline, Mapping):
            pipeline = [pipeline]
        for stage in pipeline:
            if not isinstance(stage, Mapping):
                raise InvalidQueryError(
                    f"aggregate.raw() takes a list of stage dicts, got {describe_value(stage)}"
                )
            self._add(dict(stage))
        return self

    def to_query(self) -> list[dict[str, Any]]:
        """The pipeline, as sent to MongoDB."""
        return list(self._pipeline)
