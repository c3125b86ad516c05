"""GeoJSON fields."""

from aiomotorengine.fields.geojson.line_string_field import LineStringField
from aiomotorengine.fields.geojson.point_field import PointField
from aiomotorengine.fields.geojson.polygon_field import PolygonField

__all__ = ["LineStringField", "PointField", "PolygonField"]
