"""The benchmark's documents: deterministic, so the canned server and the client agree."""

from __future__ import annotations

import datetime
from typing import Any

from bson import ObjectId

USERS = 10_000
POSTS = 1_000
ARTICLES = 10_000
#: How many users write the articles: article ``i`` is by user ``i % ARTICLE_AUTHORS``.
ARTICLE_AUTHORS = 1_000
#: W7 keeps the articles whose author's score is at least this (5,020 of the 10,000); no
#: workload writes ``score`` (W4 changes ``age``).
AUTHOR_MIN_SCORE = 125.0

_EPOCH = datetime.datetime(2024, 1, 1, 12, 0, 0)


def _object_id(kind: int, index: int) -> ObjectId:
    return ObjectId(bytes([0x66, 0, 0, kind]) + index.to_bytes(8, "big"))


def user_id(index: int) -> ObjectId:
    return _object_id(1, index)


def post_id(index: int) -> ObjectId:
    return _object_id(2, index)


def user_values(index: int) -> dict[str, Any]:
    """The realistic user of the issue, without ``_id``: two strings, an int, a bool, a
    datetime, a list of 3 strings, an embedded address of 3 strings and a float."""
    return {
        "name": f"user {index:05d}",
        "email": f"user{index:05d}@example.com",
        "age": 18 + index % 60,
        "active": index % 3 != 0,
        "created": _EPOCH + datetime.timedelta(seconds=index * 37),
        "tags": [f"tag{index % 7}", f"tag{index % 11}", f"tag{index % 13}"],
        "address": {
            "street": f"{index} Main Street",
            "city": f"City {index % 100}",
            "country": "Utopia",
        },
        "score": index * 0.25 + 0.5,
    }


def user_son(index: int) -> dict[str, Any]:
    return {"_id": user_id(index), **user_values(index)}


def article_id(index: int) -> ObjectId:
    return _object_id(3, index)


def article_son(index: int) -> dict[str, Any]:
    """An article by one of the first ``ARTICLE_AUTHORS`` users (ten articles each)."""
    return {
        "_id": article_id(index),
        "title": f"Article number {index}",
        "author": user_id(index % ARTICLE_AUTHORS),
    }


def post_son(index: int) -> dict[str, Any]:
    """A post referencing its own user (1,000 posts, 1,000 distinct authors)."""
    return {"_id": post_id(index), "title": f"Post number {index}", "author": user_id(index)}


def collections(
    users: int = USERS, posts: int = POSTS, articles: int = ARTICLES
) -> dict[str, list[dict[str, Any]]]:
    """Every collection's documents, by collection name."""
    return {
        "users": [user_son(index) for index in range(users)],
        "posts": [post_son(index) for index in range(posts)],
        "articles": [article_son(index) for index in range(articles)],
    }
