"""``lte``: the upstream module name of ``less_than_or_equal``.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import (
    LesserThanOrEqualQueryOperator,
    LessThanOrEqualQueryOperator,
)

__all__ = ["LessThanOrEqualQueryOperator", "LesserThanOrEqualQueryOperator"]
