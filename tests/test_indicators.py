"""The indicator registry: every figure named once, resolvable, written the official way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from report_fixtures import FULL, context

from epireport.settings import project_resources
from transforms.indicators import (
    Registry,
    figure_record,
    figure_text,
    format_figure,
    load_registry,
    report_figures,
)
from transforms.report_model import PreviousReport

RESOURCES = project_resources()
REGISTRY = load_registry(RESOURCES.indicators_path, RESOURCES.metrics_dir)
PREVIOUS = PreviousReport(
    cutoff_date=dt.date(2022, 11, 30), v60_dose1=7600, v60_dose1_pct=Decimal("90.57"),
    v60_dose2=7300, v60_dose2_pct=Decimal("87.00"), booster=18416, booster_pct=Decimal("81.89"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("style", "value", "unit", "text"),
    [
        ("exact", 7663, "剂次", "7663剂次"),
        ("exact", 0, "个", "0个"),
        ("activity", 203418, "次", "20万余次"),
        ("activity", 2537, "张", "2500多张"),
        ("activity", 42000, "条次", "42000条次"),
        ("rate", Decimal("91.32"), "%", "91.32%"),
        ("rate", Decimal("100"), "%", "100.00%"),
        ("target", Decimal("90.00"), "%", "90%"),
        ("target", Decimal("92.50"), "%", "92.5%"),
        ("change", -25, "剂次", "25剂次"),
        ("points", Decimal("-0.305"), "个百分点", "0.31个百分点"),
        ("points", Decimal("1.25"), "个百分点", "1.25个百分点"),
    ],
)
def test_figures_are_written_the_official_way(style, value, unit, text) -> None:
    assert format_figure(style, value, unit) == text


def test_every_indicator_resolves_on_a_complete_report() -> None:
    ctx = context(previous=PREVIOUS)
    keys = {f.indicator.key for f in report_figures(ctx, REGISTRY)}
    # quotas are per item and optional; every other indicator has a value in FULL
    assert {i.key for i in REGISTRY.indicators} - keys == set()


def test_per_element_figures_are_keyed_by_their_element() -> None:
    figures = {f.key: f for f in report_figures(context(), REGISTRY)}
    assert figures["vaccination.village_coverage[01].v60_dose1_pct"].text == "93.10%"
    assert figures["reserves.items[白沙镇卫生院.beds].value"].text == "40张"
    assert figures["reserves.items[白沙镇卫生院.antipyretic_boxes].quota"].text == "500盒"
    assert "reserves.items[石门村卫生室.antipyretic_boxes].quota" not in figures  # no quota
    assert "changes.v60_dose1" not in figures  # no previous report


def test_changes_are_figures_when_a_previous_report_exists() -> None:
    ctx = context(previous=PREVIOUS)
    assert ctx.changes is not None
    assert (ctx.changes.v60_dose1, ctx.changes.v60_dose1_pct) == (63, Decimal("0.75"))
    assert figure_text(ctx, REGISTRY, "changes.v60_dose1") == "63剂次"
    assert figure_text(ctx, REGISTRY, "changes.v60_dose2_pct") == "0.30个百分点"


def test_a_figure_record_says_what_it_counts_and_where_from() -> None:
    ctx = context()
    figure = next(f for f in report_figures(ctx, REGISTRY) if f.key == "vaccination.v60_dose1")
    record = figure_record(figure, ctx, "sql/metrics/")
    assert record == {
        "key": "vaccination.v60_dose1",
        "name": "60岁以上人群第一针接种",
        "value": 7663,
        "unit": "剂次",
        "text": "7663剂次",
        "definition": REGISTRY.get("vaccination.v60_dose1").definition,
        "denominator": None,
        "age_reference_date": "2022-12-20",
        "sql": "sql/metrics/vaccination_coverage.sql",
        "source_files": FULL.vaccination.sources.files,
        "source_rows": FULL.vaccination.sources.rows,
    }


def test_unknown_keys_and_missing_elements_fail_loudly() -> None:
    with pytest.raises(KeyError, match="no indicator"):
        figure_text(context(), REGISTRY, "vaccination.no_such_figure")
    with pytest.raises(ValueError, match="per element"):
        figure_text(context(), REGISTRY, "verification.by_result[].count")


def test_the_registry_refuses_duplicates_and_unknown_sql(tmp_path: Path) -> None:
    entry = {"key": "grid.grids", "name": "网格", "unit": "个", "style": "exact",
             "definition": "x", "sql": "grid.sql"}  # fmt: skip
    with pytest.raises(ValueError, match="listed twice"):
        Registry.model_validate({"indicators": [entry, entry]})
    (tmp_path / "r.yaml").write_text(
        "indicators:\n  - {key: grid.grids, name: 网格, unit: 个, style: exact, "
        "definition: x, sql: nowhere.sql}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"nowhere\.sql"):
        load_registry(tmp_path / "r.yaml", RESOURCES.metrics_dir)
