"""Element operators: ``exists`` and ``is_null``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.base.fields import BaseField
from aiomotorengine.query.base import QueryOperator, flag_value

__all__ = ["ExistsQueryOperator", "IsNullQueryOperator"]


class ExistsQueryOperator(QueryOperator):
    """Matches documents that have the field, even when its value is null.

    ``Q(name__exists=True)`` gives ``{"name": {"$exists": True}}``.
    """

    name = "exists"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        return {"$exists": flag_value(self.name, value)}


class IsNullQueryOperator(QueryOperator):
    """``Q(email__is_null=True)`` gives ``{"email": None}`` (null or missing);
    ``Q(email__is_null=False)`` gives ``{"email": {"$ne": None, "$exists": True}}``.
    """

    name = "is_null"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if flag_value(self.name, value):
            return None
        return {"$ne": None, "$exists": True}
