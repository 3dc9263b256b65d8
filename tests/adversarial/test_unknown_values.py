"""A word we do not know is surfaced with the figure it affects, never silently dropped: every
value of an enumerated column that no spelling reads is counted in ``unknown_values`` with
its rows, the closest known spelling and the figure it is missing from; the quality check
turns it into the report's warning sentence, and into a critical failure when a column's
unknown rows pass the township's share (default 5%). Expected counts are those the tests
write."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from personal_data import valid_id
from pipeline import GOLDEN, run_stages
from spreadsheets import write_xlsx

from epireport.config import ConfigError, load_config
from epireport.settings import project_resources
from transforms.discover import discover_files
from transforms.ingest import normalize_reads, read_file, settle_versions
from transforms.quality import QualityGateFailed, check_params, check_stored_tables, load_suites
from transforms.spellings import PUBLICITY_KIND_SPELLINGS
from transforms.township_vocabulary import township_vocabulary
from transforms.unknown_values import unknown_values_listing

CONFIG = GOLDEN / "small_township" / "township.yaml"
RESOURCES = project_resources()
SUITE = [s for s in load_suites(RESOURCES.expectations_dir) if s.table == "unknown_values"]
RUN_DATE = load_config(CONFIG).cutoff_date
FIXTURES = [HealthCheck.function_scoped_fixture]


def publicity_inbox(folder: Path, kinds: list[str], village: str = "东岭村") -> Path:
    """A village's publicity ledger, one row per kind written, 5 of each on 2022-03-01."""
    rows = [["2022-03-01", kind, "5"] for kind in kinds]
    write_xlsx(
        folder / f"{village}宣传台账.xlsx",
        {"台账": [[f"{village}宣传工作台账"], ["日期", "宣传形式", "数量"], *rows]},
    )
    return folder


def run(inbox: Path, workdir: Path, monkeypatch):
    monkeypatch.setenv(load_config(CONFIG).person_key_env, "unknown-values-key")
    workdir.mkdir(exist_ok=True)
    return run_stages(inbox, CONFIG, workdir, RUN_DATE)


def verdict_of(result):
    params = check_params(result.config, result.cutoff, RUN_DATE)
    return check_stored_tables(result.db_path, SUITE, RESOURCES.checks_dir, params)


def test_one_unknown_kind_is_a_warning_naming_the_figure(tmp_path: Path, monkeypatch) -> None:
    inbox = publicity_inbox(tmp_path / "inbox", ["横幅"] * 39 + ["宣传单子"])
    result = run(inbox, tmp_path / "work", monkeypatch)
    (line,) = result.ingest.unknown_values.iter_rows(named=True)
    assert (line["kind"], line["field"], line["value_masked"], line["rows"], line["files"]) == (
        "publicity", "kind", "宣传单子", 1, 1,
    )  # fmt: skip
    assert line["suggestion"] == "“宣传单”" and line["field_share_pct"] == 2.5  # 1 of 40
    assert line["figure"] == "宣传工作中“宣传单”的数量"
    verdict = verdict_of(result)
    assert verdict.critical_failures == ()
    (warning,) = verdict.warnings
    assert warning.sentence == (
        "宣传工作台账的宣传形式“宣传单子”有1条记录未能识别，宣传工作中“宣传单”的数量未计入这些记录。"
    )
    assert result.computed.metrics.publicity.banner == 39 * 5  # the known rows all count


def test_a_column_a_third_unknown_stops_the_report(tmp_path: Path, monkeypatch) -> None:
    inbox = publicity_inbox(tmp_path / "inbox", ["横幅"] * 8 + ["电子屏"] * 3 + ["微信群"])
    result = run(inbox, tmp_path / "work", monkeypatch)
    lines = {r["value_masked"]: r for r in result.ingest.unknown_values.iter_rows(named=True)}
    assert {v: r["rows"] for v, r in lines.items()} == {"电子屏": 3, "微信群": 1}
    assert {r["field_share_pct"] for r in lines.values()} == {round(100 * 4 / 12, 2)}
    verdict = verdict_of(result)
    (critical,) = verdict.critical_failures
    assert critical.column == "field_share_pct" and critical.unexpected_count == 2
    message = str(QualityGateFailed(verdict))
    assert "宣传形式“电子屏”有3条记录未能识别" in message and "“微信群”有1条" in message


def test_the_township_share_decides_when_a_figure_is_too_short(tmp_path: Path, monkeypatch) -> None:
    inbox = publicity_inbox(tmp_path / "inbox", ["横幅"] * 39 + ["宣传单子"])
    result = run(inbox, tmp_path / "work", monkeypatch)
    strict = result.config.model_copy(update={"unknown_share_max_pct": 2.0})
    params = check_params(strict, result.cutoff, RUN_DATE)
    verdict = check_stored_tables(result.db_path, SUITE, RESOURCES.checks_dir, params)
    assert [r.column for r in verdict.critical_failures] == ["field_share_pct"]  # 2.5 > 2


def test_an_unknown_mode_loads_the_dose_and_is_listed(tmp_path: Path, monkeypatch) -> None:
    inbox = tmp_path / "inbox"
    header = ["接种单位", "身份证号", "剂次", "接种日期", "接种方式"]
    ids = [valid_id("430521", dt.date(1940, 3, 3), 11), valid_id("430521", dt.date(1955, 7, 1), 12)]
    write_xlsx(
        inbox / "卫生院/接种记录.xlsx",
        {"导出": [header, ["青石乡卫生院", ids[0], "1", "2021-04-01", "流动接种车"],
                  ["青石乡卫生院", ids[1], "1", "2021-04-01", "上门"]]},
    )  # fmt: skip
    result = run(inbox, tmp_path / "work", monkeypatch)
    assert result.ingest.tables["vaccination"]["mode"].sort().to_list() == [
        "door_to_door",
        "other",
    ]
    (line,) = result.ingest.unknown_values.iter_rows(named=True)
    assert (line["field"], line["value_masked"], line["reason_code"], line["rows"]) == (
        "mode", "流动接种车", "mode_unknown", 1,
    )  # fmt: skip
    assert line["figure"] == "上门接种剂次及人数"
    assert result.ingest.refused_rows.is_empty()


# What clerks type into 宣传形式: known spellings, pieces of them, and anything else.
KIND_TEXT = st.one_of(
    st.sampled_from(sorted(PUBLICITY_KIND_SPELLINGS.labels.values())),
    st.sampled_from(["宣传画、标语", "电子屏", "微信群", "宣传", "标语", "刊播宣传片", "横幅 "]),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), min_size=1, max_size=4),
)


@settings(suppress_health_check=FIXTURES, max_examples=40)
@given(kinds=st.lists(KIND_TEXT, min_size=1, max_size=12))
def test_no_kind_value_is_dropped_silently(tmp_path: Path, ctx, kinds: list[str]) -> None:
    """Each row is loaded with a kind, or refused and counted in unknown_values (or refused
    for another reason): loaded + listed + other refusals = rows written."""
    folder = publicity_inbox(Path(tempfile.mkdtemp(dir=tmp_path)), kinds, village="石门村")
    reads = [read_file(f, ctx, 2**24, 2**26) for f in discover_files(folder)]
    ingest = normalize_reads(settle_versions(reads), ctx)
    loaded = ingest.tables["publicity"].height if "publicity" in ingest.tables else 0
    listed = ingest.unknown_values["rows"].sum()
    refused = ingest.refused_rows
    assert listed == refused.filter(pl.col("field") == "kind").height
    assert ingest.files["status"].to_list() == ["loaded"]
    assert loaded + refused.height == len(kinds)
    listing = unknown_values_listing(ingest.unknown_values)
    assert listing.columns[:3] == ["台账", "栏目", "填写的值"]


# --- the township's vocabulary closes the loop ------------------------------------------------


def township_file(folder: Path, vocabulary: str) -> Path:
    """small_township's config with a ``vocabulary:`` section (YAML text) appended."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "township.yaml"
    path.write_text(CONFIG.read_text(encoding="utf-8") + vocabulary, encoding="utf-8")
    return path


TOWNSHIP_WORDS = """
vocabulary:
  spellings:
    publicity_kind: {宣传单子: 宣传单, 电子屏: broadcast}
    dose: {第四针: 3}
  headers:
    roster: {id_number: [身份证件号]}
"""


def test_one_config_line_per_word_makes_refused_files_load_in_full(
    tmp_path: Path, monkeypatch
) -> None:
    inbox = publicity_inbox(tmp_path / "inbox", ["横幅"] * 4 + ["宣传单子", "电子屏"])
    header = ["组别", "姓名", "身份证件号", "居住状态"]
    people = [valid_id("430521", dt.date(1950, 1, 1), n) for n in (31, 32)]
    write_xlsx(
        inbox / "东岭村花名册.xlsx",
        {"一组": [["东岭村常住人口花名册"], header, *[["一组", "某", p, "在家"] for p in people]]},
    )
    write_xlsx(
        inbox / "卫生院/接种记录.xlsx",
        {"导出": [["接种单位", "身份证号", "剂次", "接种日期"],
                  ["青石乡卫生院", people[0], "第四针", "2022-02-01"]]},
    )  # fmt: skip

    before = run(inbox, tmp_path / "before", monkeypatch)
    statuses = dict(zip(before.ingest.files["path"], before.ingest.files["status"], strict=True))
    assert statuses["东岭村花名册.xlsx"] == "refused"  # no ID column it knows
    assert set(before.ingest.unknown_values["value_masked"]) == {"宣传单子", "电子屏", "第四针"}

    config = township_file(tmp_path / "config", TOWNSHIP_WORDS)
    monkeypatch.setenv(load_config(config).person_key_env, "unknown-values-key")
    (tmp_path / "after").mkdir()
    after = run_stages(inbox, config, tmp_path / "after", RUN_DATE)
    assert set(after.ingest.files["status"]) == {"loaded"}
    assert after.ingest.refused_rows.is_empty() and after.ingest.unknown_values.is_empty()
    publicity = after.computed.metrics.publicity
    assert (publicity.banner, publicity.leaflet, publicity.broadcast) == (20, 5, 5)
    assert after.ingest.tables["roster"].height == 2
    assert after.ingest.tables["vaccination"]["dose"].to_list() == [3]


@pytest.mark.parametrize(
    ("vocabulary", "named"),
    [
        (
            "  spellings: {publicity_kind: {电子屏: 电视}}\n",
            "vocabulary.spellings.publicity_kind.电子屏",
        ),
        (
            "  spellings: {publicity_kind: {横幅: poster}}\n",
            "vocabulary.spellings.publicity_kind.横幅",
        ),
        ("  spellings: {kind_of_thing: {甲: 乙}}\n", "vocabulary.spellings.kind_of_thing"),
        ("  spellings: {dose: {第四针: 4}}\n", "vocabulary.spellings.dose.第四针"),
        ("  headers: {roster: {id_number: [姓名]}}\n", "vocabulary.headers.roster.id_number"),
        ("  headers: {roster: {passport: [护照]}}\n", "vocabulary.headers.roster.passport"),
    ],
)
def test_a_word_that_names_no_code_or_two_is_a_one_line_error(
    tmp_path: Path, vocabulary: str, named: str
) -> None:
    path = township_file(tmp_path, "vocabulary:\n" + vocabulary)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert named in message and "\n" not in message


@settings(suppress_health_check=FIXTURES, max_examples=40)
@given(
    spelling=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E60), min_size=1,
                     max_size=5),
    code=st.sampled_from(sorted(set(PUBLICITY_KIND_SPELLINGS.labels))),
)  # fmt: skip
def test_any_added_spelling_reads_as_its_code_or_is_refused_naming_it(
    tmp_path: Path, spelling: str, code: str
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = township_file(
        folder, f"vocabulary:\n  spellings: {{publicity_kind: {{{spelling}: {code}}}}}\n"
    )
    try:
        config = load_config(path)
    except ConfigError as e:
        assert f"vocabulary.spellings.publicity_kind.{spelling}" in str(e)
        assert PUBLICITY_KIND_SPELLINGS.match(spelling).code not in (None, code)
        return
    assert township_vocabulary(config).index("publicity_kind").match(spelling).code == code
