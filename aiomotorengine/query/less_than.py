"""``lt``: Matches values lower than the given one"""

from __future__ import annotations

from aiomotorengine.query.base import ComparisonOperator

__all__ = ["LessThanQueryOperator", "LesserThanQueryOperator"]


class LesserThanQueryOperator(ComparisonOperator):
    """Matches values lower than the given one.

    ``Q(age__lt=20)`` gives ``{"age": {"$lt": 20}}``.
    """

    name = "lt"
    mongo_operator = "$lt"


#: The conventional spelling of the documented name.
LessThanQueryOperator = LesserThanQueryOperator
