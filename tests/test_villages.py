"""Village names as typed, resolved through the master data's aliases."""

from __future__ import annotations

import pytest

from transforms.villages import VillageIndex


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("石门村", "01"),
        ("石门", "01"),
        ("石门村委会", "01"),
        ("石门村民委员会", "01"),
        (" 石 门 村 ", "01"),
        ("白沙社区", "03"),
        ("白沙居委会", "03"),
        ("黄土岭", "18"),
        ("东山村", None),
        ("", None),
    ],
)
def test_resolve(demo_config, typed: str, code: str | None) -> None:
    assert VillageIndex.from_config(demo_config).resolve(typed) == code


def test_find_in_text_prefers_first_text_and_ignores_township_name(demo_config) -> None:
    index = VillageIndex.from_config(demo_config)
    assert index.find_in(["白沙镇石门村常住人口花名册", "青山村.xlsx"]) == "01"
    assert index.find_in(["白沙镇常住人口花名册", "青山村花名册.xlsx"]) == "02"
    assert index.find_in(["白沙镇花园社区宣传台账"]) == "20"
    assert index.find_in(["白沙镇卫生院"]) is None
