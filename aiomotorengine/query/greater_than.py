"""``gt``: Matches values greater than the given one"""

from __future__ import annotations

from aiomotorengine.query.base import ComparisonOperator

__all__ = ["GreaterThanQueryOperator"]


class GreaterThanQueryOperator(ComparisonOperator):
    """Matches values greater than the given one.

    ``Q(age__gt=20)`` gives ``{"age": {"$gt": 20}}``.
    """

    name = "gt"
    mongo_operator = "$gt"
