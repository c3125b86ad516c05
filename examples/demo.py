"""The demo app: connects, saves and reads documents, and says what it did.

Runs on $MONGODB_URI when set, else on an embedded server it starts and stops itself.
"""

from __future__ import annotations

import asyncio
import os

from aiomotorengine import (
    DESCENDING,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    ListField,
    Q,
    StringField,
    connect,
    get_connection,
)
from aiomotorengine.connection import disconnect_all
from aiomotorengine.testing import EmbeddedServer


class Address(EmbeddedDocument):
    city = StringField(required=True)


class User(Document):
    __collection__ = "users"
    name = StringField(required=True, unique=True)
    age = IntField(min_value=0)
    tags = ListField(StringField())
    address = EmbeddedDocumentField(Address)

    def __repr__(self) -> str:
        return f"<User: {self.name}({self.age})>"


async def run() -> None:
    database = get_connection()
    await database.client.drop_database(database.name)
    ada = await User.objects.create(name="Ada", age=36, address=Address(city="London"))
    print(f"inserted {ada!r} with id {ada.id}")
    users = await User.objects.bulk_insert(
        [User(name="Grace", age=45, tags=["navy"]), User(name="Linus", age=12)]
    )
    print(f"bulk-inserted {users}")

    ada.address.city = "Cambridge"  # type: ignore[union-attr]
    ada.tags.append("math")
    await ada.save()
    stored = await database["users"].find_one({"_id": ada.id})
    print(f"saved only the changes; stored document is now {stored}")

    cursor = User.objects.filter(Q(age__gt=10) | Q(tags="navy"))
    cursor.order_by(User.name, DESCENDING)
    cursor.limit(2)
    print(f"query {cursor.query} -> {await cursor.find_all()}")
    adults = await User.objects.filter(age__gte=18).count()
    print(f"{await User.objects.count()} users; adults: {adults}")

    try:
        await User.objects.create(name="Bad", age=-1)
    except InvalidDocumentError as error:
        print(f"rejected invalid input, nothing written: {error}")

    print(f"deleted {await User.objects.delete()} users")
    await disconnect_all()


def main() -> None:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        connect("aiomotorengine_demo", host=uri)
        asyncio.run(run())
        return
    with EmbeddedServer() as server:
        print(f"embedded MongoDB server (pid {server.pid}) at {server.uri}")
        connect("aiomotorengine_demo", host=server.uri)
        asyncio.run(run())
    print("embedded server stopped")


if __name__ == "__main__":
    main()
