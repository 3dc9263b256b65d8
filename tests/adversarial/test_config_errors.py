"""Config mistakes a clerk makes: each is refused on load in one line naming the field
(and, for a repeated key, its line), before any stage runs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import DEMO_CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epireport.cli import main
from epireport.config import ConfigError, check_run_date, load_config, load_county

DEMO_TEXT = DEMO_CONFIG.read_text(encoding="utf-8")
DEMO = yaml.safe_load(DEMO_TEXT)
COUNTY = DEMO_CONFIG.with_name("demo-county.yaml")
# A line of block style that holds one mapping key (not a list item, not a comment).
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_]+):(?: .*)?$")
KEY_LINES = [i for i, line in enumerate(DEMO_TEXT.splitlines()) if KEY_LINE.match(line)]
FIXTURES = [HealthCheck.function_scoped_fixture]


def one_line(error: ConfigError) -> str:
    message = str(error)
    assert "\n" not in message
    return message


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def as_typed(label: str, style: int) -> str:
    """The same label as a clerk might type it: full-width, or with a space inside."""
    if style == 1:
        return label.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    if style == 2:
        return label[:1] + " " + label[1:]
    return label


@settings(suppress_health_check=FIXTURES)
@given(line=st.sampled_from(KEY_LINES))
def test_a_key_written_twice_is_named_with_its_line(tmp_path: Path, line: int) -> None:
    lines = DEMO_TEXT.splitlines()
    key = KEY_LINE.match(lines[line])["key"]
    lines.insert(line + 1, lines[line])  # a pasted line: the same key again, one line down
    path = tmp_path / "township.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = one_line(error.value)
    assert f"“{key}”重复" in message and f"第 {line + 2} 行" in message


def test_a_key_written_twice_in_a_county_file_is_named(tmp_path: Path) -> None:
    county = tmp_path / "county.yaml"
    county.write_text(
        "county: {code: yunxi, name: 云溪县}\ncounty: {code: other, name: 别县}\n"
        "townships: [{config: a.yaml, inbox: a}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_county(county)
    assert "“county”重复" in one_line(error.value) and "第 2 行" in str(error.value)


@settings(suppress_health_check=FIXTURES)
@given(
    pair=st.lists(st.integers(0, len(DEMO["villages"]) - 1), min_size=2, max_size=2, unique=True)
)
def test_a_village_code_used_twice_is_named(tmp_path: Path, pair: list[int]) -> None:
    first, second = sorted(pair)
    data = yaml.safe_load(DEMO_TEXT)
    data["villages"][second]["code"] = data["villages"][first]["code"]
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, data))
    message = one_line(error.value)
    assert f"villages.{second}.code" in message and f"villages.{first}" in message


@settings(suppress_health_check=FIXTURES)
@given(
    field=st.sampled_from(["villages", "clinics"]),
    data=st.data(),
    style=st.integers(0, 2),
    as_alias_of_name=st.booleans(),
)
def test_a_name_shared_by_two_entries_is_named(
    tmp_path: Path, field: str, data, style: int, as_alias_of_name: bool
) -> None:
    """An alias of one village (clinic) equal to another's name or alias, as typed."""
    config = yaml.safe_load(DEMO_TEXT)
    entries = config[field]
    owner, thief = data.draw(
        st.lists(st.integers(0, len(entries) - 1), min_size=2, max_size=2, unique=True)
    )
    labels = [entries[owner]["name"], *entries[owner].get("aliases", [])]
    label = labels[0] if as_alias_of_name else data.draw(st.sampled_from(labels))
    entries[thief]["aliases"] = [*entries[thief].get("aliases", []), as_typed(label, style)]
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, config))
    message = one_line(error.value)
    assert f"{field}.{owner}" in message and f"{field}.{thief}" in message


@given(
    cutoff=st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)),
    days=st.integers(-2000, 40000),
)
def test_a_run_before_its_cutoff_is_refused_naming_the_field(cutoff: dt.date, days: int) -> None:
    config = load_config(DEMO_CONFIG).model_copy(update={"cutoff_date": cutoff})
    run_date = cutoff - dt.timedelta(days=days)
    if run_date >= cutoff:
        check_run_date(config, run_date, DEMO_CONFIG)
        return
    with pytest.raises(ConfigError) as error:
        check_run_date(config, run_date, DEMO_CONFIG)
    message = one_line(error.value)
    assert "cutoff_date" in message and str(cutoff) in message and str(run_date) in message
    assert ("一年以上" in message) == (days > 366)


@pytest.mark.parametrize("run_date", ["2022-12-19", "2021-12-19"])
def test_the_cli_refuses_a_run_before_the_cutoff_before_any_stage(
    tmp_path: Path, capsys, run_date: str
) -> None:
    out = tmp_path / "output"
    args = ["run", "--inbox", str(tmp_path), "--config", str(DEMO_CONFIG), "--out", str(out)]
    code = main([*args, "--run-date", run_date])
    error = capsys.readouterr().err
    assert code != 0 and len(error.strip().splitlines()) == 1
    assert "cutoff_date" in error and "Traceback" not in error
    assert not out.exists()  # refused before the run wrote anything


def test_a_county_whose_township_has_a_cutoff_ahead_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "output"
    args = ["county", "--inbox", str(tmp_path), "--config", str(COUNTY), "--out", str(out)]
    code = main([*args, "--run-date", "2022-01-01"])
    error = capsys.readouterr().err
    assert code != 0 and len(error.strip().splitlines()) == 1 and "cutoff_date" in error
    assert not out.exists()


def test_the_demo_files_pass(tmp_path: Path) -> None:
    """The checks refuse mistakes, not the files we ship."""
    config = load_config(DEMO_CONFIG)
    check_run_date(config, config.cutoff_date, DEMO_CONFIG)
    assert len(load_county(COUNTY)[1]) == 2


# A wrong value for each kind of field: every message names the field in Chinese words, with
# none of the validator's English ("Input should be …").
WRONG_VALUES = [
    ("coverage_target_pct", 150, "coverage_target_pct：不能大于 100"),
    ("unknown_share_max_pct", -1, "unknown_share_max_pct：不能小于 0"),
    ("cutoff_date", "明天", "cutoff_date：须是日期"),
    ("villages", [], "villages：至少要有 1 项"),
    ("colour", "红", "colour：没有这一项"),
    ("demo", "也许", "demo：须是 true 或 false"),
    ("required_kinds", ["roster", "photos"], "required_kinds.1：只能是以下之一"),
]


@pytest.mark.parametrize(("field", "value", "said"), WRONG_VALUES)
def test_a_wrong_value_is_named_in_chinese(tmp_path: Path, field: str, value, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, {**DEMO, field: value}))
    message = one_line(refused.value)
    assert said in message
    assert not re.search(r"[A-Za-z]+ should|Input|Field required|Extra inputs", message)
