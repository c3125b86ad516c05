"""``nin``: Matches values equal to none of the given ones.

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import NotInQueryOperator

__all__ = ["NotInQueryOperator"]
