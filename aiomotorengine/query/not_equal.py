"""``ne``: Matches values not equal to the given one.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import NotEqualQueryOperator

__all__ = ["NotEqualQueryOperator"]
