"""``LineStringField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.fields.geojson.base import GeoJSONField, is_position

__all__ = ["LineStringField"]


class LineStringField(GeoJSONField):
    """A GeoJSON LineString: two or more ``[longitude, latitude]`` positions."""

    geo_type = "LineString"

    def valid_coordinates(self, coordinates: Any) -> bool:
        return (
            isinstance(coordinates, list)
            and len(coordinates) >= 2
            and all(is_position(position) for position in coordinates)
        )
