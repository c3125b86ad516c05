"""``lte``: Matches values lower than or equal to the given one"""

from __future__ import annotations

from aiomotorengine.query.base import ComparisonOperator

__all__ = ["LessThanOrEqualQueryOperator", "LesserThanOrEqualQueryOperator"]


class LesserThanOrEqualQueryOperator(ComparisonOperator):
    """Matches values lower than or equal to the given one.

    ``Q(age__lte=20)`` gives ``{"age": {"$lte": 20}}``.
    """

    name = "lte"
    mongo_operator = "$lte"


#: The conventional spelling of the documented name.
LessThanOrEqualQueryOperator = LesserThanOrEqualQueryOperator
