"""``gte``: Matches values greater than or equal to the given one.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import GreaterThanOrEqualQueryOperator

__all__ = ["GreaterThanOrEqualQueryOperator"]
