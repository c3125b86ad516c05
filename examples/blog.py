"""A small blog on aiomotorengine and aiohttp: the application ``make demo`` serves.

Authors; posts with a unique slug, tags, embedded comments and a reference to their author; a
server-rendered HTML page listing the posts and a JSON API to list (filter by tag or author,
paginate, sort), read, create, update and delete posts and add comments. One connection is
opened when the application starts and closed when it stops (``cleanup_ctx``), as the Motor
tutorial's web application does with its client.
"""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from bson import ObjectId

from aiomotorengine import (
    DESCENDING,
    DateTimeField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    InvalidDocumentError,
    InvalidQueryError,
    ListField,
    ReferenceField,
    StringField,
    UniqueKeyViolationError,
    connect,
    disconnect,
)

__all__ = ["Author", "Comment", "Post", "create_app"]

#: The largest page the API returns; a client cannot ask for the whole collection at once.
MAX_PAGE_SIZE = 100
#: What ``?sort=`` may name (a leading ``-`` sorts descending).
SORTABLE = ("created", "title")


class Author(Document):
    __collection__ = "authors"
    name = StringField(required=True, max_length=80)
    email = EmailField(required=True, unique=True)


class Comment(EmbeddedDocument):
    name = StringField(required=True, max_length=80)
    text = StringField(required=True, max_length=2000)
    created = DateTimeField(auto_now_on_insert=True)


class Post(Document):
    __collection__ = "posts"
    title = StringField(required=True, max_length=200)
    slug = StringField(required=True, unique=True, max_length=200)
    body = StringField(required=True)
    tags = ListField(StringField(max_length=30))
    author = ReferenceField(Author, required=True)
    comments = ListField(EmbeddedDocumentField(Comment))
    created = DateTimeField(auto_now_on_insert=True)
    updated = DateTimeField(auto_now_on_update=True)


# What a client may send for a post: everything but the identity, comments and timestamps.
EDITABLE = ("title", "slug", "body", "tags", "author")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, message: str, errors: dict[str, str] | None = None) -> web.Response:
    """A JSON error response: ``{"error": message, "errors": {field path: message}}``."""
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bad input is a 400 naming what is wrong (nothing was written), a duplicate slug a 409."""
    try:
        return await handler(request)
    except InvalidDocumentError as error:
        return json_error(400, str(error), error.errors)
    except InvalidQueryError as error:
        return json_error(400, str(error))
    except UniqueKeyViolationError as error:
        return json_error(409, str(error))


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a 400."""
    try:
        data = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "the body must be JSON"}), content_type="application/json"
        ) from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "the body must be a JSON object"}),
            content_type="application/json",
        )
    return data


async def find_post(request: web.Request) -> Post:
    """The post named by the URL's ``{id}``, or a 404."""
    identifier = request.match_info["id"]
    post = await Post.objects.get(identifier) if ObjectId.is_valid(identifier) else None
    if post is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"no post with id {identifier!r}"}),
            content_type="application/json",
        )
    return post


def page_arguments(request: web.Request) -> tuple[int, int]:
    """``(page, size)`` from the query string: page from 1, size from 1 to ``MAX_PAGE_SIZE``."""
    try:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("size", "20"))
    except ValueError:
        raise InvalidQueryError("page and size must be whole numbers") from None
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidQueryError(f"page must be >= 1 and size between 1 and {MAX_PAGE_SIZE}")
    return page, size


async def list_posts(request: web.Request) -> web.Response:
    """``GET /api/posts?tag=&author=&page=&size=&sort=``."""
    page, size = page_arguments(request)
    posts = Post.objects.filter()
    if "tag" in request.query:
        posts.filter(tags=request.query["tag"])  # a string: never an operator
    if "author" in request.query:
        posts.filter(author=request.query["author"])  # an id string: converted or refused
    sort = request.query.get("sort", "-created")
    if sort.lstrip("-") not in SORTABLE:
        raise InvalidQueryError(f"sort must be one of {', '.join(SORTABLE)} (- for descending)")
    posts.order_by(sort).skip((page - 1) * size).limit(size)
    total = await Post.objects.filter(posts.query).count()
    return web.json_response(
        {
            "page": page,
            "size": size,
            "total": total,
            "posts": [post.to_dict(json=True) for post in await posts.find_all()],
        }
    )


async def get_post(request: web.Request) -> web.Response:
    """``GET /api/posts/{id}``: the post with its author's name."""
    post = await find_post(request)
    await post.load_references()
    body = post.to_dict(json=True)
    body["author_name"] = post.author.name if post.author is not None else None
    return web.json_response(body)


async def create_post(request: web.Request) -> web.Response:
    """``POST /api/posts``: 201 with the post, 400 on bad input, 409 on a taken slug."""
    data = await read_json(request)
    failures = [
        InvalidDocumentError(f"Post.{name} cannot be set", model="Post", field=name)
        for name in sorted(set(data) - set(EDITABLE))
    ]
    try:
        post = Post.from_dict({name: value for name, value in data.items() if name in EDITABLE})
    except InvalidDocumentError as error:
        failures.append(error)
    if failures:  # every problem at once
        raise InvalidDocumentError.combine("Post", failures)
    await post.load_references()  # one query; a reference to no author reads as None
    if post.author is None:
        raise InvalidDocumentError(
            f"Post.author: no author with id {data['author']!r}",
            model="Post",
            errors={"author": f"Post.author: no author with id {data['author']!r}"},
        )
    await post.save()
    return web.json_response(post.to_dict(json=True), status=201)


async def update_post(request: web.Request) -> web.Response:
    """``PATCH /api/posts/{id}``: change the fields sent (only what changed is written)."""
    post = await find_post(request)
    data = await read_json(request)
    failures: list[InvalidDocumentError] = []
    for name, value in data.items():
        if name not in EDITABLE:
            failures.append(
                InvalidDocumentError(f"Post.{name} cannot be changed", model="Post", field=name)
            )
            continue
        try:
            setattr(post, name, value)
        except InvalidDocumentError as error:
            failures.append(error)
    try:
        post.validate()  # required fields too (a title set to "")
    except InvalidDocumentError as error:
        failures.append(error)
    if failures:
        raise InvalidDocumentError.combine("Post", failures)
    await post.save()
    return web.json_response(post.to_dict(json=True))


async def delete_post(request: web.Request) -> web.Response:
    """``DELETE /api/posts/{id}``: 204, or 404."""
    post = await find_post(request)
    await post.delete()
    return web.Response(status=204)


async def add_comment(request: web.Request) -> web.Response:
    """``POST /api/posts/{id}/comments``: appended atomically, so concurrent comments are all
    kept."""
    post = await find_post(request)
    comment = Comment.from_dict(await read_json(request))
    await Post.objects.filter(_id=post.id).update_one(push__comments=comment)
    return web.json_response(comment.to_dict(json=True), status=201)


async def list_authors(request: web.Request) -> web.Response:
    """``GET /api/authors``."""
    authors = await Author.objects.order_by("name").find_all()
    return web.json_response([author.to_dict(json=True) for author in authors])


async def home(request: web.Request) -> web.Response:
    """``GET /``: the latest posts as an HTML page (rendered on the server, no build step)."""
    latest = Post.objects.order_by("created", DESCENDING).limit(MAX_PAGE_SIZE)
    posts = await latest.find_all(lazy=False)  # the authors too, in one more query
    items = "\n".join(
        f"<article><h2>{html.escape(post.title or '')}</h2>"
        f"<p class='meta'>by {html.escape(post.author.name or '?' if post.author else '?')}"
        f" &middot; {html.escape(', '.join(post.tags or []))}"
        f" &middot; {len(post.comments or [])} comment(s)</p>"
        f"<p>{html.escape(post.body or '')}</p></article>"
        for post in posts
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>aiomotorengine blog</title>"
        "<style>body{font-family:sans-serif;max-width:42em;margin:2em auto}"
        ".meta{color:#666}</style></head><body><h1>aiomotorengine blog</h1>"
        f"{items or '<p>No posts yet.</p>'}"
        "<p><a href='/api/posts'>JSON API</a></p></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def create_app(mongodb_uri: str, database: str) -> web.Application:
    """The blog application on database ``database`` of ``mongodb_uri``: connects (as the
    default alias) when it starts, closes the connection when it stops."""

    async def connection(app: web.Application) -> AsyncIterator[None]:
        db = connect(database, host=mongodb_uri)
        await Author.ensure_index()
        await Post.ensure_index()
        yield
        await db.close()
        disconnect()

    app = web.Application(middlewares=[errors_as_json])
    app.cleanup_ctx.append(connection)
    app.router.add_get("/", home)
    app.router.add_get("/api/authors", list_authors)
    app.router.add_get("/api/posts", list_posts)
    app.router.add_post("/api/posts", create_post)
    app.router.add_get("/api/posts/{id}", get_post)
    app.router.add_patch("/api/posts/{id}", update_post)
    app.router.add_delete("/api/posts/{id}", delete_post)
    app.router.add_post("/api/posts/{id}/comments", add_comment)
    return app
