"""Bad configuration and arguments: one line naming the problem, non-zero, nothing written."""

from __future__ import annotations

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
