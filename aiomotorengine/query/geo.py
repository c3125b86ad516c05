"""Geo operators for GeoJSON fields (they need the field's ``2dsphere`` index)."""

from __future__ import annotations

import math
from typing import Any

from aiomotorengine.base.fields import BaseField
from aiomotorengine.errors import InvalidQueryError, describe_value
from aiomotorengine.fields.geojson.base import as_list, is_position
from aiomotorengine.query.base import QueryOperator

__all__ = ["GeoIntersectsQueryOperator", "GeoWithinQueryOperator", "NearQueryOperator"]

_EARTH_RADIUS_METERS = 6378100.0


def _where(field: BaseField[Any] | None, operator: str) -> str:
    if field is None:
        return operator
    return f"{field.owner_name}.{field.name}__{operator}"


def _check_field(field: BaseField[Any] | None, operator: str) -> None:
    if field is not None and not field.geo_queries:
        raise InvalidQueryError(
            f"{_where(field, operator)}: geo operators apply to GeoJSON fields (PointField, "
            f"LineStringField, PolygonField), not {type(field).__name__}"
        )


def _position(value: Any, where: str, what: str) -> list[Any]:
    if not is_position(value):
        raise InvalidQueryError(
            f"{where}: {what} must be [longitude, latitude], got {describe_value(value)}"
        )
    return list(value)


def _meters(value: Any, where: str, what: str) -> float:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidQueryError(
            f"{where}: {what} must be a non-negative number of meters, got {describe_value(value)}"
        )
    return value


def _geometry(value: Any, default_type: str, where: str) -> dict[str, Any]:
    if isinstance(value, dict) and "type" in value and "coordinates" in value:
        return {"type": value["type"], "coordinates": as_list(value["coordinates"])}
    if isinstance(value, (list, tuple)) and value:
        return {"type": default_type, "coordinates": as_list(value)}
    raise InvalidQueryError(
        f"{where}: expected a GeoJSON geometry or {default_type} coordinates, got "
        f"{describe_value(value)}"
    )


class NearQueryOperator(QueryOperator):
    """Documents ordered by distance from a point, nearest first (needs the field's
    ``2dsphere`` index: ``await Model.ensure_index()``).

    ``Q(location__near=[2.29, 48.85])`` or, with distances in meters,
    ``Q(location__near={"point": [2.29, 48.85], "max_distance": 500, "min_distance": 10})``.
    """

    name = "near"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        _check_field(field, self.name)
        where = _where(field, self.name)
        options: dict[str, Any] = {}
        if isinstance(value, dict) and "point" in value:
            unknown = set(value) - {"point", "max_distance", "min_distance"}
            if unknown:
                raise InvalidQueryError(
                    f"{where}: unknown options {sorted(unknown)} (use point, max_distance, "
                    f"min_distance)"
                )
            options = value
            value = value["point"]
        geometry = _geometry(value, "Point", where)
        if geometry["type"] != "Point":
            raise InvalidQueryError(f"{where}: near takes a Point, got {geometry['type']}")
        _position(geometry["coordinates"], where, "the point")
        near: dict[str, Any] = {"$geometry": geometry}
        for option, key in (("max_distance", "$maxDistance"), ("min_distance", "$minDistance")):
            distance = options.get(option)
            if distance is not None:
                near[key] = _meters(distance, where, option)
        return {"$near": near}


class GeoWithinQueryOperator(QueryOperator):
    """Geometries entirely inside a shape: a GeoJSON polygon (or its coordinates),
    ``{"box": [[lng1, lat1], [lng2, lat2]]}`` (bottom left, top right), or
    ``{"center_sphere": [[lng, lat], meters]}``."""

    name = "geo_within"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        _check_field(field, self.name)
        where = _where(field, self.name)
        if isinstance(value, dict) and "box" in value:
            box = value["box"]
            if not isinstance(box, (list, tuple)) or len(box) != 2:
                raise InvalidQueryError(
                    f"{where}: box must be [[lng1, lat1], [lng2, lat2]], got {describe_value(box)}"
                )
            return {
                "$geoWithin": {"$box": [_position(corner, where, "a box corner") for corner in box]}
            }
        if isinstance(value, dict) and "center_sphere" in value:
            sphere = value["center_sphere"]
            if not isinstance(sphere, (list, tuple)) or len(sphere) != 2:
                raise InvalidQueryError(
                    f"{where}: center_sphere must be [[lng, lat], meters], got "
                    f"{describe_value(sphere)}"
                )
            center = _position(sphere[0], where, "the center")
            radians = _meters(sphere[1], where, "the radius") / _EARTH_RADIUS_METERS
            return {"$geoWithin": {"$centerSphere": [center, radians]}}
        geometry = _geometry(value, "Polygon", where)
        if geometry["type"] not in ("Polygon", "MultiPolygon"):
            raise InvalidQueryError(
                f"{where}: geo_within takes a Polygon (or box/center_sphere), got "
                f"{geometry['type']}"
            )
        return {"$geoWithin": {"$geometry": geometry}}


class GeoIntersectsQueryOperator(QueryOperator):
    """Geometries that intersect the given GeoJSON geometry (bare coordinates: a Polygon)."""

    name = "geo_intersects"

    def condition(self, field: BaseField[Any] | None, value: Any) -> Any:
        _check_field(field, self.name)
        return {
            "$geoIntersects": {"$geometry": _geometry(value, "Polygon", _where(field, self.name))}
        }
