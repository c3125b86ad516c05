"""Geo operators for GeoJSON fields (they need the field's ``2dsphere`` index)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.query.base import QueryOperator

if TYPE_CHECKING:
    from aiomotorengine.fields.base_field import BaseField

__all__ = ["GeoIntersectsQueryOperator", "GeoWithinQueryOperator", "NearQueryOperator"]

_EARTH_RADIUS_METERS = 6378100.0


def _geometry(value: Any, default_type: str) -> dict[str, Any]:
    from aiomotorengine.fields.geojson.base import as_list

    if isinstance(value, dict) and "type" in value and "coordinates" in value:
        return {"type": value["type"], "coordinates": as_list(value["coordinates"])}
    if isinstance(value, (list, tuple)):
        return {"type": default_type, "coordinates": as_list(value)}
    raise InvalidQueryError(
        f"expected a GeoJSON geometry or coordinates, got {describe_value(value)}"
    )


class NearQueryOperator(QueryOperator):
    """Documents ordered by distance from a point, nearest first.

    ``Q(location__near=[2.29, 48.85])`` or, with distances in meters,
    ``Q(location__near={"point": [2.29, 48.85], "max_distance": 500, "min_distance": 10})``.
    """

    name = "near"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        options: dict[str, Any] = {}
        if isinstance(value, dict) and "point" in value:
            unknown = set(value) - {"point", "max_distance", "min_distance"}
            if unknown:
                raise InvalidQueryError(f"near: unknown options {sorted(unknown)}")
            options = value
            value = value["point"]
        near: dict[str, Any] = {"$geometry": _geometry(value, "Point")}
        for option, key in (("max_distance", "$maxDistance"), ("min_distance", "$minDistance")):
            distance = options.get(option)
            if distance is not None:
                if not isinstance(distance, (int, float)) or isinstance(distance, bool):
                    raise InvalidQueryError(f"near: {option} must be a number of meters")
                near[key] = distance
        return {"$near": near}


class GeoWithinQueryOperator(QueryOperator):
    """Geometries entirely inside a shape: a GeoJSON polygon (or its coordinates),
    ``{"box": [[x1, y1], [x2, y2]]}``, or ``{"center_sphere": [[x, y], meters]}``."""

    name = "geo_within"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        if isinstance(value, dict) and "box" in value:
            return {"$geoWithin": {"$box": [list(corner) for corner in value["box"]]}}
        if isinstance(value, dict) and "center_sphere" in value:
            center, meters = value["center_sphere"]
            return {"$geoWithin": {"$centerSphere": [list(center), meters / _EARTH_RADIUS_METERS]}}
        return {"$geoWithin": {"$geometry": _geometry(value, "Polygon")}}


class GeoIntersectsQueryOperator(QueryOperator):
    """Geometries that intersect the given GeoJSON geometry."""

    name = "geo_intersects"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        return {"$geoIntersects": {"$geometry": _geometry(value, "Polygon")}}
