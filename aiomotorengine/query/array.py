"""Array operators: ``all``, ``size``, ``elem_match``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.query.base import OPERATORS, ListOperator, QueryOperator
from aiomotorengine.query.q import Q, compile_node

__all__ = ["AllQueryOperator", "ElemMatchQueryOperator", "SizeQueryOperator"]


class AllQueryOperator(ListOperator):
    """Arrays containing every given value: ``Q(tags__all=["a", "b"])``."""

    name = "all"
    mongo_operator = "$all"


class SizeQueryOperator(QueryOperator):
    """Arrays of exactly ``n`` items: ``Q(tags__size=2)`` gives ``{"tags": {"$size": 2}}``."""

    name = "size"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidQueryError(f"size takes a non-negative int, got {describe_value(value)}")
        return {"$size": value}


class ElemMatchQueryOperator(QueryOperator):
    """Arrays with one item matching every condition.

    For a list of embedded documents, give keyword filters of the embedded model (or a ``Q``):
    ``Q(items__elem_match={"sku": "a", "qty__gt": 2})``. For a list of scalars, give operator
    names: ``Q(scores__elem_match={"gte": 80, "lt": 85})``.
    """

    name = "elem_match"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        embedded = field.element_field().embedded_document() if field is not None else None
        if embedded is not None:
            if isinstance(value, dict):
                value = Q(**value)
            if not isinstance(value, Q):
                raise InvalidQueryError(
                    f"elem_match on {field!r} takes a dict of filters or a Q, "
                    f"got {describe_value(value)}"
                )
            return {"$elemMatch": compile_node(embedded, value)}
        if not isinstance(value, dict) or not value:
            raise InvalidQueryError(
                f"elem_match takes a dict of operators, got {describe_value(value)}"
            )
        conditions: dict[str, Any] = {}
        for name, operand in value.items():
            operator = OPERATORS.get(name)
            if operator is None:
                raise InvalidQueryError(f"elem_match: unknown operator {name!r}")
            condition = operator.condition(field, operand)
            if not isinstance(condition, dict):
                condition = {"$eq": condition}  # is_null=True: the item is null
            conditions.update(condition)
        return {"$elemMatch": conditions}
