"""Every field class at its documented module path (the seed's module index) is the class
exported by ``aiomotorengine`` and ``aiomotorengine.fields`` (no server needed)."""

from __future__ import annotations

import importlib

import pytest

import aiomotorengine
import aiomotorengine.fields
from aiomotorengine import BaseField

# The seed's module index: every field class at its documented module path.
DOCUMENTED_FIELDS = [
    ("aiomotorengine.fields.base_field", "BaseField"),
    ("aiomotorengine.fields.binary_field", "BinaryField"),
    ("aiomotorengine.fields.boolean_field", "BooleanField"),
    ("aiomotorengine.fields.datetime_field", "DateTimeField"),
    ("aiomotorengine.fields.decimal_field", "DecimalField"),
    ("aiomotorengine.fields.email_field", "EmailField"),
    ("aiomotorengine.fields.embedded_document_field", "EmbeddedDocumentField"),
    ("aiomotorengine.fields.float_field", "FloatField"),
    ("aiomotorengine.fields.geojson.line_string_field", "LineStringField"),
    ("aiomotorengine.fields.geojson.point_field", "PointField"),
    ("aiomotorengine.fields.geojson.polygon_field", "PolygonField"),
    ("aiomotorengine.fields.int_field", "IntField"),
    ("aiomotorengine.fields.json_field", "JsonField"),
    ("aiomotorengine.fields.list_field", "ListField"),
    ("aiomotorengine.fields.password_field", "PasswordField"),
    ("aiomotorengine.fields.reference_field", "ReferenceField"),
    ("aiomotorengine.fields.string_field", "StringField"),
    ("aiomotorengine.fields.url_field", "URLField"),
    ("aiomotorengine.fields.uuid_field", "UUIDField"),
    ("aiomotorengine.fields.object_id_field", "ObjectIdField"),
]


@pytest.mark.parametrize(("module_path", "name"), DOCUMENTED_FIELDS)
def test_field_at_documented_path_is_the_exported_class(module_path: str, name: str) -> None:
    cls = getattr(importlib.import_module(module_path), name)
    assert isinstance(cls, type) and issubclass(cls, BaseField)
    assert getattr(aiomotorengine, name) is cls
    assert getattr(aiomotorengine.fields, name) is cls
    assert name in aiomotorengine.__all__
    assert name in aiomotorengine.fields.__all__
