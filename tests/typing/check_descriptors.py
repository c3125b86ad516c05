"""Checked by mypy and basedpyright (``make typecheck``): what a type checker sees of models and
their querysets."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from bson import ObjectId
from typing_extensions import assert_type

from aiomotorengine import (
    DateTimeField,
    DecimalField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    QuerySet,
    ReferenceField,
    StringField,
)
from aiomotorengine.queryset import UpdateResult


class Address(EmbeddedDocument):
    street = StringField()


class User(Document):
    name = StringField(required=True)
    age = IntField()
    tags = ListField(StringField())
    address = EmbeddedDocumentField(Address)
    born = DateTimeField()
    balance = DecimalField()


class Post(Document):
    author = ReferenceField(User)


async def check(user: User, post: Post) -> None:
    assert_type(User.name, StringField[str])
    assert_type(User.tags, ListField[str])
    assert_type(user.name, str)
    assert_type(user.age, int | None)
    assert_type(user.tags, list[str])
    assert_type(user.address, Address | None)
    assert_type(user.born, datetime.datetime | None)
    assert_type(user.balance, decimal.Decimal | None)
    assert_type(user.id, ObjectId | None)
    assert_type(user._id, ObjectId | None)  # pyright: ignore[reportPrivateUsage]
    assert_type(post.author, User | None)
    assert_type(User.objects, QuerySet[User])
    assert_type(User.objects.filter(age__gt=1).order_by(User.name), QuerySet[User])
    assert_type(Post.objects.filter(author__name="x").select_related(Post.author), QuerySet[Post])
    assert_type(await Post.objects.select_related("author").explain(), dict[str, Any])
    assert_type(await User.objects.get(name="x"), User | None)
    assert_type(await User.objects.find_all(), list[User])
    assert_type(await User.objects.create(name="x"), User)
    assert_type(await User.objects.update(set__name="y"), UpdateResult)
    assert_type(await user.save(), User)
    assert_type(await User.objects.distinct(User.age), list[int])
    assert_type(await User.objects.distinct(User.name), list[str])
    assert_type(await User.objects.distinct(User.tags), list[str])
    assert_type(await User.objects.distinct(User.address), list[Address])
    assert_type(await Post.objects.distinct(Post.author), list[User])
    assert_type(await User.objects.distinct("age"), list[Any])
    async for item in User.objects:
        assert_type(item, User)
