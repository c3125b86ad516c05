"""The demo's blog application, driven through aiohttp's test client against the session's
server: every endpoint, bad input (400, nothing written), unknown ids (404), a taken slug
(409)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from bson import ObjectId
from pymongo import AsyncMongoClient

from examples.blog import MAX_PAGE_SIZE, Author, create_app


@pytest.fixture
async def client(mongodb_uri: str) -> AsyncIterator[TestClient[Any, Any]]:
    database = f"test_blog_{uuid.uuid4().hex[:12]}"
    async with TestClient(TestServer(create_app(mongodb_uri, database))) as test_client:
        yield test_client
    raw: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    await raw.drop_database(database)
    await raw.close()


async def make_author(client: TestClient[Any, Any], name: str = "Ada") -> str:
    author = await Author.objects.create(name=name, email=f"{name.lower()}@example.com")
    return str(author.id)


async def make_post(client: TestClient[Any, Any], author: str, **extra: Any) -> dict[str, Any]:
    body = {"title": "Hello", "slug": "hello", "body": "Text", "author": author, **extra}
    response = await client.post("/api/posts", json=body)
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def count_posts(client: TestClient[Any, Any]) -> int:
    response = await client.get("/api/posts")
    body: dict[str, Any] = await response.json()
    return int(body["total"])


async def test_create_read_update_delete(client: TestClient[Any, Any]) -> None:
    author = await make_author(client)
    created = await make_post(client, author, tags=["intro"])
    assert ObjectId.is_valid(created["id"]) and created["author"] == author
    assert created["tags"] == ["intro"] and created["comments"] == []

    read = await client.get(f"/api/posts/{created['id']}")
    assert read.status == 200
    body = await read.json()
    assert body["title"] == "Hello" and body["author_name"] == "Ada"

    patched = await client.patch(f"/api/posts/{created['id']}", json={"title": "Hi", "tags": []})
    assert patched.status == 200
    assert (await patched.json())["title"] == "Hi"
    assert (await (await client.get(f"/api/posts/{created['id']}")).json())["tags"] == []

    deleted = await client.delete(f"/api/posts/{created['id']}")
    assert deleted.status == 204
    assert (await client.get(f"/api/posts/{created['id']}")).status == 404


async def test_list_filters_paginates_and_sorts(client: TestClient[Any, Any]) -> None:
    ada = await make_author(client, "Ada")
    bob = await make_author(client, "Bob")
    for index, (author, tag) in enumerate([(ada, "a"), (bob, "b"), (ada, "b")]):
        await make_post(client, author, title=f"Post {index}", slug=f"post-{index}", tags=[tag])

    async def titles(**query: str) -> list[str]:
        response = await client.get("/api/posts", params=query)
        assert response.status == 200, await response.text()
        return [post["title"] for post in (await response.json())["posts"]]

    assert await titles(sort="title") == ["Post 0", "Post 1", "Post 2"]
    assert await titles(sort="-title", size="2") == ["Post 2", "Post 1"]
    assert await titles(sort="-title", size="2", page="2") == ["Post 0"]
    assert await titles(tag="b", sort="title") == ["Post 1", "Post 2"]
    assert await titles(author=ada, sort="title") == ["Post 0", "Post 2"]
    listing = await (await client.get("/api/posts", params={"tag": "b", "size": "1"})).json()
    assert listing["total"] == 2 and len(listing["posts"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        {"size": "0"},
        {"size": str(MAX_PAGE_SIZE + 1)},
        {"page": "0"},
        {"page": "x"},
        {"sort": "password"},
        {"author": "not-an-id"},
    ],
)
async def test_bad_list_queries_are_400(
    client: TestClient[Any, Any], query: dict[str, str]
) -> None:
    response = await client.get("/api/posts", params=query)
    assert response.status == 400
    assert "error" in await response.json()


async def test_bad_input_is_400_naming_every_field_and_writes_nothing(
    client: TestClient[Any, Any],
) -> None:
    author = await make_author(client)
    response = await client.post(
        "/api/posts",
        json={"title": "x" * 201, "slug": "ok", "author": author, "tags": "nope", "id": "x"},
    )
    assert response.status == 400
    body = await response.json()
    assert set(body["errors"]) == {"title", "tags", "body", "id"}
    assert await count_posts(client) == 0

    no_author = await client.post(
        "/api/posts", json={"title": "t", "slug": "s", "body": "b", "author": str(ObjectId())}
    )
    assert no_author.status == 400 and "author" in (await no_author.json())["errors"]
    for raw in (b"not json", b"[1, 2]"):
        response = await client.post("/api/posts", data=raw)
        assert response.status == 400
    injection = await client.get("/api/posts", params={"tag": '{"$ne": null}'})
    assert injection.status == 200 and (await injection.json())["total"] == 0
    assert await count_posts(client) == 0


async def test_a_taken_slug_is_409(client: TestClient[Any, Any]) -> None:
    author = await make_author(client)
    await make_post(client, author)
    again = await client.post(
        "/api/posts", json={"title": "Other", "slug": "hello", "body": "b", "author": author}
    )
    assert again.status == 409
    assert "slug" in (await again.json())["error"]
    assert await count_posts(client) == 1


async def test_bad_updates_are_400_and_change_nothing(client: TestClient[Any, Any]) -> None:
    author = await make_author(client)
    created = await make_post(client, author)
    response = await client.patch(
        f"/api/posts/{created['id']}", json={"title": "", "comments": [], "tags": [1.5]}
    )
    assert response.status == 400
    assert set((await response.json())["errors"]) == {"comments", "tags"} | {"title"}
    read = await (await client.get(f"/api/posts/{created['id']}")).json()
    assert read["title"] == "Hello" and read["tags"] == []


async def test_comments_are_appended(client: TestClient[Any, Any]) -> None:
    author = await make_author(client)
    created = await make_post(client, author)
    url = f"/api/posts/{created['id']}/comments"
    first = await client.post(url, json={"name": "Bob", "text": "Nice"})
    assert first.status == 201 and (await first.json())["text"] == "Nice"
    await client.post(url, json={"name": "Cy", "text": "+1"})
    bad = await client.post(url, json={"name": "Eve", "text": "", "admin": True})
    assert bad.status == 400 and set((await bad.json())["errors"]) == {"text", "admin"}
    read = await (await client.get(f"/api/posts/{created['id']}")).json()
    assert [comment["name"] for comment in read["comments"]] == ["Bob", "Cy"]


@pytest.mark.parametrize("path", ["/api/posts/{id}", "/api/posts/{id}/comments"])
async def test_unknown_ids_are_404(client: TestClient[Any, Any], path: str) -> None:
    for identifier in (str(ObjectId()), "nope"):
        url = path.format(id=identifier)
        response = await (client.post(url, json={}) if "comments" in url else client.get(url))
        assert response.status == 404, await response.text()
    assert (await client.delete(f"/api/posts/{ObjectId()}")).status == 404
    assert (await client.patch(f"/api/posts/{ObjectId()}", json={})).status == 404


async def test_home_page_and_authors(client: TestClient[Any, Any]) -> None:
    author = await make_author(client, "Ada")
    await make_post(client, author, title="<script>alert(1)</script>", tags=["x"])
    page = await client.get("/")
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert "&lt;script&gt;" in text and "<script>" not in text and "by Ada" in text
    authors = await (await client.get("/api/authors")).json()
    assert [entry["name"] for entry in authors] == ["Ada"]
