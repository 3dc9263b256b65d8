"""Bad configuration and arguments: one line naming the problem, non-zero, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import DEMO_CONFIG

from epireport.cli import main


def township_variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def broken_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text("villages: [", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make_config", "make_inbox", "named"),
    [
        (lambda t: DEMO_CONFIG, lambda t: t / "no-such-inbox", "收件箱文件夹不存在"),
        (lambda t: t / "absent.yaml", lambda t: t, "找不到配置文件"),
        (broken_yaml, lambda t: t, "无法读取配置文件"),
        (
            lambda t: township_variant(t, lambda d: d["clinics"][2].update(village_code="77")),
            lambda t: t,
            "clinics.2.village_code",
        ),
        (
            lambda t: township_variant(t, lambda d: d.update(cutoff_date="2021-06-30")),
            lambda t: t,
            "cutoff_date",
        ),
    ],
)
def test_bad_input_is_one_line_nonzero_and_writes_nothing(
    tmp_path, capsys, make_config, make_inbox, named: str
) -> None:
    out = tmp_path / "output"
    args = ["run", "--inbox", str(make_inbox(tmp_path)), "--config", str(make_config(tmp_path))]
    code = main([*args, "--out", str(out)])
    error = capsys.readouterr().err
    assert code != 0
    assert named in error
    assert len(error.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_date_argument_is_refused(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--inbox", ".", "--config", str(DEMO_CONFIG), "--out", "o", "--run-date", "x"])
    assert exit_.value.code != 0
    assert "not a date" in capsys.readouterr().err


@pytest.mark.slow  # `epireport run` in a subprocess, reporting to the session's test server
def test_a_run_prints_the_outcome_and_keeps_its_log_in_a_file(tmp_path, prefect_harness) -> None:
    """A clerk reads three lines: where the report is, the verdict, where the log is."""
    from pipeline import GOLDEN, golden_inbox
    from prefect.settings import PREFECT_API_URL

    inbox = golden_inbox("small_township", tmp_path / "inbox")
    out = tmp_path / "output"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env["QINGSHI_TEST_PERSON_KEY"] = "a test key of thirty-two characters"
    command = [
        sys.executable, "-m", "epireport.cli", "run", "--inbox", str(inbox),
        "--config", str(GOLDEN / "small_township" / "township.yaml"), "--out", str(out),
        "--run-date", "2022-12-20",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) <= 5, lines
    assert lines[0] == f"报告：{out / '2022-12-20' / 'report.txt'}"
    assert lines[1].startswith("数据质量：") and "项检查" in lines[1]
    log_file = Path(lines[2].removeprefix("运行日志："))
    assert log_file.parent == out / "logs" and log_file.name.startswith("qingshi-")
    log = log_file.read_text(encoding="utf-8")
    assert "Beginning flow run" in log and "normalize:" in log
    assert "Beginning flow run" not in done.stdout + done.stderr
