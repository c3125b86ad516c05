"""The upstream module name of ``less_than_or_equal``."""

from aiomotorengine.query.less_than_or_equal import (
    LesserThanOrEqualQueryOperator,
    LessThanOrEqualQueryOperator,
)

__all__ = ["LessThanOrEqualQueryOperator", "LesserThanOrEqualQueryOperator"]
