"""``in``: Matches values equal to any of the given ones (for a list field: any item)"""

from __future__ import annotations

from aiomotorengine.query.base import ListOperator

__all__ = ["InQueryOperator"]


class InQueryOperator(ListOperator):
    """Matches values equal to any of the given ones (for a list field: any item).

    ``Q(age__in=[20, 21])`` gives ``{"age": {"$in": [20, 21]}}``.
    """

    name = "in"
    mongo_operator = "$in"
