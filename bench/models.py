"""The aiomotorengine models of the benchmark's documents."""

from __future__ import annotations

from aiomotorengine import (
    BooleanField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)


class Address(EmbeddedDocument):
    street = StringField()
    city = StringField()
    country = StringField()


class User(Document):
    __collection__ = "users"
    name = StringField(required=True, max_length=100)
    email = StringField()
    age = IntField(min_value=0)
    active = BooleanField()
    created = DateTimeField()
    tags = ListField(StringField())
    address = EmbeddedDocumentField(Address)
    score = FloatField()


class BulkUser(User):
    """The same model, inserted into its own collection (W2)."""

    __collection__ = "bulk_users"


class Post(Document):
    __collection__ = "posts"
    title = StringField()
    author = ReferenceField(User)


class Article(Document):
    """An article and its author, filtered through the reference (W7)."""

    __collection__ = "articles"
    title = StringField()
    author = ReferenceField(User)
