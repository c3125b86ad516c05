"""Workloads W1..W8: each has a raw-PyMongo version (dicts) and an aiomotorengine version.

Both versions do the same work and return comparable results (``check`` compares them once,
untimed, so a fast but wrong contender cannot win).
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from aiomotorengine import Q
from bench import data
from bench.models import Address, Article, BulkUser, Post, User

W1_DOCUMENTS = data.USERS  # 10,000
W2_DOCUMENTS = 10_000
W3_GETS = 1_000
W4_SAVES = 1_000
W5_FILTERS = 10_000
W8_FILTERS = W5_FILTERS  # W8 uses the same names (context.names) as W5
W6_DOCUMENTS = data.POSTS  # 1,000
W7_DOCUMENTS = data.ARTICLES  # 10,000

_UserInput = tuple[str, str, int, bool, datetime.datetime, list[str], tuple[str, str, str], float]


@dataclass
class Context:
    """What the workloads share within one mode: the raw database and prepared inputs."""

    raw: AsyncDatabase[dict[str, Any]]
    user_ids: list[ObjectId] = field(default_factory=list)
    user_inputs: list[_UserInput] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    raw_loaded: list[dict[str, Any]] = field(default_factory=list)
    odm_loaded: list[User] = field(default_factory=list)
    counter: int = 0

    def next_value(self) -> int:
        """A value differing from the previous run's (so every save has a change to send)."""
        self.counter += 1
        return 20 + self.counter % 50


async def make_context(raw: AsyncDatabase[dict[str, Any]]) -> Context:
    """Inputs built once, outside any timing (W4 loads its documents here)."""
    context = Context(raw=raw)
    context.user_ids = [data.user_id(index) for index in range(W3_GETS)]
    for index in range(W2_DOCUMENTS):
        values = data.user_values(index)
        address = values["address"]
        context.user_inputs.append(
            (
                values["name"],
                values["email"],
                values["age"],
                values["active"],
                values["created"],
                values["tags"],
                (address["street"], address["city"], address["country"]),
                values["score"],
            )
        )
    context.names = [f"user {index:05d}" for index in range(W5_FILTERS)]
    context.raw_loaded = await raw["users"].find({}).limit(W4_SAVES).to_list(None)
    context.odm_loaded = await User.objects.limit(W4_SAVES).find_all()
    return context


# --- W1: fetch 10,000 documents and read one attribute of each ---------------------------------
async def w1_raw(context: Context) -> list[Any]:
    documents = await context.raw["users"].find({}).to_list(None)
    return [document["name"] for document in documents]


async def w1_odm(context: Context) -> list[Any]:
    users = await User.objects.find_all()
    return [user.name for user in users]


# --- W2: build and bulk-insert 10,000 documents ------------------------------------------------
async def w2_prepare(context: Context) -> None:
    await context.raw.drop_collection("bulk_users")


async def w2_raw(context: Context) -> int:
    documents = [
        {
            "name": name,
            "email": email,
            "age": age,
            "active": active,
            "created": created,
            "tags": list(tags),
            "address": {"street": street, "city": city, "country": country},
            "score": score,
        }
        for name, email, age, active, created, tags, (street, city, country), score in (
            context.user_inputs
        )
    ]
    result = await context.raw["bulk_users"].insert_many(documents)
    return len(result.inserted_ids)


async def w2_odm(context: Context) -> int:
    users = [
        BulkUser(
            name=name,
            email=email,
            age=age,
            active=active,
            created=created,
            tags=list(tags),
            address=Address(street=street, city=city, country=country),
            score=score,
        )
        for name, email, age, active, created, tags, (street, city, country), score in (
            context.user_inputs
        )
    ]
    inserted = await BulkUser.objects.bulk_insert(users)
    return len(inserted)


# --- W3: 1,000 sequential gets by _id --------------------------------------------------------
async def w3_raw(context: Context) -> list[Any]:
    collection = context.raw["users"]
    names = []
    for identifier in context.user_ids:
        document = await collection.find_one({"_id": identifier})
        assert document is not None
        names.append(document["name"])
    return names


async def w3_odm(context: Context) -> list[Any]:
    names = []
    for identifier in context.user_ids:
        user = await User.objects.get(identifier)
        assert user is not None
        names.append(user.name)
    return names


# --- W4: 1,000 sequential saves of one changed field -----------------------------------------
async def w4_raw(context: Context) -> int:
    collection = context.raw["users"]
    value = context.next_value()
    for document in context.raw_loaded:
        document["age"] = value
        await collection.update_one({"_id": document["_id"]}, {"$set": {"age": value}})
    return len(context.raw_loaded)


async def w4_odm(context: Context) -> int:
    value = context.next_value()
    for user in context.odm_loaded:
        user.age = value
        await user.save()
    return len(context.odm_loaded)


# --- W5: build and compile 10,000 filters ----------------------------------------------------
async def w5_raw(context: Context) -> list[dict[str, Any]]:
    return [
        {"age": {"$gt": 20}, "$or": [{"name": name}, {"tags": {"$in": ["tag1", "tag2"]}}]}
        for name in context.names
    ]


async def w5_odm(context: Context) -> list[dict[str, Any]]:
    return [
        (Q(age__gt=20) & (Q(name=name) | Q(tags__in=["tag1", "tag2"]))).to_query(User)
        for name in context.names
    ]


# --- W8: build and compile 10,000 keyword filters: filter(**keywords).query, no Q objects ---
async def w8_raw(context: Context) -> list[dict[str, Any]]:
    return [{"age": {"$gt": 20}, "name": name} for name in context.names]


async def w8_odm(context: Context) -> list[dict[str, Any]]:
    return [User.objects.filter(age__gt=20, name=name).query for name in context.names]


# --- W6: fetch 1,000 documents with a reference each and load the references -----------------
async def w6_raw(context: Context) -> list[Any]:
    posts = await context.raw["posts"].find({}).to_list(None)
    identifiers = list({post["author"] for post in posts})
    authors = {
        author["_id"]: author
        for author in await context.raw["users"].find({"_id": {"$in": identifiers}}).to_list(None)
    }
    for post in posts:
        post["author"] = authors.get(post["author"])
    return [post["author"]["name"] for post in posts]


async def w6_odm(context: Context) -> list[Any]:
    posts = await Post.objects.find_all(lazy=False)
    return [post.author.name for post in posts]  # type: ignore[union-attr]


# --- W7: filter 10,000 docs by a field of their reference and load it, in one aggregation ------
# The raw version is the pipeline aiomotorengine sends, written by hand.
async def w7_raw(context: Context) -> list[Any]:
    pipeline: list[dict[str, Any]] = [
        {
            "$lookup": {
                "from": "users",
                "localField": "author",
                "foreignField": "_id",
                "as": "author_doc",
                "pipeline": [{"$match": {"score": {"$gte": data.AUTHOR_MIN_SCORE}}}],
            }
        },
        {"$match": {"author_doc": {"$ne": []}}},
    ]
    cursor = await context.raw["articles"].aggregate(pipeline)
    articles = await cursor.to_list(None)
    return [(article["title"], article["author_doc"][0]["name"]) for article in articles]


async def w7_odm(context: Context) -> list[Any]:
    articles = (
        await Article.objects.filter(author__score__gte=data.AUTHOR_MIN_SCORE)
        .select_related("author")
        .find_all()
    )
    return [(article.title, article.author.name) for article in articles]  # type: ignore[union-attr]


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    target: float
    raw: Callable[[Context], Awaitable[Any]]
    odm: Callable[[Context], Awaitable[Any]]
    short: str = ""  # the chart's label
    prepare: Callable[[Context], Awaitable[None]] | None = None
    # Results of both versions must be equal (W2/W4: counts; the others: values).
    check: bool = True


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "W1", f"fetch {W1_DOCUMENTS:,} docs, read 1 attribute", 1.25, w1_raw, w1_odm, "hydrate"
    ),
    Workload(
        "W2",
        f"build + bulk-insert {W2_DOCUMENTS:,} docs",
        2.0,
        w2_raw,
        w2_odm,
        "bulk insert",
        w2_prepare,
    ),
    Workload("W3", f"{W3_GETS:,} sequential gets by _id", 1.15, w3_raw, w3_odm, "get by id"),
    Workload(
        "W4", f"{W4_SAVES:,} saves of one changed field", 1.2, w4_raw, w4_odm, "save one field"
    ),
    Workload("W5", f"build + compile {W5_FILTERS:,} filters", 10.0, w5_raw, w5_odm, "filter build"),
    Workload(
        "W8",
        f"build + compile {W8_FILTERS:,} keyword filters",
        10.0,
        w8_raw,
        w8_odm,
        "keyword filter",
    ),
    Workload(
        "W6",
        f"fetch {W6_DOCUMENTS:,} docs + load 1 reference each",
        1.5,
        w6_raw,
        w6_odm,
        "references",
    ),
    Workload(
        "W7",
        f"filter {W7_DOCUMENTS:,} docs by their author's score + load the authors",
        2.0,
        w7_raw,
        w7_odm,
        "join",
    ),
)
