"""``PointField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.fields.geojson.base import GeoJSONField, is_position

__all__ = ["PointField"]


class PointField(GeoJSONField):
    """A GeoJSON Point; ``[longitude, latitude]`` is accepted::

    location = PointField()
    place.location = [2.2945, 48.8584]
    """

    geo_type = "Point"

    def valid_coordinates(self, coordinates: Any) -> bool:
        return is_position(coordinates)
