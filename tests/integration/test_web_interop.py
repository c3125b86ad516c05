"""Web apps and JSON: ``to_dict``/``to_json``, ``from_dict``, ``json_schema``, pydantic's
``TypeAdapter`` and a FastAPI app that takes and returns documents."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from typing import Any

import httpx
import jsonschema
import pytest
from bson import ObjectId
from fastapi import FastAPI, HTTPException
from pydantic import TypeAdapter, ValidationError

from aiomotorengine import (
    BinaryField,
    Database,
    DateTimeField,
    DecimalField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    InvalidDocumentError,
    ListField,
    PasswordField,
    ReferenceField,
    StringField,
    UUIDField,
)


class WebAuthor(Document):
    __collection__ = "web_authors"
    name = StringField(required=True, max_length=40)


class WebComment(EmbeddedDocument):
    text = StringField(required=True, max_length=200)
    stars = IntField(min_value=1, max_value=5)
    replies = ListField(EmbeddedDocumentField("WebComment"))


class WebPost(Document):
    __collection__ = "web_posts"
    title = StringField(required=True, max_length=60)
    status = StringField(choices=["draft", "published"], default="draft")
    author = ReferenceField(WebAuthor)
    tags = ListField(StringField(max_length=20))
    comments = ListField(EmbeddedDocumentField(WebComment))
    price = DecimalField(precision=2)
    published = DateTimeField()
    token = UUIDField()
    cover = BinaryField()
    secret = PasswordField()


class WebPerm(EmbeddedDocument):
    name = StringField()


class WebProfile(EmbeddedDocument):
    city = StringField()


class WebAccount(Document):
    __collection__ = "web_accounts"
    name = StringField()
    password = PasswordField()
    profile = EmbeddedDocumentField(WebProfile)
    grid = ListField(ListField(EmbeddedDocumentField(WebPerm)))
    pins = ListField(PasswordField())


async def make_post() -> WebPost:
    author = await WebAuthor.objects.create(name="Ada")
    return await WebPost.objects.create(
        title="Engines",
        author=author,
        tags=["math"],
        comments=[WebComment(text="Nice", stars=5, replies=[WebComment(text="+1")])],
        price="9.5",
        published=datetime.datetime(2024, 5, 1, 12, 30),
        token=uuid.UUID(int=7),
        cover=b"\x89PNG",
        secret="hunter2",
    )


async def test_to_dict_shows_attribute_names_ids_and_embedded_dicts(db: Database) -> None:
    post = await make_post()
    loaded = await WebPost.objects.get(post.id)
    assert loaded is not None
    as_dict = loaded.to_dict()
    assert as_dict == {
        "id": post.id,
        "title": "Engines",
        "status": "draft",
        "author": post.author.id if post.author else None,
        "tags": ["math"],
        "comments": [
            {"text": "Nice", "stars": 5, "replies": [{"text": "+1", "stars": None, "replies": []}]}
        ],
        "price": decimal.Decimal("9.50"),
        "published": datetime.datetime(2024, 5, 1, 12, 30),
        "token": uuid.UUID(int=7),
        "cover": b"\x89PNG",
    }
    assert "secret" not in as_dict  # password hashes are never shown
    as_dict["tags"].append("changed")  # a copy: the document does not change
    assert loaded.tags == ["math"]


async def test_to_dict_json_is_json_safe_and_to_json_is_its_text(db: Database) -> None:
    post = await make_post()
    loaded = await WebPost.objects.get(post.id)
    assert loaded is not None
    as_json = loaded.to_dict(json=True)
    assert as_json["id"] == str(post.id) and as_json["author"] == str(post.author.id)  # type: ignore[union-attr]
    assert as_json["price"] == "9.50" and as_json["token"] == str(uuid.UUID(int=7))
    assert as_json["published"] == "2024-05-01T12:30:00Z"
    assert base64.b64decode(as_json["cover"]) == b"\x89PNG"
    assert json.loads(loaded.to_json()) == as_json
    jsonschema.Draft202012Validator(WebPost.json_schema()).validate(as_json)


async def test_to_dict_leaves_out_what_a_projection_did_not_load(db: Database) -> None:
    post = await make_post()
    partial = await WebPost.objects.only("title").get(post.id)
    assert partial is not None
    assert partial.to_dict() == {"id": post.id, "title": "Engines"}


async def test_from_dict_builds_converts_and_saves(db: Database) -> None:
    author = await WebAuthor.objects.create(name="Bob")
    post = WebPost.from_dict(
        {
            "title": "From a form",
            "author": str(author.id),
            "tags": ["a"],
            "comments": [{"text": "hi", "stars": "4"}],
            "price": "1.239",
            "published": "2024-05-01T12:30:00Z",
            "token": str(uuid.UUID(int=3)),
            "secret": "plain",
        }
    )
    assert post.id is None and post.comments[0].stars == 4  # type: ignore[index]
    await post.save()
    loaded = await WebPost.objects.get(post.id)
    assert loaded is not None and loaded.price == decimal.Decimal("1.24")
    assert loaded.secret == "plain"
    again = WebPost.from_dict(loaded.to_dict(json=True))  # a JSON round trip
    assert again.id == loaded.id and again.to_dict(json=True) == loaded.to_dict(json=True)


async def test_from_dict_refuses_unknown_keys_and_reports_every_error(db: Database) -> None:
    with pytest.raises(InvalidDocumentError) as raised:
        WebPost.from_dict(
            {
                "title": "x" * 61,
                "is_admin": True,
                "status": "deleted",
                "comments": [{"text": "ok"}, {"text": "", "stars": 9, "sneaky": 1}],
            }
        )
    errors = raised.value.errors
    assert set(errors) == {
        "title",
        "is_admin",
        "status",
        "comments.1.text",
        "comments.1.stars",
        "comments.1.sneaky",
    }
    assert "unknown field 'is_admin'" in errors["is_admin"]
    assert await db["web_posts"].count_documents({}) == 0

    extra = WebPost.from_dict({"title": "ok", "legacy": 1}, allow_extra=True)
    await extra.save()
    stored = await db["web_posts"].find_one({"_id": extra.id})
    assert stored is not None and stored["legacy"] == 1
    with pytest.raises(InvalidDocumentError, match="takes a mapping"):
        WebPost.from_dict(["title"])  # type: ignore[arg-type]


async def test_dicts_for_embedded_documents_refuse_undeclared_keys_at_any_depth(
    db: Database,
) -> None:
    account = await WebAccount(name="u", profile=WebProfile(city="x")).save()
    attempts = [
        lambda: WebAccount.objects.filter(_id=account.id).update(
            {"profile": {"city": "y", "is_admin": True}}
        ),
        lambda: WebAccount.objects.filter(_id=account.id).update(
            set__profile={"city": "z", "is_admin": True}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidDocumentError, match="unknown field 'is_admin'") as raised:
            await attempt()
        assert raised.value.errors == {
            "profile.is_admin": "WebProfile: unknown field 'is_admin' (known: city)"
        }
    with pytest.raises(InvalidDocumentError, match="unknown field 'is_admin'"):
        WebAccount(profile={"city": "y", "is_admin": True})
    with pytest.raises(InvalidDocumentError) as raised:
        WebAccount.from_dict(
            {"grid": [[{"name": "p", "is_admin": True}, {"name": 1}], [{"root": True}]]}
        )
    assert set(raised.value.errors) == {"grid.0.0.is_admin", "grid.0.1.name", "grid.1.0.root"}
    with pytest.raises(InvalidDocumentError) as raised:
        WebAccount(grid=[[{"name": "p", "is_admin": True}]])
    assert await db["web_accounts"].find_one({"_id": account.id}) == {
        "_id": account.id,
        "name": "u",
        "profile": {"city": "x"},
        "grid": [],
        "pins": [],
    }
    kept = WebAccount.from_dict({"grid": [[{"name": "p", "legacy": 1}]]}, allow_extra=True)
    assert kept.to_son()["grid"] == [[{"name": "p", "legacy": 1}]]


def test_json_schema_describes_types_bounds_choices_and_embedded_models() -> None:
    schema = WebPost.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["title"]
    properties = schema["properties"]
    assert properties["title"] == {"type": "string", "maxLength": 60}
    assert properties["status"]["anyOf"][0] == {"type": "string", "enum": ["draft", "published"]}
    assert properties["id"]["anyOf"][0]["pattern"] == "^[0-9a-fA-F]{24}$"
    assert properties["secret"]["anyOf"][0]["writeOnly"] is True
    comment = schema["$defs"]["WebComment"]
    assert comment["properties"]["stars"]["anyOf"][0] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
    }
    replies = comment["properties"]["replies"]["anyOf"][0]
    assert replies["items"]["anyOf"][0] == {"$ref": "#/$defs/WebComment"}  # recursion by $ref
    jsonschema.Draft202012Validator.check_schema(schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"title": 3}, schema)


async def test_pydantic_type_adapter_validates_dumps_and_describes(db: Database) -> None:
    adapter = TypeAdapter(WebPost)
    post = await make_post()
    loaded = await WebPost.objects.get(post.id)
    assert loaded is not None
    assert adapter.dump_python(loaded, mode="json") == loaded.to_dict(json=True)
    assert json.loads(adapter.dump_json(loaded)) == loaded.to_dict(json=True)
    built = adapter.validate_python({"title": "via pydantic", "tags": ["x"]})
    assert isinstance(built, WebPost) and built.tags == ["x"]
    assert adapter.validate_python(loaded) is loaded
    with pytest.raises(ValidationError) as raised:
        adapter.validate_python({"title": 1, "comments": [{"stars": 0}], "nope": 1})
    locations = {error["loc"] for error in raised.value.errors()}
    assert locations == {
        ("title",),
        ("comments", "0", "stars"),
        ("comments", "0", "text"),
        ("nope",),
    }
    with pytest.raises(ValidationError) as raised:
        adapter.validate_python({"id": "nope", "title": "t"})
    assert [error["loc"] for error in raised.value.errors()] == [("id",)]
    assert raised.value.errors()[0]["input"] == "nope"
    schema = adapter.json_schema()
    assert schema["properties"]["title"] == {"type": "string", "maxLength": 60}
    assert "$defs" not in json.dumps(schema)  # pydantic gets embedded models inline


def blog_app() -> FastAPI:
    app = FastAPI()

    @app.post("/posts", response_model=WebPost, status_code=201)
    async def create(post: WebPost) -> WebPost:
        return await post.save()

    @app.get("/posts", response_model=list[WebPost])
    async def listing(tag: str | None = None, limit: int = 10) -> list[WebPost]:
        queryset = WebPost.objects.order_by("title").limit(limit)
        if tag is not None:
            queryset.filter(tags=tag)
        return await queryset.find_all()

    @app.get("/posts/{post_id}", response_model=WebPost)
    async def read(post_id: str) -> WebPost:
        if not ObjectId.is_valid(post_id):
            raise HTTPException(404)
        post = await WebPost.objects.get(post_id)
        if post is None:
            raise HTTPException(404)
        return post

    return app


async def test_fastapi_takes_and_returns_documents(db: Database) -> None:
    transport = httpx.ASGITransport(app=blog_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post(
            "/posts", json={"title": "Hello", "tags": ["intro"], "price": "2.5"}
        )
        assert created.status_code == 201, created.text
        body: dict[str, Any] = created.json()
        assert body["title"] == "Hello" and body["price"] == "2.50" and "secret" not in body
        assert ObjectId.is_valid(body["id"])

        await client.post("/posts", json={"title": "Another", "tags": ["other"]})
        listed = await client.get("/posts", params={"tag": "intro"})
        assert listed.status_code == 200
        assert [post["title"] for post in listed.json()] == ["Hello"]

        read = await client.get(f"/posts/{body['id']}")
        assert read.status_code == 200 and read.json() == body
        assert (await client.get(f"/posts/{ObjectId()}")).status_code == 404

        bad = await client.post("/posts", json={"title": "x" * 61, "tags": "not a list", "x": 1})
        assert bad.status_code == 422
        locations = {tuple(error["loc"]) for error in bad.json()["detail"]}
        assert locations == {("body", "title"), ("body", "tags"), ("body", "x")}
    assert await db["web_posts"].count_documents({}) == 2

    openapi = blog_app().openapi()
    assert "WebPost" in json.dumps(openapi)


def test_pydantic_errors_hide_the_input_of_secret_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(WebAccount).validate_python(
            {"name": 1, "password": ["hunter2-plaintext"], "pins": ["1234", 5678]}
        )
    inputs = {error["loc"]: error["input"] for error in raised.value.errors()}
    assert inputs == {("name",): 1, ("password",): "<hidden>", ("pins",): "<hidden>"}
    assert "hunter2" not in str(raised.value) and "5678" not in str(raised.value)


def test_a_list_of_passwords_is_as_secret_as_a_password() -> None:
    with pytest.raises(InvalidDocumentError) as refused:
        WebAccount.from_dict({"name": "ann", "pins": "1234"})  # a string, not a list
    assert "1234" not in str(refused.value) and "<hidden>" in str(refused.value)
    account = WebAccount.from_dict({"name": "ann", "pins": ["1234"]})
    assert "pins" not in account.to_dict() and "pins" not in account.to_dict(json=True)
