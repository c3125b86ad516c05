"""``exists``: documents that have (or lack) the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiomotorengine.query.base import QueryOperator, flag_value

if TYPE_CHECKING:
    from aiomotorengine.base.fields import BaseField

__all__ = ["ExistsQueryOperator"]


class ExistsQueryOperator(QueryOperator):
    """Matches documents that have the field, even when its value is null.

    ``Q(name__exists=True)`` gives ``{"name": {"$exists": True}}``.
    """

    name = "exists"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        return {"$exists": flag_value(self.name, value)}
