"""The benchmark harness itself (``python -m bench``): the workloads that need no server compare
equal, the memory measurement retains what it should, and the report carries both."""

from __future__ import annotations

from typing import Any, cast

import pytest

from bench import memory, report
from bench.__main__ import main
from bench.runner import Measurement, ModeResult, WorkloadResult
from bench.workloads import W5_FILTERS, WORKLOADS, Context, Workload


def _workload(key: str) -> Workload:
    return next(workload for workload in WORKLOADS if workload.key == key)


def test_keyword_filter_workload_follows_the_q_filter_one() -> None:
    keys = [workload.key for workload in WORKLOADS]
    assert keys.index("W8") == keys.index("W5") + 1
    assert _workload("W8").target == 10.0
    assert _workload("W1").target == 1.25


@pytest.mark.parametrize("key", ["W5", "W8"])
async def test_filter_workloads_compile_what_the_dict_literal_says(key: str) -> None:
    # The filter workloads send nothing: no database behind the context.
    context = Context(raw=cast(Any, None), names=[f"user {i:05d}" for i in range(W5_FILTERS)])
    workload = _workload(key)
    raw = await workload.raw(context)
    assert raw
    assert await workload.odm(context) == raw


def test_memory_counts_what_the_documents_retain() -> None:
    result = memory.measure(500)
    per_document = result.per_document
    assert per_document(result.raw) > 500  # nine fields, an embedded document and a list
    assert abs(result.raw_read - result.raw) < 1_000  # reading a dict keeps nothing
    assert 0 < result.documents_extra < result.raw
    assert result.documents_extra_read > result.documents_extra  # conversions are kept
    assert result.ratio > 1.0
    assert result.ratio_read > result.ratio


def test_report_has_the_keyword_filter_row_and_the_memory_section() -> None:
    workload = _workload("W8")
    result = WorkloadResult(workload, Measurement([1.0], [1.0]), Measurement([9.0], [9.0]))
    mode = ModeResult("client", "client overhead", 1, [result])
    text = report.markdown([mode], "python -m bench", memory.MemoryResult(10, 100, 100, 150, 200))
    assert f"| W8 {workload.title} | <= 10x | 1000.0 | 9000.0 | 9.00x | met |" in text
    assert "## Retained memory" in text
    assert "| as loaded (hydrated) | 10 | 5 | 15 | 1.50x |" in text
    assert "| after reading every field | 10 | 10 | 20 | 2.00x |" in text


def test_only_memory_runs_without_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "memory", "--no-write"]) == 0
    output = capsys.readouterr().out
    assert "retained memory of 10,000 documents" in output
    assert "client overhead mode" not in output


def test_only_refuses_an_unknown_name() -> None:
    with pytest.raises(SystemExit):
        main(["--only", "W5", "W99", "--no-write"])
