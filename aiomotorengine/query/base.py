"""``QueryOperator``: the base of the ``field__operator=value`` operators, and their registry.

Every subclass that sets ``name`` registers one instance in ``OPERATORS`` when it is defined;
the compiler looks operator names up there and imports no operator module.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value

__all__ = [
    "OPERATORS",
    "ComparisonOperator",
    "ListOperator",
    "QueryOperator",
    "flag_value",
    "has_operator",
    "query_value",
]


def has_operator(value: Any) -> bool:
    """Whether ``value`` holds a ``$``-prefixed key (an operator) at any depth."""
    if isinstance(value, dict):
        return any(
            (isinstance(key, str) and key.startswith("$")) or has_operator(item)
            for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(has_operator(item) for item in value)
    return False


def query_value(field: BaseField[Any] | None, value: Any) -> Any:
    """One scalar filter value converted by ``field`` (element-wise for lists)."""
    if field is None:
        return value
    return field.element_field().to_query(value)


#: Operator name (``"gt"``) -> the operator, filled by ``QueryOperator.__init_subclass__``.
OPERATORS: dict[str, QueryOperator] = {}


class QueryOperator:
    """An operator usable as ``Q(field__<name>=value)``.

    Subclasses set ``name`` and implement ``condition(field, value)``: the part of the filter
    that goes under the field's path (``{"$gt": 20}`` for ``age__gt=20``).
    """

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not name:
            return  # a shared base (``ComparisonOperator``): nothing to register
        registered = OPERATORS.get(name)
        if registered is not None:
            raise TypeError(
                f"{cls.__qualname__}: the query operator name {name!r} is already taken by "
                f"{type(registered).__qualname__}"
            )
        OPERATORS[name] = cls()

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        raise NotImplementedError

    def to_query(self, field_name: str, value: Any) -> dict[str, Any]:
        """The filter for ``field_name`` with a value already in BSON form (0.x API)."""
        return {field_name: self.condition(None, value)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def flag_value(operator: str, value: Any) -> bool:
    """A ``True``/``False`` operand (``0``/``1`` accepted), never a truthy string."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InvalidQueryError(f"{operator} takes True or False, got {describe_value(value)}")


class ComparisonOperator(QueryOperator):
    """``{"$<op>": value}`` with the value converted by the field."""

    mongo_operator: ClassVar[str] = ""

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        return {self.mongo_operator: query_value(field, value)}


class ListOperator(QueryOperator):
    """``{"$<op>": [values]}`` with each value converted by the field."""

    mongo_operator: ClassVar[str] = ""

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise InvalidQueryError(
                f"the {self.name!r} operator takes a list of values, got {describe_value(value)}"
            )
        return {self.mongo_operator: [query_value(field, item) for item in value]}
