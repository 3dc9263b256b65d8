"""青石乡, a second tiny township with its own master data and inbox, through the real flow.

Its inbox writer, township file and hand-counted figures at R1 = 2022-12-20 are the golden
case tests/golden/small_township (run in-process by tests/test_golden.py). What is left here
needs the real flow: the flow runs twice into one output folder, at R1 and at R2, so that
the second report compares with the first; the report's text and the written outputs; and
one check that the flow writes exactly the figures the golden case's stages compute.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import docx
import pytest
import yaml
from conftest import RUN_DATE
from pipeline import run_stages

from flows.township_report import township_report

pytestmark = pytest.mark.e2e

CASE = Path(__file__).parent / "golden" / "small_township"
R1, R2 = dt.date(2022, 12, 20), dt.date(2023, 1, 15)


def _case_config() -> dict:
    return yaml.safe_load((CASE / "township.yaml").read_text(encoding="utf-8"))


KEY_ENV = _case_config()["person_key_env"]


def _config(cutoff: dt.date) -> dict:
    """The golden case's township file with its cut-off date (and period end) moved."""
    config = _case_config()
    config["period"]["end"] = cutoff
    config["cutoff_date"] = cutoff
    return config


def _write_inbox(inbox: Path) -> None:
    spec = importlib.util.spec_from_file_location("golden_small_township_inbox",
                                                  CASE / "make_inbox.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_inbox(inbox)


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


def test_the_golden_case_is_this_township_at_r1() -> None:
    assert _config(R1) == _case_config()
    assert KEY_ENV == "QINGSHI_TEST_PERSON_KEY"


def test_the_flow_writes_the_figures_the_stages_compute(runs, tmp_path, monkeypatch) -> None:
    """So the golden case's hand counts hold for the flow's metrics.json as well."""
    monkeypatch.setenv(KEY_ENV, "qingshi-test-key")
    _write_inbox(tmp_path / "inbox")
    stages = run_stages(tmp_path / "inbox", CASE / "township.yaml", tmp_path, RUN_DATE)
    written = {k: v for k, v in _sections(runs[R1]).items() if k != "quality"}
    computed = {k: v for k, v in stages.sections().items() if k != "quality"}
    assert written == computed
    assert written["vaccination"]["v60_dose1_pct"] == "75.00"


def test_the_first_report_reads_as_this_townships_own(runs) -> None:
    text = _text(runs[R1])
    assert text.startswith("在青石乡第五届人民代表大会第二次会议上的政府专项工作报告")
    for phrase in (
        "全乡", "在上级党委、政府和乡党委的坚强领导下",
        "60岁以上人群第一针已接种3剂次，覆盖率75.00%",
        "仍有1个村（社区）60岁以上人群第一针覆盖率低于80%的目标：西溪社区50.00%",
        "西溪社区未报送网格化管理台账，共1个村（社区）、1份台账未按时报送",
        "青石乡卫生院指夹式血氧仪现有10个，低于20个的储备定额",
        "青石乡卫生院退烧药现有80盒，低于100盒的储备定额",
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
            "metrics.json", "office_note.txt"} <= names  # fmt: skip
    document = docx.Document(str(folder / "report.docx"))
    (table,) = document.tables
    assert [[c.text for c in row.cells][:5] for row in table.rows][1:] == [
        ["东岭村", "5", "2", "2", "100.00%"],
        ["西溪社区", "4", "2", "1", "50.00%"],
        ["合计", "9", "4", "3", "75.00%"],
    ]
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "| 西溪社区 | 4 | 2 | 1 | 50.00% | 1 | 50.00% | 3 | 0 | 0.00% |" in markdown
