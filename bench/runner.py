"""Run the workloads: both contenders interleaved in one process, warm-up then repeats."""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient

from aiomotorengine import connect
from aiomotorengine.connection import disconnect_all
from bench import data
from bench.workloads import WORKLOADS, Context, Workload, make_context

DATABASE = "aiomotorengine_bench"


@dataclass
class Measurement:
    """CPU and wall times (seconds) of one contender on one workload, one per repeat."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)


@dataclass
class WorkloadResult:
    workload: Workload
    raw: Measurement = field(default_factory=Measurement)
    odm: Measurement = field(default_factory=Measurement)

    @property
    def ratio(self) -> float:
        """Median aiomotorengine client CPU time over median raw PyMongo client CPU time."""
        return self.odm.cpu_median / self.raw.cpu_median

    @property
    def wall_ratio(self) -> float:
        return self.odm.wall_median / self.raw.wall_median


@dataclass
class ModeResult:
    mode: str  # "client" or "e2e"
    description: str
    repeats: int
    results: list[WorkloadResult]
    profiles: dict[str, str] = field(default_factory=dict)


async def _timed(run: Callable[[Context], Awaitable[Any]], context: Context) -> tuple[float, float]:
    gc.collect()
    wall = time.perf_counter()
    cpu = time.process_time()
    await run(context)
    return time.process_time() - cpu, time.perf_counter() - wall


async def seed(uri: str) -> None:
    """Write the benchmark's collections (end-to-end mode)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        await client.drop_database(DATABASE)
        database = client[DATABASE]
        for name, documents in data.collections().items():
            await database[name].insert_many(documents)
    finally:
        await client.close()


async def run_mode(
    mode: str,
    description: str,
    uri: str,
    workloads: Sequence[Workload] = WORKLOADS,
    *,
    warmup: int,
    repeats: int,
    profile: bool = False,
    progress: Callable[[str], None] = print,
) -> ModeResult:
    """Measure every workload, raw and aiomotorengine alternating who goes first."""
    if mode == "e2e":
        await seed(uri)
    database = connect(DATABASE, host=uri)
    try:
        raw = database.client[DATABASE]
        context = await make_context(raw)
        results = [WorkloadResult(workload) for workload in workloads]
        for result in results:
            await _check(result.workload, context)
        for round_number in range(warmup + repeats):
            counted = round_number >= warmup
            for result in results:
                workload = result.workload
                contenders = [(workload.raw, result.raw), (workload.odm, result.odm)]
                if round_number % 2:
                    contenders.reverse()
                for run, measurement in contenders:
                    if workload.prepare is not None:
                        await workload.prepare(context)
                    cpu, wall = await _timed(run, context)
                    if counted:
                        measurement.cpu.append(cpu)
                        measurement.wall.append(wall)
            label = "warm-up" if not counted else f"repeat {round_number - warmup + 1}/{repeats}"
            progress(f"  [{mode}] {label} done")
        outcome = ModeResult(mode, description, repeats, results)
        if profile:
            for workload in workloads:
                outcome.profiles[workload.key] = await _profile(workload, context)
        return outcome
    finally:
        if mode == "e2e":
            await database.client.drop_database(DATABASE)
        await disconnect_all()


async def _check(workload: Workload, context: Context) -> None:
    if workload.prepare is not None:
        await workload.prepare(context)
    raw = await workload.raw(context)
    if workload.prepare is not None:
        await workload.prepare(context)
    odm = await workload.odm(context)
    if workload.check and raw != odm:
        raise AssertionError(f"{workload.key}: aiomotorengine and raw PyMongo results differ")
    if not raw:  # equal but empty: the data is not what the workload measures
        raise AssertionError(f"{workload.key}: no results to compare")


async def _profile(workload: Workload, context: Context, top: int = 12) -> str:
    """The aiomotorengine side of ``workload`` under cProfile: top functions by tottime."""
    if workload.prepare is not None:
        await workload.prepare(context)
    profiler = cProfile.Profile()
    profiler.enable()
    await workload.odm(context)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    lines = stream.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    header = next((line.strip() for line in lines if "function calls" in line), "")
    return "\n".join([header, *lines[start:]]).rstrip()


def run_client_mode(**options: Any) -> ModeResult:
    """Client overhead: against the canned wire server, in a subprocess of its own."""
    from bench.wire_server import WireServerProcess

    with WireServerProcess() as server:
        return asyncio.run(
            run_mode(
                "client",
                "client overhead (canned-reply wire server in a subprocess)",
                server.uri,
                **options,
            )
        )


def run_e2e_mode(**options: Any) -> ModeResult:
    """End to end: against the embedded server (SecantusDB, its own process)."""
    from aiomotorengine.testing import EmbeddedServer

    with EmbeddedServer() as server:
        return asyncio.run(
            run_mode("e2e", "end to end (embedded SecantusDB server)", server.uri, **options)
        )
