"""Comparison operators: ``gt``, ``gte``, ``lt``, ``lte``, ``ne``, ``in``, ``nin``.

Values are converted by the field they filter on (element-wise for ``in``/``nin``).
"""

from __future__ import annotations

from aiomotorengine.query.base import ComparisonOperator, ListOperator

__all__ = [
    "GreaterThanOrEqualQueryOperator",
    "GreaterThanQueryOperator",
    "InQueryOperator",
    "LessThanOrEqualQueryOperator",
    "LessThanQueryOperator",
    "LesserThanOrEqualQueryOperator",
    "LesserThanQueryOperator",
    "NotEqualQueryOperator",
    "NotInQueryOperator",
]


class GreaterThanQueryOperator(ComparisonOperator):
    """Matches values greater than the given one.

    ``Q(age__gt=20)`` gives ``{"age": {"$gt": 20}}``.
    """

    name = "gt"
    mongo_operator = "$gt"


class GreaterThanOrEqualQueryOperator(ComparisonOperator):
    """Matches values greater than or equal to the given one.

    ``Q(age__gte=20)`` gives ``{"age": {"$gte": 20}}``.
    """

    name = "gte"
    mongo_operator = "$gte"


class LesserThanQueryOperator(ComparisonOperator):
    """Matches values lower than the given one.

    ``Q(age__lt=20)`` gives ``{"age": {"$lt": 20}}``.
    """

    name = "lt"
    mongo_operator = "$lt"


class LesserThanOrEqualQueryOperator(ComparisonOperator):
    """Matches values lower than or equal to the given one.

    ``Q(age__lte=20)`` gives ``{"age": {"$lte": 20}}``.
    """

    name = "lte"
    mongo_operator = "$lte"


class NotEqualQueryOperator(ComparisonOperator):
    """Matches values not equal to the given one.

    ``Q(age__ne=20)`` gives ``{"age": {"$ne": 20}}``.
    """

    name = "ne"
    mongo_operator = "$ne"


class InQueryOperator(ListOperator):
    """Matches values equal to any of the given ones (for a list field: any item).

    ``Q(age__in=[20, 21])`` gives ``{"age": {"$in": [20, 21]}}``.
    """

    name = "in"
    mongo_operator = "$in"


class NotInQueryOperator(ListOperator):
    """Matches values equal to none of the given ones.

    ``Q(age__nin=[20, 21])`` gives ``{"age": {"$nin": [20, 21]}}``.
    """

    name = "nin"
    mongo_operator = "$nin"


#: The conventional spellings of the documented names.
LessThanQueryOperator = LesserThanQueryOperator
LessThanOrEqualQueryOperator = LesserThanOrEqualQueryOperator
