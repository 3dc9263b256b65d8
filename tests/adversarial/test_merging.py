"""Merging keeps what each copy states (issue 14, item 5).

A dose recorded in several files is one dose dated by its earliest record; each other
attribute comes from the records that state it (clinic exports first, then the earliest,
then the smallest value), never null because one copy lacked the column, and never decided
by a file's name, hash or order. A person on several rosters is placed the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import RUN_DATE
from hypothesis import given
from hypothesis import strategies as st
from spreadsheets import write_csv, write_xlsx

from epireport.settings import project_resources
from transforms.completeness import build_submissions
from transforms.discover import discover_files
from transforms.ids import check_digit
from transforms.ingest import normalize_reads, read_file, settle_versions
from transforms.load import MODEL_FILES, load_into_duckdb
from transforms.metrics import MetricParams, compute_metrics

RESOURCES = project_resources()
ATTRIBUTES = ("mode", "site", "vaccine", "village_code")


def pid(birth: str, seq: str) -> str:
    first17 = "430121" + birth + seq
    return first17 + check_digit(first17)


ROSTER_HEADER = ["组别", "姓名", "身份证号码", "居住状态"]
ELDER = pid("19400505", "001")  # 82 at the demo cut-off 2022-12-20
ADULT = pid("19800808", "002")


def _load(inbox: Path, db: Path, ctx, reverse: bool) -> None:
    """The flow's stages from discovery to the stored tables, with the files read in either
    order."""
    reads = [read_file(f, ctx, 2**26, 2**28) for f in discover_files(inbox)]
    reads = list(reversed(reads)) if reverse else reads
    load_into_duckdb(
        normalize_reads(settle_versions(reads), ctx), db, RESOURCES.models_dir, ctx, "fp"
    )


def _door_to_door(db: Path, demo_config) -> dict:
    cutoff = demo_config.cutoff(RUN_DATE)
    build_submissions(db, RESOURCES.models_dir, demo_config, demo_config.period.start, cutoff)
    params = MetricParams.from_config(demo_config, cutoff)
    v = compute_metrics(db, RESOURCES.metrics_dir, params).metrics.model_dump(mode="json")
    return {k: v["vaccination"][k] for k in ("door_to_door_doses", "door_to_door_elderly_persons")}


def _write_dose_copies(inbox: Path, clinic_name: str, village_name: str, modes: dict) -> None:
    """One first dose of ELDER and one of ADULT, each in a clinic export and in 石门村's own
    list on the same date; ``modes`` gives each copy's 接种方式 (None: no such column)."""
    clinic_header = ["接种单位", "身份证号", "剂次", "接种日期"]
    village_header = ["所属村", "身份证号码", "接种剂次", "接种时间"]
    clinic_rows = [["白沙镇卫生院", ELDER, "第一针", "2022-03-01"],
                   ["白沙镇卫生院", ADULT, "第一针", "2022-04-01"]]  # fmt: skip
    village_rows = [
        ["石门", ELDER, "第一剂", "2022-03-01"],
        ["石门", ADULT, "第一剂", "2022-04-01"],
    ]
    for header, rows, mode in (
        (clinic_header, clinic_rows, modes["clinic"]),
        (village_header, village_rows, modes["village"]),
    ):
        if mode is not None:
            header.append("接种方式")
            for row in rows:
                row.append(mode)
    write_xlsx(inbox / clinic_name, {"导出": [clinic_header, *clinic_rows]})
    write_csv(inbox / village_name, [village_header, *village_rows])
    roster = [["石门村常住人口花名册"], ROSTER_HEADER, ["一组", "甲", ELDER, "在家"],
              ["一组", "乙", ADULT, "在家"]]  # fmt: skip
    write_xlsx(inbox / "石门村花名册.xlsx", {"一组": roster})


ORDERS = [
    pytest.param(names, reverse, id=f"{names[0][:1]}-first-{'reversed' if reverse else 'read'}")
    for names in (("a/接种记录.xlsx", "b/村名单.csv"), ("b/接种记录.xlsx", "a/村名单.csv"))
    for reverse in (False, True)
]


@pytest.mark.parametrize("stated_by", ["clinic", "village"])
@pytest.mark.parametrize(("names", "reverse"), ORDERS)
def test_a_tied_dose_keeps_the_mode_one_copy_states(
    stated_by: str, names: tuple[str, str], reverse: bool, tmp_path, ctx, demo_config
) -> None:
    modes = {"clinic": None, "village": None, stated_by: "上门"}
    _write_dose_copies(tmp_path / "inbox", *names, modes)
    db = tmp_path / "t.duckdb"
    _load(tmp_path / "inbox", db, ctx, reverse)
    with duckdb.connect(str(db), read_only=True) as con:
        doses = con.sql("select mode, source_records, stated_conflicts from doses").fetchall()
    assert doses == [("door_to_door", 2, 0)] * 2
    # Both doses are 上门; only ELDER is 60 or over.
    assert _door_to_door(db, demo_config) == {
        "door_to_door_doses": 2,
        "door_to_door_elderly_persons": 1,
    }


@pytest.mark.parametrize(("names", "reverse"), ORDERS)
def test_copies_that_disagree_keep_the_clinics_word_and_are_listed(
    names: tuple[str, str], reverse: bool, tmp_path, ctx, demo_config
) -> None:
    _write_dose_copies(tmp_path / "inbox", *names, {"clinic": "门诊", "village": "上门"})
    db = tmp_path / "t.duckdb"
    _load(tmp_path / "inbox", db, ctx, reverse)
    with duckdb.connect(str(db), read_only=True) as con:
        modes = con.sql("select mode, stated_conflicts from doses").fetchall()
        listed = con.sql(
            "select dose, field, records, stated_values, kept_value from dose_conflicts"
        ).fetchall()
    assert modes == [("clinic", 1)] * 2
    assert listed == [(1, "mode", 2, "clinic,door_to_door", "clinic")] * 2
    assert _door_to_door(db, demo_config)["door_to_door_doses"] == 0


@pytest.mark.parametrize("shimen_status", ["在家", "外出务工"])
@pytest.mark.parametrize(("names", "reverse"), ORDERS)
def test_a_person_on_two_rosters_is_placed_by_what_the_entries_say(
    shimen_status: str, names: tuple[str, str], reverse: bool, tmp_path, ctx
) -> None:
    """ADULT is on 石门村's (01) and 青山村's (02) rosters, both in the base: the 在家 entry
    places them; when neither says 在家, the smaller village code does."""
    inbox = tmp_path / "inbox"
    qingshan_status = "外出务工" if shimen_status == "在家" else "在家"
    for name, village, status in (
        (names[0].replace("接种记录.xlsx", "花名册.xlsx"), "石门村", shimen_status),
        (names[1].replace("村名单.csv", "花名册.csv"), "青山村", qingshan_status),
    ):
        rows = [[f"{village}常住人口花名册"], ROSTER_HEADER, ["一组", "甲", ADULT, status]]
        if name.endswith(".csv"):
            write_csv(inbox / name, rows)
        else:
            write_xlsx(inbox / name, {"一组": rows})
    db = tmp_path / "t.duckdb"
    _load(inbox, db, ctx, reverse)
    with duckdb.connect(str(db), read_only=True) as con:
        persons = con.sql(
            "select village_code, status, has_roster_conflict from persons"
        ).fetchall()
    home = "01" if shimen_status == "在家" else "02"
    assert persons == [(home, "at_home", True)]


# --- the merge rule over generated copies, in real DuckDB ---------------------------------

STG_VACCINATION = """
create table stg_vaccination (
    file_id varchar, sheet varchar, row_number bigint, site varchar, dose tinyint,
    vaccine varchar, vaccinated_on date, mode varchar, village_code varchar,
    birth_date date, sex varchar, person_key varchar
)
"""

day = st.integers(0, 3).map(lambda n: dt.date(2022, 3, 1) + dt.timedelta(days=n))
copy = st.fixed_dictionaries(
    {
        "person_key": st.sampled_from(["p1", "p2"]),
        "dose": st.integers(1, 2),
        "vaccinated_on": day,
        "mode": st.sampled_from([None, "clinic", "door_to_door", "other"]),
        "vaccine": st.sampled_from([None, "甲", "乙"]),
        "village_code": st.sampled_from([None, "01", "02"]),
        "site": st.sampled_from([None, "卫生院", "卫生室"]),
    }
)


@st.composite
def inboxes(draw) -> list[dict]:
    """Records spread over files with distinct random ids; a file is a clinic export (one
    site stated on every row) or a village's list (sites as drawn, or none)."""
    n_files = draw(st.integers(1, 4))
    ids = draw(st.lists(st.text("0123456789abcdef", min_size=16, max_size=16),
                        min_size=n_files, max_size=n_files, unique=True))  # fmt: skip
    records = []
    for file_id in ids:
        clinic_site = draw(st.sampled_from([None, "卫生院", "卫生室"]))
        for row_number, record in enumerate(draw(st.lists(copy, min_size=1, max_size=5)), 2):
            if clinic_site is not None:
                record = {**record, "site": clinic_site}
            records.append({**record, "file_id": file_id, "row_number": row_number})
    return records


def _expected(records: list[dict]) -> tuple[dict, set]:
    """The documented rule, computed with plain Python."""
    by_file: dict[str, list[dict]] = {}
    for r in records:
        by_file.setdefault(r["file_id"], []).append(r)
    clinic = {
        f: all(r["site"] is not None for r in rows) and len({r["site"] for r in rows}) == 1
        for f, rows in by_file.items()
    }
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["person_key"], r["dose"]), []).append(r)
    doses, conflicts = {}, set()
    for key, copies in groups.items():
        merged: dict = {"vaccinated_on": min(c["vaccinated_on"] for c in copies)}
        disagreements = 0
        for field in ATTRIBUTES:
            stated = [c for c in copies if c[field] is not None]
            ranked = sorted(
                stated, key=lambda c: (not clinic[c["file_id"]], c["vaccinated_on"], c[field])
            )
            merged[field] = ranked[0][field] if ranked else None
            values = sorted({c[field] for c in stated})
            if len(values) > 1:
                disagreements += 1
                conflicts.add((*key, field, len(stated), ",".join(values), merged[field]))
        merged["stated_conflicts"] = disagreements
        merged["source_records"] = len(copies)
        doses[key] = merged
    return doses, conflicts


@given(inboxes())
def test_merged_doses_follow_the_rule_whatever_the_files(records: list[dict]) -> None:
    with duckdb.connect() as con:
        con.execute(STG_VACCINATION)
        con.executemany(
            "insert into stg_vaccination values "
            "(?, 'sheet', ?, ?, ?, ?, ?, ?, ?, date '1940-01-01', 'f', ?)",
            [
                [r["file_id"], r["row_number"], r["site"], r["dose"], r["vaccine"],
                 r["vaccinated_on"], r["mode"], r["village_code"], r["person_key"]]
                for r in records
            ],
        )  # fmt: skip
        for model in MODEL_FILES:
            if model.startswith("dose"):
                con.execute((RESOURCES.models_dir / model).read_text(encoding="utf-8"))
        columns = ("vaccinated_on", *ATTRIBUTES, "stated_conflicts", "source_records")
        rows = con.execute(f"select person_key, dose, {', '.join(columns)} from doses").fetchall()
        listed = set(
            con.execute(
                "select person_key, dose, field, records, stated_values, kept_value "
                "from dose_conflicts"
            ).fetchall()
        )
    doses, conflicts = _expected(records)
    assert {(r[0], r[1]): dict(zip(columns, r[2:], strict=True)) for r in rows} == doses
    assert listed == conflicts
