"""Authentication against an embedded server started with ``--auth``.

The server has no localhost exception: the user is created on a server started without
``--auth``, which is then stopped and started again with ``--auth`` on the same storage. The
right password works for every ODM operation on the user's database; a wrong or missing one
fails, and no error (message, repr, details, chained causes, formatted traceback) shows the
password, plain or URL-encoded.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote_plus

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from aiomotorengine import Document, IntField, StringField, connect
from aiomotorengine.connection import disconnect_all
from aiomotorengine.testing import EmbeddedServer

USER = "shop_app"
PASSWORD = "Pa$$:w/rd@Shop-9"  # characters a URI must encode
WRONG = "Wr0ng:p@ss/Guess-7"
DATABASE = "shop"
_UNAUTHORIZED = 13
# A failed authentication marks the server unusable: operations then wait for server selection
# and fail with ServerSelectionTimeoutError carrying the server's "authentication failed".
TIMEOUT_MS = 1000


class Order(Document):
    __collection__ = "orders"
    reference = StringField(required=True, unique=True)
    quantity = IntField()


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A server with ``--auth`` and one user allowed to read and write ``shop`` only."""
    storage = str(tmp_path_factory.mktemp("auth") / "storage")
    provisioning = EmbeddedServer(storage_path=storage).start()
    try:
        with MongoClient[dict[str, Any]](provisioning.uri) as client:
            client.admin.command(
                "createUser", USER, pwd=PASSWORD, roles=[{"role": "readWrite", "db": DATABASE}]
            )
    finally:
        provisioning.stop()
    server = EmbeddedServer(storage_path=storage, extra_args=("--auth",)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def clean() -> AsyncIterator[None]:
    yield
    await disconnect_all()


def uri(server: EmbeddedServer, password: str, database: str = DATABASE) -> str:
    return (
        f"mongodb://{USER}:{quote_plus(password)}@127.0.0.1:{server.port}/{database}"
        f"?authSource=admin&serverSelectionTimeoutMS={TIMEOUT_MS}"
    )


def everything_shown(error: BaseException) -> str:
    """All an error can show: message, repr, details and the formatted traceback of the whole
    chain of causes."""
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    while error is not None:
        shown.append(repr(getattr(error, "details", None)))
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return "\n".join(shown)


def assert_no_password(error: BaseException) -> None:
    shown = everything_shown(error)
    for secret in (PASSWORD, quote_plus(PASSWORD), WRONG, quote_plus(WRONG)):
        assert secret not in shown


@pytest.mark.usefixtures("clean")
async def test_the_right_password_works_for_every_operation(auth_server: EmbeddedServer) -> None:
    connect(DATABASE, alias="shop", host=uri(auth_server, PASSWORD))
    orders = Order.objects.using("shop")
    order = await orders.create(reference="A-1", quantity=1)  # creates the unique index too
    order.quantity = 2
    await order.save()
    await orders.filter(reference="A-1").update(inc__quantity=1)
    found = await orders.get(reference="A-1")
    assert found is not None and found.quantity == 3
    assert [o.reference for o in await orders.find_all()] == ["A-1"]
    await order.delete()


@pytest.mark.usefixtures("clean")
@pytest.mark.parametrize("spelling", ["uri", "keywords"])
async def test_a_wrong_password_fails_without_showing_it(
    auth_server: EmbeddedServer, spelling: str
) -> None:
    if spelling == "uri":
        connect(DATABASE, alias="wrong", host=uri(auth_server, WRONG))
    else:
        connect(
            DATABASE,
            alias="wrong",
            host="127.0.0.1",
            port=auth_server.port,
            username=USER,
            password=WRONG,
            authSource="admin",
            serverSelectionTimeoutMS=TIMEOUT_MS,
        )
    with pytest.raises(PyMongoError, match="authentication failed") as failure:
        await Order.objects.using("wrong").count()
    assert_no_password(failure.value)
    if spelling == "uri":
        with pytest.raises(PyMongoError, match="authentication failed") as failure:
            await Order(reference="B-1").using("wrong").save()
        assert_no_password(failure.value)


@pytest.mark.usefixtures("clean")
async def test_no_credentials_or_another_database_is_refused(auth_server: EmbeddedServer) -> None:
    connect(DATABASE, alias="anonymous", host=auth_server.uri, serverSelectionTimeoutMS=TIMEOUT_MS)
    with pytest.raises(OperationFailure) as anonymous:
        await Order.objects.using("anonymous").count()
    assert anonymous.value.code == _UNAUTHORIZED
    connect("billing", alias="elsewhere", host=uri(auth_server, PASSWORD, database="billing"))
    with pytest.raises(OperationFailure) as elsewhere:
        await Order.objects.using("elsewhere").count()
    assert elsewhere.value.code == _UNAUTHORIZED
    assert_no_password(elsewhere.value)
