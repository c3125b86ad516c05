"""``is_null``: null (or missing) values, or the opposite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiomotorengine.query.base import QueryOperator, flag_value

if TYPE_CHECKING:
    from aiomotorengine.base.fields import BaseField

__all__ = ["IsNullQueryOperator"]


class IsNullQueryOperator(QueryOperator):
    """``Q(email__is_null=True)`` gives ``{"email": None}`` (null or missing);
    ``Q(email__is_null=False)`` gives ``{"email": {"$ne": None, "$exists": True}}``.
    """

    name = "is_null"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if flag_value(self.name, value):
            return None
        return {"$ne": None, "$exists": True}
