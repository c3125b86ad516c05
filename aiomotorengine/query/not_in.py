"""``nin``: Matches values equal to none of the given ones"""

from __future__ import annotations

from aiomotorengine.query.base import ListOperator

__all__ = ["NotInQueryOperator"]


class NotInQueryOperator(ListOperator):
    """Matches values equal to none of the given ones.

    ``Q(age__nin=[20, 21])`` gives ``{"age": {"$nin": [20, 21]}}``.
    """

    name = "nin"
    mongo_operator = "$nin"
