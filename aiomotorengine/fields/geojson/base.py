"""Shared validation of GeoJSON geometries."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pymongo import GEOSPHERE, IndexModel

from aiomotorengine.base.fields import BaseField

__all__ = ["GeoJSONField"]

V = TypeVar("V", bound=dict[str, Any] | None)


def is_position(value: Any) -> bool:
    """``[longitude, latitude]`` within the WGS84 ranges MongoDB accepts for 2dsphere."""
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        return False
    if not all(
        isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number)
        for number in value
    ):
        return False
    return bool(-180 <= value[0] <= 180 and -90 <= value[1] <= 90)


def as_list(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [as_list(item) for item in value]
    return value


class GeoJSONField(BaseField[V]):
    """A GeoJSON geometry stored as ``{"type": ..., "coordinates": ...}``.

    The value may be given as the GeoJSON dict or as bare coordinates. Declaring the field
    lets the model's ``ensure_index()`` create a ``2dsphere`` index on it (``index=False`` to
    opt out); geo queries (``near``, ``geo_within``, ``geo_intersects``) need that index.
    """

    geo_type: ClassVar[str] = ""
    python_types = (dict,)
    geo_queries = True

    def __init__(self, *args: Any, index: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.index = index

    if TYPE_CHECKING:

        def __set__(self, instance: Any, value: V | list[Any] | tuple[Any, ...]) -> None:
            """Also takes the bare coordinates."""

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return {"type": self.geo_type, "coordinates": as_list(value)}
        if isinstance(value, dict) and isinstance(value.get("coordinates"), tuple):
            return {**value, "coordinates": as_list(value["coordinates"])}
        return value

    def validate(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, dict) or set(value) != {"type", "coordinates"}:
            return False
        return value["type"] == self.geo_type and self.valid_coordinates(value["coordinates"])

    def valid_coordinates(self, coordinates: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        return f"a GeoJSON {self.geo_type} (or its coordinates)"

    def to_son(self, value: Any) -> Any:
        return copy.deepcopy(value)

    def from_son(self, value: Any) -> Any:
        return copy.deepcopy(value)

    def accepts_container(self, value: Any) -> bool:
        return True

    def value_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"type": {"const": self.geo_type}, "coordinates": {"type": "array"}},
            "required": ["type", "coordinates"],
        }

    def value_bson_schema(self, expanding: set[Any]) -> dict[str, Any]:
        return {
            "bsonType": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"enum": [self.geo_type]}, "coordinates": {"bsonType": "array"}},
        }

    def declared_indexes(self, path: str) -> list[IndexModel]:
        indexes = super().declared_indexes(path)
        if self.index:
            indexes.append(IndexModel([(path, GEOSPHERE)]))
        return indexes
