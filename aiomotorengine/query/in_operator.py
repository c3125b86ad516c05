"""``in``: Matches values equal to any of the given ones (for a list field: any item).

A documented module path, kept as a re-export of ``aiomotorengine.query.comparison``.
"""

from aiomotorengine.query.comparison import InQueryOperator

__all__ = ["InQueryOperator"]
