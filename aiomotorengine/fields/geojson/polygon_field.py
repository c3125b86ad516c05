"""``PolygonField``."""

from __future__ import annotations

from typing import Any

from aiomotorengine.fields.geojson.base import GeoJSONField, is_position

__all__ = ["PolygonField"]


class PolygonField(GeoJSONField):
    """A GeoJSON Polygon: a list of closed linear rings (each four or more positions, the
    last equal to the first); the first ring is the outer boundary."""

    geo_type = "Polygon"

    def valid_coordinates(self, coordinates: Any) -> bool:
        if not isinstance(coordinates, list) or not coordinates:
            return False
        for ring in coordinates:
            if not isinstance(ring, list) or len(ring) < 4:
                return False
            if not all(is_position(position) for position in ring) or ring[0] != ring[-1]:
                return False
        return True
