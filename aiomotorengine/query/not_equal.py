"""``ne``: Matches values not equal to the given one"""

from __future__ import annotations

from aiomotorengine.query.base import ComparisonOperator

__all__ = ["NotEqualQueryOperator"]


class NotEqualQueryOperator(ComparisonOperator):
    """Matches values not equal to the given one.

    ``Q(age__ne=20)`` gives ``{"age": {"$ne": 20}}``.
    """

    name = "ne"
    mongo_operator = "$ne"
