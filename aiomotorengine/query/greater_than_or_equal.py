"""``gte``: Matches values greater than or equal to the given one"""

from __future__ import annotations

from aiomotorengine.query.base import ComparisonOperator

__all__ = ["GreaterThanOrEqualQueryOperator"]


class GreaterThanOrEqualQueryOperator(ComparisonOperator):
    """Matches values greater than or equal to the given one.

    ``Q(age__gte=20)`` gives ``{"age": {"$gte": 20}}``.
    """

    name = "gte"
    mongo_operator = "$gte"
