"""``gt``: Matches values greater than the given one.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import GreaterThanQueryOperator

__all__ = ["GreaterThanQueryOperator"]
