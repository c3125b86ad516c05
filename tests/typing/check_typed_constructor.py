"""Models whose constructor a type checker checks (``TypedDocument``, ``TypedEmbeddedDocument``),
next to classic models, whose constructor takes any keyword. Checked by mypy and basedpyright;
an ignore comment marks an expected error, and an unused one fails the check."""

from __future__ import annotations

from bson import ObjectId
from typing_extensions import assert_type

from aiomotorengine import (
    Document,
    EmbeddedDocumentField,
    IntField,
    ListField,
    PasswordField,
    ReferenceField,
    StringField,
    TypedDocument,
    TypedEmbeddedDocument,
)
from aiomotorengine.fields import HashedPassword


class Address(TypedEmbeddedDocument):
    city: StringField[str] = StringField(required=True)


class User(TypedDocument):
    __collection__ = "users"

    name: StringField[str] = StringField(required=True)
    age: IntField[int | None] = IntField(min_value=0)
    tags: ListField[str] = ListField(StringField())
    address: EmbeddedDocumentField[Address | None] = EmbeddedDocumentField(Address)
    password: PasswordField[HashedPassword | None] = PasswordField()

    def greeting(self) -> str:
        return f"Hello {self.name}"


class Admin(User):
    level: IntField[int] = IntField(default=1)


class Post(TypedDocument):
    author: ReferenceField[User | None] = ReferenceField(User)


class Classic(Document):
    name = StringField(required=True)


async def constructors(user: User) -> None:
    ada = User(name="Ada", age=36, tags=["math"], address=Address(city="London"))
    assert_type(ada.name, str)
    assert_type(ada.age, int | None)
    assert_type(ada.tags, list[str])
    assert_type(ada.address, Address | None)
    assert_type(ada.id, ObjectId | None)
    assert_type(User.name, StringField[str])
    assert_type(await User.objects.get(name="Ada"), User | None)
    User()  # every keyword is optional, as at runtime: "required" is checked on save
    User(_id=ObjectId(), name="Ada")
    User(address={"city": "Paris"}, password="secret")  # what the fields take on assignment
    Admin(name="Grace", level=2)
    Post(author=user)
    Post(author=user.id)
    User(nme="Ada")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    User(age="x")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    User(name=None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    User(tags=[1])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    User("Ada")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Address(town="London")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Admin(level="high")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Post(author="Ada")  # an id's hex string is accepted: only the runtime can refuse this one
    Classic(nme="Ada", age="x")  # a classic model's constructor takes any keyword
    assert user == ada and {user, ada}  # documents compare and hash by id, not field by field


def declarations() -> None:
    class Mismatch(TypedDocument):
        nick: StringField[str] = StringField()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
