"""Loading into DuckDB and computing the vaccination figures, checked against hand counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from spreadsheets import write_csv, write_xlsx

from epireport.settings import project_resources
from transforms.completeness import build_submissions
from transforms.discover import discover_files
from transforms.ids import check_digit
from transforms.ingest import normalize_reads, read_file, settle_versions
from transforms.load import MODEL_FILES, load_into_duckdb
from transforms.metrics import MetricParams, compute_metrics

R = dt.date(2022, 12, 20)
RESOURCES = project_resources()


def pid(area_and_birth: str, seq: str) -> str:
    first17 = area_and_birth + seq
    return first17 + check_digit(first17)


A = pid("43012119621220", "001")  # 60 on R exactly
B = pid("43012119621221", "002")  # 59 on R: adult, not elderly
C = pid("43012119500101", "003")  # 死亡: outside the base
D = pid("43012119400505", "004")  # on two rosters: 迁出 from 石门, 在家 in 青山
E = pid("43012120041221", "005")  # 17 on R
F = pid("43012120150601", "006")  # 7 on R
G15 = "430121550303007"  # legacy 15-digit ID, born 1955-03-03
G18 = G15[:6] + "19" + G15[6:] + check_digit(G15[:6] + "19" + G15[6:])
X = pid("43052419700101", "009")  # vaccinated here, on no roster

ROSTER_HEADER = ["组别", "姓名", "身份证号码", "居住状态"]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("inbox")
    write_xlsx(
        inbox / "石门村/花名册.xlsx",
        {
            "一组": [
                ["石门村花名册"],
                ROSTER_HEADER,
                ["一组", "甲", A, "在家"],
                ["一组", "乙", B, "外出务工"],
                ["一组", "丙", C, "死亡"],
                ["一组", "丁", D, "迁出"],
            ],
            "二组": [ROSTER_HEADER, ["二组", "戊", E, "在家"], ["二组", "己", F, "外出就学"]],
        },
    )
    write_csv(
        inbox / "青山村花名册.csv",
        [ROSTER_HEADER, ["一组", "丁", D, "在家"], ["一组", "庚", G15, "在家"]],
        encoding="gbk",
    )
    vaccination_header = ["接种单位", "身份证号", "剂次", "接种日期", "接种方式"]
    write_xlsx(
        inbox / "卫生院/接种明细.xlsx",
        {
            "导出": [
                vaccination_header,
                ["白沙镇卫生院", A, "第一针", "2021-03-01", "门诊"],
                ["白沙镇卫生院", A, "第二针", "2022-12-21", "门诊"],
                ["白沙镇卫生院", A, "加强针", "2022/1/1", "门诊"],
                ["白沙镇卫生院", C, "1", "2021-03-01", "上门"],
                ["白沙镇卫生院", D, "第1剂", "2021.5.5", "上门"],
                ["白沙镇卫生院", D, "第二剂", "20210606", "上门"],
                ["白沙镇卫生院", D, "序贯加强", "2022年2月2日", "上门"],
                ["白沙镇卫生院", G18, "1", "2021-07-07", "门诊"],
                ["白沙镇卫生院", F, "1", "2022-01-01", "上门"],
                ["白沙镇卫生院", X, "1", "2021-08-08", "门诊"],
            ]
        },
    )
    write_csv(
        inbox / "石门村/村自报接种名单.csv",
        [["所属村", "身份证号码", "接种剂次", "接种时间"], ["石门", A, "第一剂", "2021-04-01"]],
    )
    return inbox


def load_inbox(inbox: Path, db: Path, ctx, config) -> None:
    """Load as the flow does: the tables, then the submissions table the figures read."""
    reads = settle_versions([read_file(f, ctx, 2**26, 2**28) for f in discover_files(inbox)])
    load_into_duckdb(normalize_reads(reads, ctx), db, RESOURCES.models_dir, ctx, "fingerprint")
    build_submissions(db, RESOURCES.models_dir, config, config.period.start, R)


@pytest.fixture(scope="module")
def loaded_db(inbox: Path, tmp_path_factory, ctx, demo_config) -> Path:
    db = tmp_path_factory.mktemp("db") / "t.duckdb"
    load_inbox(inbox, db, ctx, demo_config)
    return db


def test_a_dose_in_two_files_is_one_dose_dated_by_the_earliest(loaded_db: Path) -> None:
    with duckdb.connect(str(loaded_db), read_only=True) as con:
        rows = con.sql(
            "select vaccinated_on, source_records, source_files from doses "
            "where dose = 1 and source_records > 1"
        ).fetchall()
    assert rows == [(dt.date(2021, 3, 1), 2, 2)]


def test_a_person_on_two_rosters_is_one_person_with_a_conflict(loaded_db: Path) -> None:
    with duckdb.connect(str(loaded_db), read_only=True) as con:
        persons = con.sql("select count(*) from persons").fetchall()[0][0]
        conflicts = con.sql(
            "select village_code, status, is_in_base from persons where has_roster_conflict"
        ).fetchall()
    assert persons == 7  # A B C D E F G
    assert conflicts == [("02", "at_home", True)]
    with duckdb.connect(str(loaded_db), read_only=True) as con:
        recorded = con.sql("select village_codes, statuses from roster_conflicts").fetchall()
    assert recorded == [("01,02", "at_home,moved_out")]


def test_vaccination_figures_match_hand_count(loaded_db: Path) -> None:
    computed = compute_metrics(
        loaded_db, RESOURCES.metrics_dir, MetricParams(R, dt.date(2022, 1, 1), R)
    )
    v = computed.metrics.vaccination
    assert (v.p60, v.v60_dose1, v.v60_dose2) == (3, 3, 1)  # A D G; A D G; D (A's is after R)
    assert (v.p18, v.booster) == (4, 2)  # A B D G; A D
    assert (v.p3_11, v.v3_11_dose1) == (1, 1)  # F
    assert v.v60_dose1_pct == Decimal("100.00")
    assert v.v60_dose2_pct == Decimal("33.33")
    assert v.booster_pct == Decimal("50.00")
    # door to door, persons in the base only: D's three, F's one (not C's: 死亡)
    assert v.door_to_door_doses == 4
    assert computed.metrics.publicity.banner == 0


def test_a_failed_load_leaves_the_file_as_it_was(loaded_db: Path, tmp_path, ctx) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(loaded_db.read_bytes())
    broken_models = tmp_path / "models"
    broken_models.mkdir()
    for name in MODEL_FILES:
        (broken_models / name).write_text((RESOURCES.models_dir / name).read_text())
    (broken_models / "doses.sql").write_text("create or replace table doses as select nope;")
    with pytest.raises(duckdb.Error):
        load_into_duckdb(normalize_reads([], ctx), copy, broken_models, ctx, "empty")
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.sql("select count(*) from persons").fetchall() == [(7,)]
        assert con.sql("select count(*) from stg_vaccination").fetchall() == [(11,)]


def _table_fingerprints(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()]
        return {
            n: con.sql(f'select count(*), bit_xor(hash(t)) from "{n}" as t').fetchall()[0]
            for n in sorted(names)
        }


def test_loading_the_same_inbox_again_changes_nothing(
    inbox, loaded_db, tmp_path, ctx, demo_config
) -> None:
    before = _table_fingerprints(loaded_db)
    copy = tmp_path / "again.duckdb"
    copy.write_bytes(loaded_db.read_bytes())
    load_inbox(inbox, copy, ctx, demo_config)
    assert _table_fingerprints(copy) == before
    assert before["persons"][0] == 7
