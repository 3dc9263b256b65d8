"""A second, tiny township with its own master data and inbox: nothing is tied to the demo.

青石乡 has two villages, one clinic with an alias and a village clinic. Every expected
figure below is counted by hand from the rows this module writes. The flow runs twice
into one output folder, at two cut-off dates, so the second report compares with the first.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest
import yaml
from conftest import RUN_DATE
from spreadsheets import write_csv, write_xlsx

from flows.township_report import township_report
from transforms.ids import check_digit

pytestmark = pytest.mark.e2e

KEY_ENV = "QINGSHI_TEST_PERSON_KEY"
R1, R2 = dt.date(2022, 12, 20), dt.date(2023, 1, 15)


def pid(birth: str, seq: str) -> str:
    first17 = "430521" + birth + seq
    return first17 + check_digit(first17)


P1 = pid("19400303", "011")  # 东岭村, 82
P2 = pid("19550701", "012")  # 东岭村, 67
P3 = pid("19621231", "013")  # 东岭村, 59 at R1, 60 at R2
P4 = pid("19900505", "014")  # 东岭村, 32
P5 = pid("20150202", "015")  # 东岭村, 7
P6 = pid("19450101", "016")  # 东岭村, 死亡: outside the base
Q1 = pid("19501010", "021")  # 西溪社区, 72
Q2 = pid("19580202", "022")  # 西溪社区, 64; first dose after R1
Q3 = pid("20120808", "023")  # 西溪社区, 10
Q4 = pid("19850101", "024")  # 西溪社区, 37
X = pid("19800606", "031")  # pushed for checking, lives elsewhere


def _config(cutoff: dt.date) -> dict:
    return {
        "township": {"code": "qingshi", "name": "青石乡"},
        "congress": {"term": 5, "session": 2},
        "period": {"start": "2022-01-01", "end": cutoff.isoformat()},
        "cutoff_date": cutoff.isoformat(),
        "villages": [
            {"code": "01", "name": "东岭村", "aliases": ["东岭"]},
            {"code": "02", "name": "西溪社区", "aliases": ["西溪"]},
        ],
        "clinics": [
            {"code": "qsy", "name": "青石乡卫生院", "kind": "镇卫生院", "aliases": ["青石卫生院"]},
            {"code": "c01", "name": "东岭村卫生室", "kind": "村卫生室", "village_code": "01"},
        ],
        "required_kinds": ["roster", "publicity", "grid"],
        "coverage_target_pct": 80,
        "reserve_quotas": {"qsy": {"oximeters": 20}},
        "person_key_env": KEY_ENV,
        "report": {"paragraphs": {"closing": "各位代表，青石乡将继续抓实抓细各项工作。"}},
    }


def _write_inbox(inbox: Path) -> None:
    roster = ["组别", "姓名", "身份证号码", "居住状态"]
    write_xlsx(
        inbox / "东岭村花名册.xlsx",
        {
            "一组": [
                ["东岭村常住人口花名册"], roster,
                ["一组", "甲", P1, "在家"], ["一组", "乙", P2, "在家"],
                ["一组", "丙", P3, "外出务工"], ["一组", "丁", P4, "在家"],
                ["一组", "戊", P5, "在家"], ["一组", "己", P6, "死亡"],
            ]
        },
    )  # fmt: skip
    write_csv(
        inbox / "西溪社区花名册.csv",
        [["西溪社区常住人口花名册"], roster, ["一组", "庚", Q1, "在家"],
         ["一组", "辛", Q2, "在家"], ["一组", "壬", Q3, "在家"], ["一组", "癸", Q4, "在家"]],
        encoding="gbk",
    )  # fmt: skip
    write_xlsx(
        inbox / "卫生院/接种记录.xlsx",
        {
            "导出": [
                ["接种单位", "身份证号", "剂次", "接种日期", "接种方式"],
                ["青石乡卫生院", P1, "第一针", "2021-04-01", "上门"],
                ["青石乡卫生院", P1, "第二针", "2021-05-01", "上门"],
                ["青石乡卫生院", P1, "加强针", "2022-01-10", "上门"],
                ["青石乡卫生院", P2, "第一针", "2021-04-02", "门诊"],
                ["青石乡卫生院", P4, "1", "2021-06-01", "门诊"],
                ["青石乡卫生院", P4, "2", "2021-07-01", "门诊"],
                ["青石乡卫生院", P4, "加强针", "2022-02-01", "门诊"],
                ["青石乡卫生院", P5, "第一针", "2022-03-03", "上门"],
                ["青石乡卫生院", Q1, "1", "2021-04-05", "门诊"],
                ["青石乡卫生院", Q1, "2", "2021-05-05", "门诊"],
                ["青石乡卫生院", Q2, "第一针", "2022-12-25", "门诊"],
                ["青石乡卫生院", Q4, "1", "2021-08-08", "门诊"],
                ["青石乡卫生院", P6, "1", "2021-04-01", "上门"],
            ]
        },
    )
    write_xlsx(
        inbox / "东岭村/宣传台账.xlsx",
        {
            "台账": [
                ["东岭村宣传工作台账"], ["日期", "宣传形式", "数量"],
                ["2022-03-01", "宣传单", "1200"], ["2022-04-01", "横幅", "12"],
                ["2022-05-01", "广播", "3500"], ["2023-01-05", "宣传单", "100"],
            ]
        },
    )  # fmt: skip
    write_csv(
        inbox / "西溪社区/宣传台账.csv",
        [["西溪社区宣传工作台账"], ["日期", "宣传形式", "数量"],
         ["2022-03-02", "宣传单", "800"], ["2022-06-01", "横幅", "5"]],
    )  # fmt: skip
    write_xlsx(
        inbox / "网格化管理/东岭村网格台账.xlsx",
        {
            "网格": [
                ["网格编号", "所属村", "网格长", "网格员人数", "所辖户数", "走访户数"],
                ["G01", "东岭", "张三", 2, 40, 38],
                ["G02", "东岭村", "李四", 1, 35, 35],
            ]
        },
    )
    write_xlsx(
        inbox / "乡政府/大数据核查台账.xlsx",
        {
            "核查": [
                ["推送日期", "姓名", "身份证号", "所属村", "核查结果", "管控措施", "核查完成日期"],
                ["2022-06-01", "甲", P1, "东岭", "已落实", "居家健康监测", "2022-06-01"],
                ["2022-06-02", "丁", P4, "东岭", "已落实", "核酸检测", "2022-06-05"],
                ["2022-06-03", "某", X, "西溪", "查无此人", "无需管控", "2022-06-03"],
                ["2022-06-10", "甲", P1, "东岭", "重复推送", "无需管控", "2022-06-10"],
            ]
        },
    )
    write_xlsx(
        inbox / "乡政府/重点场所检查记录.xlsx",
        {
            "检查": [
                ["检查日期", "场所名称", "场所类型", "所属村", "发现问题数", "整改情况"],
                ["2022-05-01", "青石农贸市场", "农贸市场", "东岭", 2, "已整改"],
                ["2022-07-01", "青石农贸市场", "农贸市场", "东岭", 1, "整改中"],
                ["2022-08-01", "青石中心小学", "学校", "西溪", 0, "已整改"],
            ]
        },
    )
    write_xlsx(
        inbox / "乡政府/会议及文件台账.xlsx",
        {
            "会议": [
                ["日期", "名称", "类型", "文号"],
                ["2022-02-01", "青石乡党委会研究疫情防控工作", "党委会", None],
                ["2022-02-10", "《青石乡疫情防控工作方案》", "方案", "青政发〔2022〕1号"],
                ["2022-03-01", "疫情防控调度会", "调度会", None],
                ["2022-09-01", "秋冬季疫情防控调度会", "调度会", None],
            ]
        },
    )
    write_xlsx(
        inbox / "乡政府/示范村创建台账.xlsx",
        {
            "创建": [
                ["村(社区)", "是否参与创建", "创建阶段", "参与党员人数", "志愿者人数"],
                ["东岭村", "是", "验收通过", 12, 30],
                ["西溪社区", "否", None, None, None],
            ]
        },
    )
    reserve = ["单位", "日期", "床位数", "发热诊室数", "制氧机台数", "指夹式血氧仪个数",
               "退烧药库存(盒)", "抗原检测试剂(份)", "储备定额"]  # fmt: skip
    note = "退烧药库存（盒）:100"
    write_xlsx(
        inbox / "卫生院/物资储备.xlsx",
        {
            "储备": [
                reserve,
                ["青石乡卫生院", "2022-11-01", 10, 1, 2, 10, 100, 500, note],
                ["青石乡卫生院", "2022-12-10", 10, 1, 2, 10, 80, 500, note],
                ["青石卫生院", "2022-12-30", 12, 1, 3, 25, 150, 800, note],
                ["东岭村卫生室", "2022-12-01", 0, 0, 0, 3, 30, 50, None],
            ]
        },
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_harness) -> dict[dt.date, Path]:
    """Both runs' folders, by cut-off date; the second run sees the first one's metrics."""
    root = tmp_path_factory.mktemp("qingshi")
    _write_inbox(root / "inbox")
    out = root / "output"
    folders: dict[dt.date, Path] = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv(KEY_ENV, "qingshi-test-key")
        for cutoff in (R1, R2):
            config = root / f"qingshi-{cutoff}.yaml"
            config.write_text(yaml.safe_dump(_config(cutoff), allow_unicode=True), "utf-8")
            report = township_report(
                inbox=root / "inbox", config_path=config, out=out, run_date=RUN_DATE
            )
            folders[cutoff] = report.parent
    return folders


def _sections(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["sections"]


def _text(folder: Path) -> str:
    return (folder / "report.txt").read_text(encoding="utf-8")


def _counts(rows: list[dict]) -> dict[str, int]:
    return {r["label"]: r["count"] for r in rows}


def test_the_first_report_has_the_hand_counted_figures(runs) -> None:
    s = _sections(runs[R1])
    v = s["vaccination"]
    assert (v["base"], v["p60"], v["p18"], v["p3_11"]) == (9, 4, 7, 2)
    assert (v["v60_dose1"], v["v60_dose1_pct"]) == (3, "75.00")  # P1 P2 Q1; Q2's is after R1
    assert (v["v60_dose2"], v["v60_dose2_pct"]) == (2, "50.00")  # P1 Q1
    assert (v["booster"], v["booster_pct"]) == (2, "28.57")  # P1 P4 of 7
    assert (v["v3_11_dose1"], v["v3_11_dose1_pct"]) == (1, "50.00")  # P5 of P5 Q3
    # door to door: P1's three doses and P5's one; P6's does not count (死亡)
    assert v["door_to_door_doses"] == 4
    assert (v["door_to_door_elderly_persons"], v["door_to_door_children_persons"]) == (1, 1)
    villages = {c["village"]: (c["p60"], c["v60_dose1"], c["v60_dose1_pct"]) for c in
                v["village_coverage"]}  # fmt: skip
    assert villages == {"东岭村": (2, 2, "100.00"), "西溪社区": (2, 1, "50.00")}

    assert {k: s["publicity"][k] for k in ("leaflet", "banner", "audio", "poster")} == {
        "leaflet": 2000, "banner": 17, "audio": 3500, "poster": 0,
    }  # fmt: skip
    ver = s["verification"]
    assert (ver["pushed_rows"], ver["pushed_persons"], ver["implemented_rows"]) == (4, 3, 2)
    assert (ver["implemented_pct"], ver["within_24h_rows"], ver["within_24h_pct"]) == (
        "50.00", 3, "75.00",
    )  # fmt: skip
    assert _counts(ver["by_result"]) == {"已落实": 2, "查无此人": 1, "重复推送": 1}
    assert _counts(ver["by_measure"]) == {"居家健康监测": 1, "核酸检测": 1, "无需管控": 2}
    g = s["grid"]
    assert (g["grids"], g["grid_workers"], g["households"], g["visited_households"]) == (
        2, 3, 75, 73,
    )  # fmt: skip
    kp = s["key_places"]
    assert (kp["inspections"], kp["places"], kp["problems_found"], kp["problems_rectified"]) == (
        3, 2, 3, 2,
    )  # fmt: skip
    assert _counts(kp["places_by_type"]) == {"农贸市场": 1, "学校": 1}
    dep = s["deployment"]
    assert (dep["meetings_total"], dep["documents_total"]) == (3, 1)
    assert _counts(dep["meetings_by_type"]) == {"党委会": 1, "调度会": 2}
    assert s["party_building"] | {"sources": None} == {
        "party_members": 12, "volunteers": 30, "sources": None,
    }  # fmt: skip
    demo = s["demonstration"]
    assert (demo["villages_taking_part"], demo["villages_passed"]) == (1, 1)

    items = {(i["clinic"], i["item"]): (i["value"], i["quota"]) for i in s["reserves"]["items"]}
    assert items["青石乡卫生院", "antipyretic_boxes"] == (80, 100)  # the clinic's own note
    assert items["青石乡卫生院", "oximeters"] == (10, 20)  # master data
    assert items["东岭村卫生室", "oximeters"] == (3, None)
    totals = {t["item"]: t["value"] for t in s["reserves"]["totals"]}
    assert totals == {
        "beds": 10, "fever_rooms": 1, "oxygen_concentrators": 2, "oximeters": 13,
        "antipyretic_boxes": 110, "antigen_tests": 550,
    }  # fmt: skip
    missing = [(m["village"], m["label"]) for m in s["completeness"]["missing"]]
    assert missing == [("西溪社区", "网格化管理台账")]


def test_the_first_report_reads_as_this_townships_own(runs) -> None:
    text = _text(runs[R1])
    assert text.startswith("在青石乡第五届人民代表大会第二次会议上的政府专项工作报告")
    for phrase in (
        "全乡", "在上级党委、政府的坚强领导下", "60岁以上人群第一针已接种3剂次，覆盖率75.00%",
        "仍有1个村（社区）60岁以上人群第一针覆盖率低于80.00%的目标：西溪社区50.00%",
        "西溪社区未报送网格化管理台账，共1个村（社区）、1份台账未按时报送",
        "青石乡卫生院指夹式血氧仪现有10个，低于储备定额20个",
        "青石乡卫生院退烧药现有80盒，低于储备定额100盒",
        "发放宣传单2000张", "播放广播音频3500条次",
        "《青石乡疫情防控工作方案》（青政发〔2022〕1号）",
        "各位代表，青石乡将继续抓实抓细各项工作。",
    ):  # fmt: skip
        assert phrase in text, phrase
    for demo_word in ("白沙", "云溪", "石门", "7663", "与上次报告"):
        assert demo_word not in text


def test_the_second_report_says_what_changed_since_the_first(runs) -> None:
    s = _sections(runs[R2])
    v = s["vaccination"]
    # At R2 P3 has turned 60 and Q2's first dose counts.
    assert (v["p60"], v["v60_dose1"], v["v60_dose1_pct"]) == (5, 4, "80.00")
    assert (v["v60_dose2"], v["v60_dose2_pct"]) == (2, "40.00")
    text = _text(runs[R2])
    assert (
        "与上次报告（截至2022年12月20日）相比，60岁以上人群第一针新增1剂次，覆盖率提高5.00个百分点；"
        "第二针持平，覆盖率下降10.00个百分点；加强针持平，接种率持平。"
    ) in text
    assert "东岭村66.67%" in text  # P3 now counts among 东岭村's elderly
    # The later snapshot of 青石卫生院 (an alias of 青石乡卫生院) is now the latest: no shortfall.
    assert "各医疗机构现有物资均不低于储备定额" in text
    assert "发放宣传单2100张" in text
    figures = json.loads((runs[R2] / "metrics.json").read_text(encoding="utf-8"))["figures"]
    changes = {f["key"]: (f["value"], f["text"]) for f in figures if f["key"].startswith("changes")}
    assert changes["changes.v60_dose1"] == (1, "1剂次")
    assert changes["changes.v60_dose2_pct"] == (-10.0, "10.00个百分点")


def test_every_output_is_written_for_the_small_township(runs) -> None:
    folder = runs[R1]
    names = {p.name for p in folder.iterdir()}
    assert {"report.txt", "report.md", "report.docx", "coverage_by_village.png",
            "metrics.json"} <= names  # fmt: skip
    document = docx.Document(str(folder / "report.docx"))
    (table,) = document.tables
    assert [[c.text for c in row.cells][:5] for row in table.rows][1:] == [
        ["东岭村", "5", "2", "2", "100.00%"],
        ["西溪社区", "4", "2", "1", "50.00%"],
        ["合计", "9", "4", "3", "75.00%"],
    ]
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "| 西溪社区 | 4 | 2 | 1 | 50.00% | 1 | 50.00% | 3 | 0 | 0.00% |" in markdown
