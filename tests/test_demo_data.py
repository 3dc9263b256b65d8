"""The demo inbox: deterministic, complete, and calibrated to the seed report's figures.

The figures are re-derived here from the written files with a deliberately small,
separate parser (plain csv / polars-calamine, an own check-digit routine), so a
generator bug cannot hide behind its own truth.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import typing
import unicodedata
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from epireport.config import FileKind, load_config
from epireport.demo import DemoFile, DemoInbox, generate_inbox, main_demo_data, write_config
from epireport.demo.people import age_at
from transforms import vocabulary

CONFIG = Path(__file__).resolve().parents[1] / "config" / "demo-township.yaml"
R = dt.date(2022, 12, 20)
GOLDEN_PUBLICITY = {
    "broadcast": 203418,
    "poster": 2537,
    "banner": 258,
    "leaflet": 92310,
    "audio": 42000,
    "talk": 65000,
}
OUT_OF_BASE = {"死亡", "已故", "去世", "已死亡", "迁出", "已迁出", "户口迁出"}
FOOTERS = ("合计", "总计", "小计", "制表人", "填报日期")
ID_HEADERS = {"身份证号码", "身份证号", "公民身份号码", "证件号码", "身份证", "受种者身份证号"}
DOSE_HEADERS = {"剂次", "接种剂次", "针次", "第几针"}
DATE_HEADERS = {"接种日期", "接种时间", "日期", "时间", "开展日期"}
VILLAGE_HEADERS = {"所属村", "户籍所在村", "村(社区)"}
STATUS_HEADERS = {"居住状态", "现居住状态", "在家情况", "人员状态"}


# --- an independent little reader -----------------------------------------------------


def norm(text: str) -> str:
    """Header/value folding for this test: NFKC, no whitespace, no (必填) or * note."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).strip("*")
    return folded.removesuffix("(必填)")


def check_char(body: str) -> str:
    """ISO 7064 MOD 11-2 from the standard's formula (weights 2^(17-i) mod 11)."""
    value = (12 - sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(body)) % 11) % 11
    return "X" if value == 10 else str(value)


def valid_id(raw: str) -> str | None:
    """The 18-digit ID, or None when the check digit or birth date is wrong."""
    text = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if re.fullmatch(r"\d{15}", text):
        body = text[:6] + "19" + text[6:]
        text = body + check_char(body)
    if not re.fullmatch(r"\d{17}[\dX]", text) or check_char(text[:17]) != text[17]:
        return None
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
    return text


def parse_day(text: str) -> dt.date | None:
    t = (text or "").strip()
    if re.fullmatch(r"\d{5}(\.0)?", t):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(t)))
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?( 00:00:00)?", t)
    parts = m.groups()[:3] if m else (t[:4], t[4:6], t[6:]) if re.fullmatch(r"\d{8}", t) else None
    if parts is None:
        return None
    try:
        return dt.date(*map(int, parts))
    except ValueError:
        return None


def age(id18: str) -> int:
    """At the cut-off, by the generator's own rule (tests/test_rules.py: the SQL rule's)."""
    return age_at(dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14])), R)


def sheets_of(root: Path, f: DemoFile) -> dict[str, list[list[str]]]:
    path = root / f.path
    if f.format == "csv":
        text = path.read_bytes().decode(f.encoding or "utf-8")
        return {"csv": list(csv.reader(io.StringIO(text), delimiter=f.delimiter or ","))}
    frames = pl.read_excel(
        path,
        sheet_id=0,
        infer_schema_length=0,
        engine="calamine",
        read_options={"header_row": None},
    )
    return {name: [[c or "" for c in row] for row in df.rows()] for name, df in frames.items()}


def tables(
    root: Path, f: DemoFile, marker: set[str]
) -> list[tuple[dict[str, int], list[list[str]]]]:
    """Per sheet: header positions and data rows (title, footer and blank lines dropped)."""
    out = []
    for name, rows in sheets_of(root, f).items():
        if "说明" in name:
            continue
        h = next(i for i, row in enumerate(rows) if marker & {norm(c) for c in row})
        columns = {norm(c): k for k, c in enumerate(rows[h]) if c}
        data = []
        for row in rows[h + 1 :]:
            if row and row[0].strip().startswith(FOOTERS):
                break
            if any(c.strip() for c in row):
                data.append(row)
        out.append((columns, data))
    return out


def column(columns: dict[str, int], names: set[str]) -> int | None:
    return next((k for name, k in columns.items() if name in names), None)


def loaded(inbox: DemoInbox, kind: str) -> list[DemoFile]:
    return [
        f
        for f in inbox.files
        if f.kind == kind and not (f.refused or f.duplicate_of or f.superseded_by)
    ]


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo(demo_inbox: tuple[Path, DemoInbox]) -> tuple[Path, DemoInbox]:
    return demo_inbox


@pytest.fixture(scope="session")
def base(demo: tuple[Path, DemoInbox]) -> dict[str, object]:
    """Population base re-derived from the roster files, with the refused-row count."""
    root, inbox = demo
    statuses: dict[str, bool] = {}
    refused = 0
    for f in loaded(inbox, "roster"):
        for columns, rows in tables(root, f, ID_HEADERS):
            id_col, status_col = column(columns, ID_HEADERS), column(columns, STATUS_HEADERS)
            assert id_col is not None and status_col is not None, f.path
            for row in rows:
                id18 = valid_id(row[id_col])
                if id18 is None:
                    refused += 1
                    continue
                in_base = norm(row[status_col]) not in OUT_OF_BASE
                statuses[id18] = statuses.get(id18, True) and in_base
    ids = {i for i, in_base in statuses.items() if in_base}
    return {"ids": ids, "refused": refused, "roster_persons": len(statuses)}


# --- tests ----------------------------------------------------------------------------


def _digest(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow  # three inboxes, one in a subprocess
def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    config = load_config(CONFIG)
    generate_inbox(tmp_path / "a", config, seed=7, persons=2000)
    generate_inbox(tmp_path / "c", config, seed=8, persons=2000)
    # The second run is another process with another hash seed: set order must not leak.
    script = (
        "import sys; from pathlib import Path; from epireport.config import load_config; "
        "from epireport.demo import generate_inbox; "
        "generate_inbox(Path(sys.argv[1]), load_config(Path(sys.argv[2])), seed=7, persons=2000)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "b"), str(CONFIG)],
        env=env,
        check=True,
        cwd=CONFIG.parents[1],
    )
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c
    assert any(a[k] != c[k] for k in a.keys() & c.keys())


def test_every_kind_format_and_encoding_is_present(demo: tuple[Path, DemoInbox]) -> None:
    root, inbox = demo
    assert {f.kind for f in inbox.files} - {None} == set(typing.get_args(FileKind))
    assert {f.format for f in inbox.files} == {"xlsx", "xls", "csv"}
    encodings = {f.encoding for f in inbox.files if f.format == "csv"}
    assert {"gbk", "utf-8-sig", "gb18030", "utf-8"} <= encodings
    assert any(f.delimiter == "\t" for f in inbox.files)
    assert (root / next(f.path for f in inbox.files if f.encoding == "utf-8-sig")).read_bytes()[
        :3
    ] == b"\xef\xbb\xbf"
    for f in inbox.files:
        assert (root / f.path).is_file(), f.path
    assert len(list(root.rglob("*.*"))) == len(inbox.files)


def test_truth_carries_the_golden_figures(demo: tuple[Path, DemoInbox]) -> None:
    _, inbox = demo
    t = inbox.truth
    assert (t["population"]["P60"], t["population"]["P18"]) == (8391, 22489)
    v = t["vaccination"]
    assert (v["V60_1"], v["V60_2"], v["booster"]) == (7663, 7275, 18416)
    assert (v["V60_1_pct"], v["V60_2_pct"], v["booster_pct"]) == (91.32, 86.70, 81.89)
    assert t["publicity"] == GOLDEN_PUBLICITY
    assert 29000 <= t["population"]["roster_persons"] <= 30500
    assert len(t["completeness"]["missing"]) in (1, 2)
    assert {m["kind"] for m in t["completeness"]["missing"]} == {"grid"}
    assert any(s["item"] for s in t["reserves"]["shortfalls"])
    json.dumps(t)


def test_roster_ids_and_population_from_the_files(
    demo: tuple[Path, DemoInbox], base: dict[str, object]
) -> None:
    _, inbox = demo
    ids = typing.cast(set[str], base["ids"])
    assert sum(1 for i in ids if age(i) >= 60) == 8391
    assert sum(1 for i in ids if age(i) >= 18) == 22489
    assert sum(1 for i in ids if 3 <= age(i) <= 11) == inbox.truth["population"]["P3_11"]
    assert base["roster_persons"] == inbox.truth["population"]["roster_persons"]
    planted = sum(len(f.refused_rows) for f in loaded(inbox, "roster"))
    assert base["refused"] == planted > 0


def test_vaccination_figures_from_the_files(
    demo: tuple[Path, DemoInbox], base: dict[str, object]
) -> None:
    root, inbox = demo
    ids = typing.cast(set[str], base["ids"])
    labels = {norm(v.name) for v in inbox.config.villages}
    labels |= {norm(a) for v in inbox.config.villages for a in v.aliases}
    earliest: dict[tuple[str, int], dt.date] = {}
    for f in loaded(inbox, "vaccination"):
        refused = 0
        for columns, rows in tables(root, f, ID_HEADERS):
            id_col, dose_col = column(columns, ID_HEADERS), column(columns, DOSE_HEADERS)
            date_col, village_col = column(columns, DATE_HEADERS), column(columns, VILLAGE_HEADERS)
            assert None not in (id_col, dose_col, date_col), f.path
            for row in rows:
                id18 = valid_id(row[id_col])
                dose = vocabulary.DOSE_LABELS_FOLDED.get(norm(row[dose_col]))
                day = parse_day(row[date_col])
                village_ok = village_col is None or norm(row[village_col]) in labels
                if None in (id18, dose, day) or not village_ok:
                    refused += 1
                    continue
                if not dt.date(2020, 12, 15) <= day <= dt.date(2025, 12, 31):
                    refused += 1
                    continue
                key = (id18, dose)
                earliest[key] = min(day, earliest.get(key, day))
        assert refused == len(f.refused_rows), f.path
    counted = {key for key, day in earliest.items() if day <= R}
    v60_1 = {i for i, d in counted if d == 1 and i in ids and age(i) >= 60}
    v60_2 = {i for i, d in counted if d == 2 and i in ids and age(i) >= 60}
    booster = {i for i, d in counted if d == 3 and i in ids and age(i) >= 18}
    assert (len(v60_1), len(v60_2), len(booster)) == (7663, 7275, 18416)
    assert any(day > R for day in earliest.values())
    assert any(i not in ids for i, _ in earliest)


def test_publicity_sums_from_the_files(demo: tuple[Path, DemoInbox]) -> None:
    root, inbox = demo
    sums: Counter[str] = Counter()
    refused = 0
    kinds = {"宣传形式", "宣传方式", "类别"}
    for f in loaded(inbox, "publicity"):
        for columns, rows in tables(root, f, kinds):
            kind_col, qty_col = column(columns, kinds), column(columns, {"数量", "次数", "份数"})
            date_col = column(columns, DATE_HEADERS)
            for row in rows:
                kind = vocabulary.PUBLICITY_KINDS_FOLDED.get(norm(row[kind_col]))
                match = re.fullmatch(r"约?([\d,]+)(\.0)?[^\d]*", row[qty_col].strip())
                if kind is None or match is None or parse_day(row[date_col]) is None:
                    refused += 1
                    continue
                sums[kind] += int(match.group(1).replace(",", ""))
    assert dict(sums) == GOLDEN_PUBLICITY
    assert refused == sum(len(f.refused_rows) for f in loaded(inbox, "publicity")) > 0
    superseded = [f for f in inbox.files if f.superseded_by]
    duplicates = [f for f in inbox.files if f.duplicate_of]
    assert len(superseded) == 1 and len(duplicates) == 1
    assert (root / duplicates[0].path).read_bytes() == (
        root / duplicates[0].duplicate_of
    ).read_bytes()
    assert (root / superseded[0].path).read_bytes() != (
        root / superseded[0].superseded_by
    ).read_bytes()


def test_files_to_refuse_are_planted(demo: tuple[Path, DemoInbox]) -> None:
    root, inbox = demo
    reasons = {f.refused: f for f in inbox.files if f.refused}
    assert set(reasons) == {
        "empty_file",
        "unreadable_workbook",
        "unknown_header",
        "village_unknown",
    }
    assert (root / reasons["empty_file"].path).stat().st_size == 0
    with pytest.raises(Exception):  # noqa: B017 - any reader error will do
        pl.read_excel(root / reasons["unreadable_workbook"].path, engine="calamine")
    unknown = reasons["village_unknown"]
    text = unknown.path + "".join(
        c for rows in sheets_of(root, unknown).values() for row in rows[:2] for c in row
    )
    labels = [x for v in inbox.config.villages for x in (v.name, *v.aliases)]
    assert not any(label in text for label in labels)
    row_reasons = {r["reason"] for r in inbox.truth["refused_rows"]}
    assert {
        "id_check_digit", "id_birth_date", "id_excel_float", "id_missing", "date_impossible",
        "date_future", "date_before_start", "dose_unknown", "village_unknown",
        "quantity_negative", "quantity_non_numeric",
    } <= row_reasons  # fmt: skip


def test_headers_and_values_are_in_the_vocabulary(demo: tuple[Path, DemoInbox]) -> None:
    root, inbox = demo
    extra = {"序号", "备注"}
    for f in inbox.files:
        if f.refused or f.kind is None:
            continue
        aliases = vocabulary.HEADER_ALIASES[f.kind]
        known = {vocabulary.fold_header(h) for names in aliases.values() for h in names}
        markers = {norm(h) for h in aliases[vocabulary.REQUIRED_FIELDS[f.kind][0]]}
        for columns, rows in tables(root, f, markers):
            headers = {vocabulary.fold_header(h) for h in columns} - extra
            assert headers <= known, (f.path, headers - known)
            if f.kind == "roster":
                k = column(columns, STATUS_HEADERS)
                assert k is not None
                values = {
                    vocabulary.fold(r[k])
                    for r in rows
                    if valid_id(r[column(columns, ID_HEADERS) or 0])
                }
                assert values <= set(vocabulary.RESIDENCE_STATUS_FOLDED), (f.path, values)
            if f.kind == "vaccination":
                k = column(columns, DOSE_HEADERS)
                assert k is not None
                values = {vocabulary.fold(r[k]) for r in rows} - {"第四针", "不详"}
                assert values <= set(vocabulary.DOSE_LABELS_FOLDED), (f.path, values)
                mode = column(columns, {"接种方式", "接种形式"})
                assert mode is not None
                assert {r[mode] for r in rows} <= set(vocabulary.VACCINATION_MODES)


def test_scaled_run_writes_a_loadable_config_and_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_out, truth_out = tmp_path / "county.yaml", tmp_path / "truth.json"
    code = main_demo_data(
        out_dir=tmp_path / "inbox",
        seed=3,
        persons=2500,
        villages=24,
        config_path=CONFIG,
        config_out=config_out,
        truth_out=truth_out,
    )
    assert code == 0
    assert "roster" in capsys.readouterr().out
    config = load_config(config_out)
    assert len(config.villages) == 24
    assert len({v.name for v in config.villages}) == 24
    truth = json.loads(truth_out.read_text(encoding="utf-8"))
    assert truth["scale"]["villages"] == 24
    assert 2400 <= truth["population"]["roster_persons"] <= 2600
    assert not (tmp_path / "inbox" / truth_out.name).exists()
    assert len(truth["refused_files"]) == 4
    write_config(config, tmp_path / "again.yaml")
    assert load_config(tmp_path / "again.yaml") == config
    assert main_demo_data(tmp_path / "inbox", 3, 2500, 24, CONFIG, None) == 2
