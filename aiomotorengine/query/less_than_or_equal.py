"""``lte``: Matches values lower than or equal to the given one.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import (
    LesserThanOrEqualQueryOperator,
    LessThanOrEqualQueryOperator,
)

__all__ = ["LessThanOrEqualQueryOperator", "LesserThanOrEqualQueryOperator"]
