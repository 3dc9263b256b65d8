"""Metric families return lines (a 'total' and one per breakdown element) into typed sections."""

from __future__ import annotations

import polars as pl
import pytest

from epireport.config import TownshipConfig
from transforms.metrics import MasterData, assemble_section
from transforms.report_model import Verification
from transforms.vocabulary import enumeration_labels

LABELS = {
    "by_result": enumeration_labels("verification_result"),
    "by_measure": enumeration_labels("control_measure"),
}


def _lines(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows))


TOTAL = {
    "line": "total", "pushed_rows": 3, "pushed_persons": 2, "implemented_rows": 2,
    "implemented_pct": 66.67, "within_24h_rows": 1, "within_24h_pct": 33.33,
    "source_files": 1, "source_rows": 3, "code": None, "count": None,
}  # fmt: skip


def test_lines_become_a_section_with_labels_in_vocabulary_order() -> None:
    frame = _lines(
        TOTAL,
        {**dict.fromkeys(TOTAL), "line": "by_result", "code": "not_found", "count": 1},
        {**dict.fromkeys(TOTAL), "line": "by_result", "code": "implemented", "count": 2},
        {**dict.fromkeys(TOTAL), "line": "by_measure", "code": "home_monitoring", "count": 2},
    )
    section = assemble_section(Verification, frame, LABELS)
    assert section.pushed_rows == 3
    assert [(r.label, r.count) for r in section.by_result] == [("已落实", 2), ("查无此人", 1)]
    assert [(r.code, r.label) for r in section.by_measure] == [("home_monitoring", "居家健康监测")]
    assert (section.sources.files, section.sources.rows) == (1, 3)


def test_a_family_without_exactly_one_total_line_is_refused() -> None:
    with pytest.raises(ValueError, match="one 'total' line, got 2"):
        assemble_section(Verification, _lines(TOTAL, TOTAL), LABELS)


def test_a_line_that_names_no_field_is_refused() -> None:
    stray = {**dict.fromkeys(TOTAL), "line": "by_weather", "code": "rain", "count": 1}
    with pytest.raises(ValueError, match="by_weather"):
        assemble_section(Verification, _lines(TOTAL, stray), LABELS)


def test_master_data_relations_come_from_the_config(demo_config: TownshipConfig) -> None:
    relations = MasterData.from_config(demo_config).relations()
    villages = relations["master_villages"]
    assert villages.height == len(demo_config.villages)
    assert villages.row(0) == ("01", "石门村", 0)
    assert relations["master_required_kinds"]["kind"].to_list() == ["roster", "publicity", "grid"]
    clinics = relations["master_clinics"]
    assert ("白沙卫生院", "wsy", "白沙镇卫生院", 0) in clinics.rows()
    assert relations["master_reserve_quotas"].rows() == [
        ("wsy", "beds", 40),
        ("wsy", "fever_rooms", 1),
    ]
    empty = MasterData().relations()
    assert all(frame.height == 0 for frame in empty.values())
    assert empty["master_villages"].columns == ["village_code", "village_name", "position"]
