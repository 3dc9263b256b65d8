"""`epireport check`: files just received, read as a run reads them, nothing stored; Chinese
lines per file and refused row, masked values, exit 0 only when every row would load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from personal_data import FULL_ID, PHONE, valid_id
from pipeline import GOLDEN, golden_inbox, run_stages
from spreadsheets import write_xlsx

from epireport.cli import main
from epireport.config import load_config

CONFIG = GOLDEN / "small_township" / "township.yaml"
RUN_DATE = "2026-11-29"
HEADER = ["组别", "姓名", "身份证号码", "居住状态"]


def check(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", *args, "--config", str(CONFIG), "--run-date", RUN_DATE])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_good_inbox_loads_in_full_and_exits_0(tmp_path: Path, capsys) -> None:
    inbox = golden_inbox("small_township", tmp_path / "inbox")
    code, out = check(capsys, str(inbox))
    assert code == 0
    assert out.count("文件：") == 11  # small_township's eleven files
    assert "文件：inbox/东岭村花名册.xlsx\n  类型：人口花名册；村（社区）：东岭村\n" in out
    assert "  读取 6 行，可入库 6 行，将被拒绝 0 行" in out
    assert out.rstrip().endswith("结论：11 个文件全部可入库")
    assert not list(tmp_path.rglob("*.duckdb"))  # nothing stored


def test_each_refused_row_is_named_masked_and_the_exit_is_1(tmp_path: Path, capsys) -> None:
    person = valid_id("430521", dt.date(1950, 1, 1), 11)
    broken = person[:-1] + ("0" if person[-1] != "0" else "1")  # a wrong check digit
    phone = "13912345678"
    rows = [
        ["一组", "王小明", person, "在家"],
        ["一组", "李四", broken, "在家"],
        ["一组", "张三", valid_id("430521", dt.date(1951, 2, 2), 12), phone],
    ]
    path = write_xlsx(tmp_path / "东岭村花名册.xlsx", {"一组": [["东岭村花名册"], HEADER, *rows]})
    code, out = check(capsys, str(path))
    assert code == 1
    assert "  读取 3 行，可入库 1 行，将被拒绝 2 行" in out
    assert "工作表“一组”第 4 行，身份证号码：身份证号码校验位错误" in out
    assert "工作表“一组”第 5 行，居住状态：" in out
    assert out.rstrip().endswith(
        "结论：将被拒绝 2 行，无法读取 0 个文件，未予替换 0 个文件；请更正后重新报送"
    )
    for shown in (person, broken, phone, "王小明", "李四", "张三"):
        assert shown not in out
    assert not FULL_ID.search(out) and not PHONE.search(out)


def test_the_check_counts_what_a_run_counts(tmp_path: Path, capsys, monkeypatch) -> None:
    """Same stages, same outcome: per file, the run's status and row counts."""
    inbox = golden_inbox("blank_resubmission", tmp_path / "inbox")
    code, out = check(capsys, str(inbox))
    monkeypatch.setenv(load_config(CONFIG).person_key_env, "check-key")
    (tmp_path / "run").mkdir()
    run = run_stages(inbox, CONFIG, tmp_path / "run", dt.date.fromisoformat(RUN_DATE))
    assert code == 1  # the two held re-submissions
    for f in run.ingest.files.iter_rows(named=True):
        block = out.split(f"文件：inbox/{f['path']}\n", 1)[1].split("\n文件：", 1)[0]
        if f["status"] == "loaded":
            expected = f"读取 {f['rows_read']} 行，可入库 {f['rows_loaded']} 行，"
            assert expected in block, f["path"]
        else:
            assert f["status"] == "held" and "未替换此前的文件" in block, f["path"]


def test_an_unknown_word_gets_its_suggestion(tmp_path: Path, capsys) -> None:
    rows = [["2022-03-01", "横幅", "5"], ["2022-03-02", "宣传单子", "3"]]
    header = ["日期", "宣传形式", "数量"]
    path = write_xlsx(tmp_path / "东岭村宣传台账.xlsx", {"台账": [["东岭村"], header, *rows]})
    code, out = check(capsys, str(path))
    assert code == 1
    assert "宣传形式填写的“宣传单子”未能识别，建议改为“宣传单”" in out


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    code, out = check(capsys, str(tmp_path / "nowhere.xlsx"))
    assert code == 2
    assert out.strip().count("\n") == 0 and "找不到文件" in out


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a workbook"])
def test_a_file_that_cannot_be_read_is_said_so(tmp_path: Path, capsys, content: bytes) -> None:
    path = tmp_path / "石门村花名册.xlsx"
    path.write_bytes(content)
    code, out = check(capsys, str(path))
    assert code == 1 and "整个文件未能读取：" in out
