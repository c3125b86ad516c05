"""``python -m bench``: run the benchmark and write bench/results/ (``--help`` for options)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import memory, report
from bench.runner import ModeResult, run_client_mode, run_e2e_mode
from bench.workloads import WORKLOADS

#: The name ``--only`` takes for the retained-memory measurement.
MEMORY = "MEMORY"
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="aiomotorengine versus raw PyMongo."
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 warm-up + 3 repeats (default: 1 + 7)"
    )
    parser.add_argument("--mode", choices=("client", "e2e", "both"), default="both")
    parser.add_argument("--repeats", type=int, help="measured repeats per contender")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="W",
        help="run only these workloads (e.g. W1 W3); the retained-memory measurement, run once "
        "otherwise, is then skipped unless 'memory' is among them ('--only memory': it alone)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile the aiomotorengine side in client-overhead mode (PROFILE.md)",
    )
    parser.add_argument("--output", default=RESULTS, help="where to write the results")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    arguments = parser.parse_args(argv)

    repeats = arguments.repeats or (3 if arguments.quick else 7)
    workloads = WORKLOADS
    with_memory = True
    if arguments.only:
        wanted = {key.upper() for key in arguments.only}
        with_memory = MEMORY in wanted
        workloads = tuple(workload for workload in WORKLOADS if workload.key in wanted)
        unknown = wanted - {workload.key for workload in WORKLOADS} - {MEMORY}
        if unknown:
            parser.error(f"no workload {', '.join(sorted(unknown))}")
    options = {"workloads": workloads, "warmup": arguments.warmup, "repeats": repeats}

    started = time.monotonic()
    memory_result = None
    if with_memory:
        print("retained memory (tracemalloc, no server) ...", flush=True)
        memory_result = memory.measure()
    modes: list[ModeResult] = []
    if workloads and arguments.mode in ("client", "both"):
        print("client overhead mode (canned wire server) ...", flush=True)
        modes.append(run_client_mode(profile=arguments.profile, **options))
    if workloads and arguments.mode in ("e2e", "both"):
        print("end-to-end mode (embedded server) ...", flush=True)
        modes.append(run_e2e_mode(**options))
    print()
    if modes:
        report.print_table(modes)
    if memory_result is not None:
        if modes:
            print()
        report.print_memory(memory_result)
    for mode in modes:
        if mode.profiles:
            print()
            print(report.profiles(mode))
    if not arguments.no_write:
        command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
        written = report.write(modes, arguments.output, command.strip(), memory=memory_result)
        for path in written:
            print(f"wrote {os.path.relpath(path)}")
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
