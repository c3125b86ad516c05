"""``lt``: the upstream module name of ``less_than``.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import LesserThanQueryOperator, LessThanQueryOperator

__all__ = ["LessThanQueryOperator", "LesserThanQueryOperator"]
