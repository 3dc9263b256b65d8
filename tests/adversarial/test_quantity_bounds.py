"""Quantities have upper bounds per kind and field (issue 13, class 6).

The promise: a count above its field's bound (a typing error: an ID or phone number in a
count column, 9223372036854775807, 1e15) is refused as quantity_too_large with a Chinese
reason and never reaches a figure; a count at the bound loads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from conftest import RUN_DATE
from hypothesis import given
from hypothesis import strategies as st
from spreadsheets import write_csv

from epireport.settings import project_resources
from transforms.completeness import build_submissions
from transforms.discover import discover_files
from transforms.ingest import normalize_reads, read_file, settle_versions
from transforms.load import load_into_duckdb
from transforms.metrics import MetricParams, compute_metrics
from transforms.normalize import FIELD_TYPES, normalize_kind
from transforms.vocabulary import QUANTITY_BOUNDS, QUANTITY_CEILING, REASON_TEXTS

RESOURCES = project_resources()
TOO_LARGE = "quantity_too_large"

# A row of each kind with a count field, every required field filled and valid.
VALID_ROWS: dict[str, dict[str, str]] = {
    "publicity": {"activity_on": "2022-03-01", "kind": "宣传单", "quantity": "1"},
    "grid": {"grid_code": "G1", "village": "石门村", "households": "1", "visited_households": "1"},
    "key_place": {"inspected_on": "2022-03-01", "place_name": "集贸市场", "place_type": "农贸市场",
                  "problems_found": "1"},
    "demonstration": {"village": "石门村", "taking_part": "是"},
    "reserve": {"unit": "白沙镇卫生院", "reported_on": "2022-03-01"},
}  # fmt: skip
COUNT_FIELDS = [
    (kind, field)
    for kind, types in FIELD_TYPES.items()
    for field, field_type in types.items()
    if field_type == "count"
]


def _normalize(kind: str, field: str, values: list[str], ctx) -> tuple[list, list[str]]:
    """The loaded values of ``field`` and the refusal codes, one row per value."""
    rows = pl.DataFrame(
        [
            {**VALID_ROWS[kind], field: v, "file_id": "f", "sheet": "s", "row_number": i}
            for i, v in enumerate(values, 2)
        ]
    )
    result = normalize_kind(kind, rows, ctx)
    return result.loaded[field].to_list(), result.refused["reason_code"].to_list()


def test_every_count_field_has_a_bound_under_the_ceiling() -> None:
    bounded = {(k, f) for k, fields in QUANTITY_BOUNDS.items() for f in fields}
    assert set(COUNT_FIELDS) == bounded
    assert all(0 < b <= QUANTITY_CEILING for fs in QUANTITY_BOUNDS.values() for b in fs.values())
    # Why a bound per row keeps sums safe: even 10^9 rows at the ceiling stay inside BIGINT.
    assert QUANTITY_CEILING * 10**9 < 2**63 - 1


@pytest.mark.parametrize(("kind", "field"), COUNT_FIELDS)
def test_the_bound_loads_and_one_more_is_refused(kind: str, field: str, ctx) -> None:
    bound = QUANTITY_BOUNDS[kind][field]
    loaded, refused = _normalize(kind, field, [str(bound - 1), f"{bound:,}", str(bound + 1)], ctx)
    assert loaded == [bound - 1, bound]
    assert refused == [TOO_LARGE]


@given(
    st.sampled_from(COUNT_FIELDS),
    st.integers(1, 10**30),
    st.sampled_from(["{:d}", "{:,}", "约{:d}", "{:d}张", "{:,}余", "{:d}.0"]),
)
def test_huge_counts_are_refused_however_written(
    ctx, field: tuple[str, str], excess: int, form: str
) -> None:
    kind, name = field
    value = QUANTITY_BOUNDS[kind][name] + excess
    loaded, refused = _normalize(kind, name, [form.format(value)], ctx)
    assert (loaded, refused) == ([], [TOO_LARGE])


@given(
    st.sampled_from(COUNT_FIELDS),
    st.sampled_from(["9223372036854775807", "9223372036854775808", "1e15", "1E+15", "2.5e9"]),
)
def test_overflowing_and_scientific_counts_are_refused(
    ctx, field: tuple[str, str], raw: str
) -> None:
    kind, name = field
    assert _normalize(kind, name, [raw], ctx) == ([], [TOO_LARGE])


def test_a_huge_count_is_listed_in_chinese_and_counts_in_no_figure(
    tmp_path: Path, ctx, demo_config
) -> None:
    """石门村's publicity log: 300 leaflets, then 9223372036854775807 and 1e15 typed as counts."""
    inbox = tmp_path / "inbox"
    write_csv(
        inbox / "石门村/宣传台账.csv",
        [
            ["石门村宣传工作台账"],
            ["日期", "宣传形式", "数量"],
            ["2022-03-01", "宣传单", "300"],
            ["2022-03-02", "宣传单", "9223372036854775807"],
            ["2022-03-03", "宣传画刊播", "1e15"],
        ],
    )
    reads = [read_file(f, ctx, 2**26, 2**28) for f in discover_files(inbox)]
    ingest = normalize_reads(settle_versions(reads), ctx)
    db = tmp_path / "t.duckdb"
    load_into_duckdb(ingest, db, RESOURCES.models_dir, ctx, "fp")
    cutoff = demo_config.cutoff(RUN_DATE)
    build_submissions(db, RESOURCES.models_dir, demo_config, demo_config.period.start, cutoff)
    figures = compute_metrics(
        db, RESOURCES.metrics_dir, MetricParams.from_config(demo_config, cutoff)
    ).metrics.model_dump(mode="json")
    refused = ingest.refused_rows.select("row_number", "field", "reason_code", "reason").rows()
    reason = REASON_TEXTS[TOO_LARGE]
    assert refused == [(4, "quantity", TOO_LARGE, reason), (5, "quantity", TOO_LARGE, reason)]
    assert "，" in reason and not any(c in reason for c in ",:;()")
    assert (figures["publicity"]["leaflet"], figures["publicity"]["broadcast"]) == (300, 0)
    assert dt.date(2022, 3, 1) >= demo_config.period.start
