"""The public API: ``__all__`` lists exactly what is exported, and every documented module
path of the seed imports (as httpx's ``test_exported_members``)."""

from __future__ import annotations

import importlib
import types

import pytest

import aiomotorengine
import aiomotorengine.fields

INCLUDED_PRIVATE_MEMBERS = {"__version__"}


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if (not name.startswith("_") or name in INCLUDED_PRIVATE_MEMBERS)
        and not isinstance(value, types.ModuleType)
    }


@pytest.mark.parametrize("module", [aiomotorengine, aiomotorengine.fields])
def test_all_imports_are_exported(module: types.ModuleType) -> None:
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "duplicates in __all__"
    assert set(exported) == _public_names(module) - {"annotations"}


def test_star_import_gives_every_name() -> None:
    namespace: dict[str, object] = {}
    exec("from aiomotorengine import *", namespace)
    assert set(aiomotorengine.__all__) <= set(namespace)


# The seed's "Python Module Index" and the classes/functions its pages name in each module.
DOCUMENTED = {
    "aiomotorengine": ["connect", "Document", "StringField", "IntField", "Q", "DESCENDING"],
    "aiomotorengine.connection": ["connect"],
    "aiomotorengine.document": ["Document", "EmbeddedDocument"],
    "aiomotorengine.fields": ["StringField", "DateTimeField"],
    "aiomotorengine.fields.base_field": ["BaseField"],
    "aiomotorengine.fields.binary_field": ["BinaryField"],
    "aiomotorengine.fields.boolean_field": ["BooleanField"],
    "aiomotorengine.fields.datetime_field": ["DateTimeField"],
    "aiomotorengine.fields.decimal_field": ["DecimalField"],
    "aiomotorengine.fields.email_field": ["EmailField"],
    "aiomotorengine.fields.embedded_document_field": ["EmbeddedDocumentField"],
    "aiomotorengine.fields.float_field": ["FloatField"],
    "aiomotorengine.fields.geojson.line_string_field": ["LineStringField"],
    "aiomotorengine.fields.geojson.point_field": ["PointField"],
    "aiomotorengine.fields.geojson.polygon_field": ["PolygonField"],
    "aiomotorengine.fields.int_field": ["IntField"],
    "aiomotorengine.fields.json_field": ["JsonField"],
    "aiomotorengine.fields.list_field": ["ListField"],
    "aiomotorengine.fields.password_field": ["PasswordField"],
    "aiomotorengine.fields.reference_field": ["ReferenceField"],
    "aiomotorengine.fields.string_field": ["StringField"],
    "aiomotorengine.fields.url_field": ["URLField"],
    "aiomotorengine.fields.uuid_field": ["UUIDField"],
    "aiomotorengine.query.exists": ["ExistsQueryOperator"],
    "aiomotorengine.query.greater_than": ["GreaterThanQueryOperator"],
    "aiomotorengine.query.greater_than_or_equal": ["GreaterThanOrEqualQueryOperator"],
    "aiomotorengine.query.less_than": ["LesserThanQueryOperator"],
    "aiomotorengine.query.less_than_or_equal": ["LesserThanOrEqualQueryOperator"],
    "aiomotorengine.query.in_operator": ["InQueryOperator"],
    "aiomotorengine.query.is_null": ["IsNullQueryOperator"],
    "aiomotorengine.query.not_equal": ["NotEqualQueryOperator"],
}


@pytest.mark.parametrize(("module_path", "names"), sorted(DOCUMENTED.items()))
def test_documented_module_paths_import(module_path: str, names: list[str]) -> None:
    module = importlib.import_module(module_path)
    for name in names:
        assert hasattr(module, name), f"{module_path}.{name}"
        exported = getattr(module, "__all__", None)
        assert exported is None or name in exported, f"{name} missing from {module_path}.__all__"


@pytest.mark.parametrize(
    "module_path",
    [path for path in DOCUMENTED if path.startswith("aiomotorengine.fields.")],
)
def test_field_modules_export_the_same_class_as_the_package(module_path: str) -> None:
    module = importlib.import_module(module_path)
    for name in module.__all__:
        if hasattr(aiomotorengine, name):
            assert getattr(aiomotorengine, name) is getattr(module, name)
