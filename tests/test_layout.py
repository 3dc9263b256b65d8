"""Finding the table in a sheet: header under title rows, aliases, notes, footers."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.layout import HeaderProblem, find_header, locate_table, skip_reason
from transforms.read import RawSheet


def grid(rows: list[list[str | None]]) -> RawSheet:
    width = max(len(r) for r in rows)
    padded = [r + [None] * (width - len(r)) for r in rows]
    return RawSheet(
        name="一组",
        cells=pl.DataFrame(padded, schema=[f"c{i}" for i in range(width)], orient="row"),
    )


ROSTER_HEADER = ["组别", "姓名", "身份证号码", "联系电话", "居住状态"]


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (ROSTER_HEADER, "roster"),
        (["村民小组", "居民姓名", "公民身份号码（必填）", "手机号", "人员状态"], "roster"),
        (["姓 名", "身份证号码*", "在家情况"], "roster"),
        (
            ["接种单位", "受种者姓名", "受种者身份证号", "针次", "疫苗厂家", "接种时间"],
            "vaccination",
        ),
        (["开展日期", "宣传方式", "份数", "宣传地点"], "publicity"),
        (["日期", "宣传形式", "数量"], "publicity"),
        (["网格编号", "所属村", "所辖户数", "走访户数"], "grid"),
        (["日期", "名称", "类型", "文号"], "meeting"),
        (["单位", "日期", "床位数", "退烧药库存(盒)"], "reserve"),
        (["村(社区)", "是否参与创建", "创建阶段"], "demonstration"),
    ],
)
def test_header_is_recognised_by_alias(header: list[str], kind: str) -> None:
    found = find_header(grid([["某某台账"], header]).cells)
    assert not isinstance(found, HeaderProblem)
    row, found_kind, _ = found
    assert (row, found_kind) == (1, kind)


def test_full_width_header_is_recognised() -> None:
    found = find_header(grid([["姓名", "身份证号码（必填）", "居住状态"]]).cells)
    assert not isinstance(found, HeaderProblem)
    assert found[1] == "roster"
    assert found[2] == {"name": 0, "id_number": 1, "status": 2}


def test_missing_required_column_is_named() -> None:
    found = find_header(grid([["组别", "姓名", "联系电话", "居住状态"]]).cells)
    assert isinstance(found, HeaderProblem)
    assert found.code == "missing_required_column"
    assert "身份证号码" in found.message


def test_unknown_header_is_refused() -> None:
    found = find_header(grid([["食堂采购清单"], ["品名", "单价", "数量(斤)"]]).cells)
    assert isinstance(found, HeaderProblem)
    assert found.code == "unknown_header"


def test_title_rows_blank_rows_and_footers_are_not_data() -> None:
    table = locate_table(
        grid(
            [
                ["石门村常住人口花名册"],
                ["填报单位:石门村委会"],
                [None],
                ROSTER_HEADER,
                ["一组", "甲", "1", None, "在家"],
                [None, None, None, None, None],
                ["一组", "乙", "2", None, "外出"],
                ROSTER_HEADER,
                ["二组", "丙", "3", None, "死亡"],
                ["合 计", None, "3人"],
                ["制表人:某某", None, "填报日期:2022年12月18日"],
            ]
        )
    )
    assert not isinstance(table, HeaderProblem)
    assert table.header_row == 4
    assert table.rows["row_number"].to_list() == [5, 7, 9]
    assert table.rows["id_number"].to_list() == ["1", "2", "3"]
    assert table.preamble == ("石门村常住人口花名册", "填报单位:石门村委会")
    assert any("填报日期" in line for line in table.footer)


@pytest.mark.parametrize(
    ("name", "rows", "expected"),
    [
        ("填表说明", [["请按模板填写"], ["身份证号码请填写18位"]], "instruction_sheet"),
        ("说明", [["本表由村委会填写"]], "instruction_sheet"),
        ("一组", [["食堂采购"], ["品名", "单价"]], "unknown_header"),
        ("花名册（说明后填写）", [ROSTER_HEADER, ["一组", "甲", "1", None, "在家"]], None),
    ],
)
def test_a_sheet_is_skipped_by_its_content_never_by_its_name(
    name: str, rows: list[list[str | None]], expected: str | None
) -> None:
    sheet = RawSheet(name=name, cells=grid(rows).cells)
    located = locate_table(sheet)
    if expected is None:
        assert not isinstance(located, HeaderProblem)
        assert located.rows.height == 1
    else:
        assert isinstance(located, HeaderProblem)
        assert skip_reason(sheet, located).code == expected
