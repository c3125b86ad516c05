"""Field descriptors, each in its documented module (``fields.string_field.StringField``...)."""

from aiomotorengine.fields.base_field import BaseField
from aiomotorengine.fields.binary_field import BinaryField
from aiomotorengine.fields.boolean_field import BooleanField
from aiomotorengine.fields.datetime_field import DateTimeField
from aiomotorengine.fields.decimal_field import DecimalField
from aiomotorengine.fields.email_field import EmailField
from aiomotorengine.fields.embedded_document_field import EmbeddedDocumentField
from aiomotorengine.fields.float_field import FloatField
from aiomotorengine.fields.geojson import LineStringField, PointField, PolygonField
from aiomotorengine.fields.int_field import IntField
from aiomotorengine.fields.json_field import JsonField
from aiomotorengine.fields.list_field import ListField
from aiomotorengine.fields.object_id_field import ObjectIdField
from aiomotorengine.fields.password_field import HashedPassword, PasswordField
from aiomotorengine.fields.reference_field import DanglingReference, ReferenceField
from aiomotorengine.fields.string_field import StringField
from aiomotorengine.fields.url_field import URLField
from aiomotorengine.fields.uuid_field import UUIDField

__all__ = [
    "BaseField",
    "BinaryField",
    "BooleanField",
    "DanglingReference",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "EmbeddedDocumentField",
    "FloatField",
    "HashedPassword",
    "IntField",
    "JsonField",
    "LineStringField",
    "ListField",
    "ObjectIdField",
    "PasswordField",
    "PointField",
    "PolygonField",
    "ReferenceField",
    "StringField",
    "URLField",
    "UUIDField",
]
