"""Index declarations compiled without a server: ``index_models`` translates attribute names
to ``db_field`` names and options to the driver's, and bad declarations name the model and
field."""

from __future__ import annotations

import pytest
from pymongo import ASCENDING, DESCENDING

from aiomotorengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    Index,
    IntField,
    PointField,
    StringField,
)
from aiomotorengine.management import IndexDeclarationError, index_models


class Address(EmbeddedDocument):
    code = StringField(db_field="c", unique=True, sparse=True)


class Person(Document):
    __collection__ = "idx_people"
    __indexes__ = [
        Index(("last_name", ASCENDING), ("first_name", DESCENDING), unique=True, sparse=True),
        Index("created", expire_after_seconds=3600),
        Index("nickname", unique=True, partial_filter={"age__gte": 18}),
        Index("-age", name="by_age_desc"),
    ]
    first_name = StringField(db_field="fn")
    last_name = StringField(db_field="ln")
    email = StringField(unique=True)
    handle = StringField(sparse=True)
    nickname = StringField()
    age = IntField()
    created = DateTimeField()
    address = EmbeddedDocumentField(Address)


class Plain(Document):
    __collection__ = "idx_plain"
    name = StringField()
    where = PointField(index=False)


def test_index_models_translate_names_to_db_fields() -> None:
    documents = [model.document for model in index_models(Person)]
    keys = [list(document["key"].items()) for document in documents]
    assert keys == [
        [("email", 1)],
        [("handle", 1)],
        [("address.c", 1)],
        [("ln", 1), ("fn", -1)],
        [("created", 1)],
        [("nickname", 1)],
        [("age", -1)],
    ]
    by_key = {tuple(d["key"]): d for d in documents}
    assert by_key[("email",)]["unique"] is True
    assert by_key[("handle",)]["sparse"] is True and "unique" not in by_key[("handle",)]
    assert by_key[("address.c",)]["unique"] is True and by_key[("address.c",)]["sparse"] is True
    assert by_key[("ln", "fn")]["unique"] is True
    assert by_key[("created",)]["expireAfterSeconds"] == 3600
    assert by_key[("nickname",)]["partialFilterExpression"] == {"age": {"$gte": 18}}
    assert by_key[("age",)]["name"] == "by_age_desc"
    assert index_models(Plain) == []


def test_bad_declarations_name_the_model_and_field() -> None:
    class Broken(Document):
        __collection__ = "idx_broken"
        __indexes__ = [Index("missing")]
        name = StringField()

    with pytest.raises(IndexDeclarationError, match=r"Broken.*'missing'"):
        index_models(Broken)
    with pytest.raises(IndexDeclarationError, match="expire_after_seconds"):
        Index("created", expire_after_seconds=-1)
    with pytest.raises(IndexDeclarationError, match="Index key"):
        Index(("name", "sideways"))

    class Clash(Document):
        __collection__ = "idx_clash"
        __indexes__ = [Index("email")]
        email = StringField(unique=True)

    with pytest.raises(IndexDeclarationError, match=r"Clash.*disagree"):
        index_models(Clash)
