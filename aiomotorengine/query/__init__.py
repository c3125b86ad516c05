"""Query compilation: keyword filters, ``Q`` trees and operators to MongoDB filters."""

from aiomotorengine.query.base import QueryOperator
from aiomotorengine.query.compiler import OPERATORS, compile_filter, compile_node
from aiomotorengine.query.q import Q

__all__ = ["OPERATORS", "Q", "QueryOperator", "compile_filter", "compile_node"]
