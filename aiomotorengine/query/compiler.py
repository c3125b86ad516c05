"""Compile keyword filters into MongoDB filter documents (no I/O).

Names resolve through each field's ``db_field``, through embedded documents and lists of them
(``address__street``, ``items__qty__gt``); values are converted by the field they filter on.
Resolutions, and how each filter keyword converts its values, are cached per model class.

A filter may walk through a reference of a document's own fields (``author__city="Oslo"``): it
compiles to a condition on the marker key ``"$join:author"``, ``{"$join:author": {"$elemMatch":
{"city": "Oslo"}}}``, whose values the referenced model's fields convert. Only the join planner
(:mod:`aiomotorengine.query.joins`) runs such a filter; MongoDB refuses the key anywhere else
("unknown top level operator"), so it never selects documents by mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from aiomotorengine.base.document import BaseDocument
from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError
from aiomotorengine.query.base import OPERATORS, ComparisonOperator, ListOperator, QueryOperator
from aiomotorengine.query.rules import add_condition, and_conditions

__all__ = ["JOIN", "ThroughReference", "compile_filter", "resolve_field_path"]

#: Starts a key, or a path segment, that goes through the reference field named after it.
JOIN = "$join:"

_Resolution = tuple[str, BaseField[Any] | None, QueryOperator | None]


def resolve_field_path(
    document: type[BaseDocument],
    key: str,
    *,
    allow_operator: bool = True,
    through_references: bool = False,
) -> _Resolution:
    """``"address__street__startswith"`` -> (``"address.street"``, the field, the operator).

    Dotted names (``"address.street"``) are accepted too. Unknown names raise
    ``InvalidQueryError`` naming them. Filters (``allow_operator``) walk through references:
    ``"author__city"`` -> (``"$join:author"``, the reference field, a :class:`ThroughReference`);
    other names only with ``through_references`` (sort keys): ``"$join:author.city"``.
    """
    cache = document._query_cache
    cache_key = key if allow_operator else ("\1" if through_references else "\0") + key
    cached = cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]

    parts = key.replace(".", "__").split("__") if "." in key else key.split("__")
    fields: dict[str, BaseField[Any]] | None = document._fields
    field: BaseField[Any] | None = None
    path: list[str] = []
    operator: QueryOperator | None = None
    schemaless = False
    extended = False  # names inside a JsonField: any key is valid, so they are not cached
    for index, part in enumerate(parts):
        if not part or part.startswith("$") or "\0" in part:  # BSON keys cannot hold NUL
            raise InvalidQueryError(f"{document.__name__}: invalid name {key!r}")
        is_last = index == len(parts) - 1
        if fields is not None and part in fields:
            field = fields[part]
            path.append(field.db_field)
            fields = field.sub_fields()
            schemaless = fields is None and field.schemaless
            continue
        if field is None and part in ("id", "pk") and fields is document._fields:
            field = fields.get("_id")
            if field is not None:
                path.append("_id")
                fields = None
                continue
        if allow_operator and is_last and field is not None and part in OPERATORS:
            operator = OPERATORS[part]
            break
        if schemaless:
            path.append(part)
            extended = True
            continue
        where = f"{document.__name__}.{'.'.join(path)}" if path else document.__name__
        if field is not None and fields is None:
            if field.element_field().referenced_document() is not None:
                through = _through_reference(
                    document,
                    key,
                    where,
                    field,
                    parts[index:],
                    embedded=len(path) > 1,
                    allow_operator=allow_operator,
                    through_references=through_references,
                )
                cache[cache_key] = through
                return through
            if allow_operator and is_last:
                raise InvalidQueryError(
                    f"{where}: unknown operator {part!r} (in {key!r}); "
                    f"known: {', '.join(sorted(OPERATORS))}"
                )
            raise InvalidQueryError(f"{where} has no sub-field {part!r} (in {key!r})")
        raise InvalidQueryError(
            f"{where} has no field {part!r} (in {key!r}); "
            f"known: {', '.join(sorted(fields)) if fields else 'none'}"
        )
    resolution: _Resolution = (".".join(path), field, operator)
    if not extended:  # user-chosen keys under a JsonField must not grow the cache forever
        cache[cache_key] = resolution
    return resolution


class ThroughReference(QueryOperator):
    """The condition of a filter through a reference (``author__city="Oslo"``): a referenced
    document matches the rest of the filter (``city="Oslo"``), compiled and converted by the
    referenced model. Made by :func:`resolve_field_path`, never looked up by name."""

    def __init__(self, document: type[BaseDocument], key: str) -> None:
        self.document = document
        self.key = key

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        return {"$elemMatch": compile_filter(self.document, {self.key: value})}

    def __repr__(self) -> str:
        return f"<ThroughReference {self.document.__name__} {self.key!r}>"


def _through_reference(
    document: type[BaseDocument],
    key: str,
    where: str,
    field: BaseField[Any],
    rest: list[str],
    *,
    embedded: bool,
    allow_operator: bool,
    through_references: bool,
) -> _Resolution:
    """The resolution of ``key`` past the reference ``field`` (at ``where``), whose remaining
    parts ``rest`` name fields of the referenced model (``embedded``: ``field`` is inside an
    embedded document)."""
    referenced = field.element_field().referenced_document()
    if not (allow_operator or through_references):
        raise InvalidQueryError(
            f"{where} references {referenced.__name__}: {key!r} reaches into its collection, "
            f"which only a queryset's filters and order_by() can do"
        )
    if embedded or not document._has_collection:
        raise InvalidQueryError(
            f"{where} is a reference inside an embedded document: filters and sorts walk "
            f"through the references of a Document's own fields only (in {key!r})"
        )
    inner = "__".join(rest)
    try:
        if allow_operator:
            resolve_field_path(referenced, inner)  # an unknown name fails now, not when run
            return JOIN + field.db_field, field, ThroughReference(referenced, inner)
        path, inner_field, _ = resolve_field_path(
            referenced, inner, allow_operator=False, through_references=True
        )
    except InvalidQueryError as error:
        raise InvalidQueryError(f"{where} (in {key!r}): {error}") from None
    return f"{JOIN}{field.db_field}.{path}", inner_field, None


def _equality(field: BaseField[Any] | None, value: Any) -> Any:
    if field is None:
        return value
    if isinstance(value, (list, tuple)) and field.element_field() is not field:
        # A list for a ListField means "contains all of these", as in 0.x.
        return {"$all": field.to_query(value)}
    return field.to_query(value)


def _each(
    operator: ListOperator, field: BaseField[Any], convert: Callable[[Any], Any], value: Any
) -> Any:
    """``ListOperator.condition(field, value)`` with ``convert``, the field's element
    ``to_query``, at hand."""
    if not isinstance(value, (list, tuple, set, frozenset)):
        return operator.condition(field, value)  # the operator's own error
    items = []
    for item in value:
        items.append(convert(item))
    return {operator.mongo_operator: items}


#: A compiled keyword: (path, convert, key). Its condition for ``value`` is
#: ``convert(value)``, or with a key (an operator such as ``"$gt"``), ``{key: convert(value)}``.
_Compiled = tuple[str, Callable[[Any], Any], str | None]


def _compile_key(
    document: type[BaseDocument], key: str, compiled: dict[str, _Compiled]
) -> _Compiled:
    """How keyword ``key`` compiles: its path and how its values become its condition,
    remembered in ``compiled`` when the resolution is cached (not for names under a
    ``JsonField``, whose keys are the user's).

    The conditions are exactly those of ``_equality`` and of the operator's ``condition``,
    with the calls that do not depend on the value made here, once: an equality on a scalar
    field is the field's ``to_query``, a comparison (``gt``) is its element field's
    ``to_query`` under the operator. An operator class that overrides ``condition`` is always
    called."""
    resolution = resolve_field_path(document, key)
    path, field, operator = resolution
    convert: Callable[[Any], Any]
    wrap: str | None = None
    if operator is None:
        if field is not None and field.element_field() is field:
            convert = field.to_query
        else:
            convert = partial(_equality, field)
    elif field is None:
        convert = partial(operator.condition, None)
    elif (
        isinstance(operator, ComparisonOperator)
        and type(operator).condition is ComparisonOperator.condition
    ):
        convert, wrap = field.element_field().to_query, operator.mongo_operator
    elif isinstance(operator, ListOperator) and type(operator).condition is ListOperator.condition:
        convert = partial(_each, operator, field, field.element_field().to_query)
    else:
        convert = partial(operator.condition, field)
    entry: _Compiled = (path, convert, wrap)
    if document._query_cache.get(key) is resolution:
        compiled[key] = entry
    return entry


def compile_filter(document: type[BaseDocument], keywords: dict[str, Any]) -> dict[str, Any]:
    """The filter for keyword conditions (ANDed), e.g. ``{"age__gt": 20}``; conditions on one
    path merge by the rulebook's :func:`~aiomotorengine.query.rules.add_condition`.

    Each keyword compiles once per model (``_compile_key``); what remains per call is the
    conversion of each value by its field's ``to_query``."""
    compiled = document._compiled_filters
    result: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] | None = None
    for key, value in keywords.items():
        entry = compiled.get(key)
        if entry is None:
            entry = _compile_key(document, key, compiled)
        path, convert, wrap = entry
        try:
            condition = convert(value) if wrap is None else {wrap: convert(value)}
        except InvalidQueryError as error:
            # Name the queried model and the filter, whatever layer found the problem.
            raise InvalidQueryError(f"{document.__name__}.{key}: {error}") from None
        if path in result:
            if conflicts is None:
                conflicts = []
            add_condition(result, conflicts, path, condition)
        else:
            result[path] = condition  # add_condition's first case, inlined: this loop is hot
    return and_conditions(result, conflicts) if conflicts else result
