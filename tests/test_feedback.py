"""Feedback workbooks: one per village (and per clinic that sent files) with its files, every
refused row with where to find it and how to correct it, its missing or late files and its
unknown values; masked, in Chinese, and every refused row in exactly one workbook."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from conftest import RUN_DATE
from hypothesis import given
from hypothesis import strategies as st
from personal_data import FULL_ID, PHONE, VALID, valid_id

from epireport.config import TownshipConfig
from transforms.blank_templates import DATA_ROW, template_columns, template_name, write_template
from transforms.feedback import (
    Recipients,
    feedback_frames,
    feedback_workbooks,
    file_name,
)
from transforms.ingest import FILES_SCHEMA, IngestLedger
from transforms.instant_check import check_files, describe, given_files
from transforms.masking import township_lexicon
from transforms.normalize import REFUSED_SCHEMA
from transforms.unknown_values import UNKNOWN_SCHEMA
from transforms.villages import VillageIndex
from transforms.vocabulary import (
    FEEDBACK_HEADINGS,
    FEEDBACK_SHEETS,
    FEEDBACK_TEXTS,
    FEEDBACK_UNATTRIBUTED,
    KIND_LABELS,
    REASON_FIXES,
    REASON_TEXTS,
    SUBMISSION_STATES,
)

CUTOFF = dt.date(2022, 12, 20)
SUBMISSIONS_SCHEMA = {
    "village_code": pl.String, "village_name": pl.String, "kind": pl.String,
    "kind_label": pl.String, "received": pl.Boolean, "on_time": pl.Boolean,
    "submitted_on": pl.Date, "file_path": pl.String,
}  # fmt: skip
NO_SUBMISSIONS = pl.DataFrame(schema=SUBMISSIONS_SCHEMA)
# A resident's data planted in names and values the inbox controls.
PERSON_ID = valid_id("430521", dt.date(1950, 1, 1), 12)
PERSON_PHONE = "13912345678"


def recipients(config: TownshipConfig) -> Recipients:
    return Recipients.of(config, VillageIndex.from_config(config), config.deadline(RUN_DATE))


def lexicon(config: TownshipConfig):
    return township_lexicon(VillageIndex.from_config(config))


def file_line(file_id: str, path: str, kind: str | None, village: str | None = None, **more):
    """One ingest_summary line; a loaded file's rows all loaded unless told."""
    line = {
        "file_id": file_id, "path": path, "kind": kind, "village_code": village,
        "status": "loaded", "refusal_code": None, "refusal": None, "rows_read": 10,
        "rows_refused": 0, "sha256": file_id * 4,
    } | more  # fmt: skip
    loaded = line["rows_read"] - line["rows_refused"] if line["status"] == "loaded" else 0
    return line | {"rows_loaded": loaded, "rows_retired": 0}


def refused_file(file_id: str, path: str, code: str):
    return file_line(
        file_id, path, None, status="refused", refusal_code=code, refusal=REASON_TEXTS[code],
        rows_read=0,
    )  # fmt: skip


def refused_row(file_id: str, row: int, field: str, code: str, value: str | None, sheet="一组"):
    return {
        "file_id": file_id, "sheet": sheet, "row_number": row, "field": field,
        "reason_code": code, "reason": REASON_TEXTS[code], "value_masked": value,
    }  # fmt: skip


def ledger(files: list[dict], refused: list[dict], unknown: list[dict] | None = None):
    schema = FILES_SCHEMA | {"rows_loaded": pl.Int64, "rows_retired": pl.Int64}
    return IngestLedger(
        files=pl.DataFrame(files, schema={k: v for k, v in schema.items() if k in files[0]}),
        refused_rows=pl.DataFrame(refused, schema=REFUSED_SCHEMA),
        sheets=pl.DataFrame(),
        unknown_values=pl.DataFrame(unknown or [], schema=UNKNOWN_SCHEMA),
    )


def sheet_rows(book: bytes, key: str) -> list[dict]:
    """A workbook sheet's rows under its headings; the "无" line of an empty sheet is none."""
    sheet = openpyxl.load_workbook(io.BytesIO(book))[FEEDBACK_SHEETS[key]]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(FEEDBACK_HEADINGS[key].values())
    rows = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    return [] if rows and rows[0][values[0][0]] == FEEDBACK_TEXTS["none"] else rows


def cover(book: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(book))[FEEDBACK_SHEETS["cover"]]
    return [row[0] for row in sheet.iter_rows(values_only=True)]


def xml_text(book: bytes) -> str:
    """Every XML part of a workbook: what a scan for personal data has to read."""
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist())


# --- who a file belongs to ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "village", "sender"),
    [
        ("各村上报/石门村/花名册.xlsx", "02", "青山村"),  # the village it was read for wins
        ("卫生院/村卫生室/石门村卫生室接种记录.csv", None, "石门村卫生室"),  # not 石门村
        ("卫生院/白沙镇卫生院新冠疫苗接种明细导出.xlsx", None, "白沙镇卫生院"),
        ("镇卫生院/接种明细.xlsx", None, "白沙镇卫生院"),  # an alias, in a folder
        ("网格化管理/石门村网格化管理台账.xlsx", None, "石门村"),
        ("各村上报/石门/接种登记表.xlsx", None, "石门村"),  # an alias, in a folder
        ("各村上报/石门村/青山村接种登记表.xlsx", None, "青山村"),  # the file name first
        ("白沙镇/会议台账.xlsx", None, FEEDBACK_UNATTRIBUTED),  # the township is not 白沙社区
        ("镇政府/会议及文件台账.xlsx", None, FEEDBACK_UNATTRIBUTED),
    ],
)
def test_a_file_belongs_to_its_village_else_the_clinic_or_village_its_path_names(
    demo_config: TownshipConfig, path: str, village: str | None, sender: str
) -> None:
    assert recipients(demo_config).sender(path, village) == sender


def test_workbook_names_are_the_senders_names() -> None:
    assert file_name("石门村") == "feedback/石门村.xlsx"
    assert file_name("白沙镇卫生院") == "feedback/白沙镇卫生院.xlsx"
    assert file_name('东/岭:村*?"<>|\\') == "feedback/东_岭_村_______.xlsx"


# --- what a workbook holds ------------------------------------------------------------------


def small_ledger():
    """石门村's roster (two refused rows, one an unknown status) and a file it sent that could
    not be read; 石门村卫生室's export (one refused row); a grid ledger the path gives to
    青山村 (one); a township file no path names (one)."""
    files = [
        file_line("a1", "各村上报/石门村/花名册.xlsx", "roster", "01", rows_refused=2),
        refused_file("a2", "各村上报/石门村/花名册.doc", "unsupported_format"),
        file_line("b1", "卫生院/石门村卫生室接种记录.csv", "vaccination", rows_refused=1),
        file_line("c1", "网格化管理/青山村网格化管理台账.xlsx", "grid", rows_refused=1),
        file_line("d1", "镇政府/会议及文件台账.xlsx", "meeting", rows_refused=1),
    ]
    refused = [
        refused_row("a1", 5, "id_number", "id_bad_check_digit", "4305**********0012"),
        refused_row("a1", 7, "status", "status_unknown", "在加"),
        refused_row("b1", 9, "vaccinated_on", "date_impossible", "2022-02-30", sheet="csv"),
        refused_row("c1", 4, "households", "quantity_not_numeric", "很多"),
        refused_row("d1", 3, "held_on", "date_unparseable", "上周三"),
    ]
    unknown = [
        {"kind": "roster", "field": "status", "value_masked": "在加",
         "reason_code": "status_unknown", "rows": 1, "files": 1, "suggestion": "“在家”"},
    ]  # fmt: skip
    return ledger(files, refused, unknown)


def submissions(config: TownshipConfig) -> pl.DataFrame:
    """石门村 sent its roster on time and no grid ledger; 青山村 its publicity log late."""
    rows = [
        ("01", "roster", True, True, dt.date(2022, 12, 10)),
        ("01", "grid", False, None, None),
        ("02", "publicity", True, False, dt.date(2022, 12, 19)),
    ]
    names = {v.code: v.name for v in config.villages}
    return pl.DataFrame(
        [
            (code, names[code], kind, KIND_LABELS[kind], received, on_time, on, None)
            for code, kind, received, on_time, on in rows
        ],
        schema=SUBMISSIONS_SCHEMA,
        orient="row",
    )


def test_every_village_gets_a_workbook_and_a_clinic_one_when_it_sent_files(
    demo_config: TownshipConfig,
) -> None:
    frames = feedback_frames(
        small_ledger(), submissions(demo_config), recipients(demo_config), lexicon(demo_config)
    )
    villages = [v.name for v in demo_config.villages]
    assert list(frames) == [*villages, "石门村卫生室", FEEDBACK_UNATTRIBUTED]
    refused = {name: f.refused.height for name, f in frames.items() if f.refused.height}
    assert refused == {"石门村": 2, "青山村": 1, "石门村卫生室": 1, FEEDBACK_UNATTRIBUTED: 1}
    assert frames["石门村"].files["path"].to_list() == [
        "各村上报/石门村/花名册.doc",
        "各村上报/石门村/花名册.xlsx",
    ]
    assert frames["枫林村"].files.is_empty() and frames["枫林村"].refused.is_empty()


def small_township_books(config: TownshipConfig) -> dict[str, bytes]:
    """The workbooks of the hand-built ledger above."""
    return feedback_workbooks(
        small_ledger(), submissions(config), recipients(config), lexicon(config), "白沙镇", CUTOFF
    )


def test_the_workbook_lists_each_refused_row_with_where_why_and_how_to_correct_it(
    demo_config: TownshipConfig,
) -> None:
    books = small_township_books(demo_config)
    book = books["feedback/石门村.xlsx"]
    assert openpyxl.load_workbook(io.BytesIO(book)).sheetnames == list(FEEDBACK_SHEETS.values())
    assert sheet_rows(book, "refused") == [
        {
            "文件": "各村上报/石门村/花名册.xlsx", "工作表": "一组", "行号": 5,
            "栏目": "身份证号码", "填写的值（个人信息已隐去）": "4305**********0012",
            "原因": "身份证号码校验位错误",
            "如何更正": "号码中有数字输错或顺序颠倒，请对照身份证逐位核对后改正",
        },
        {
            "文件": "各村上报/石门村/花名册.xlsx", "工作表": "一组", "行号": 7,
            "栏目": "居住状态", "填写的值（个人信息已隐去）": "在加",
            "原因": REASON_TEXTS["status_unknown"], "如何更正": REASON_FIXES["status_unknown"],
        },
    ]  # fmt: skip
    files = sheet_rows(book, "files")
    assert [(f["文件"], f["状态"], f["入库行"], f["拒绝行"]) for f in files] == [
        ("各村上报/石门村/花名册.doc", "未能读取", 0, 0),
        ("各村上报/石门村/花名册.xlsx", "已入库", 8, 2),
    ]
    assert files[0]["如何更正"] == "请另存为 xlsx 格式后重新报送" and files[1]["如何更正"] is None
    assert sheet_rows(book, "submissions") == [
        {"台账": "网格化管理台账", "情况": "未报送", "报送日期": None}
    ]
    assert sheet_rows(book, "unknown") == [
        {
            "台账": "人口花名册",
            "栏目": "居住状态",
            "填写的值": "在加",
            "行数": 1,
            "建议改为": "“在家”",
        }
    ]
    assert cover(book) == [
        "石门村台账报送情况反馈",
        "白沙镇疫情防控专项工作报告，数据截至 2022-12-20。",
        "共收到石门村报送的文件 2 个，入库 8 行，被拒绝 2 行（未计入报告）。",
        "有 1 个文件未能读取或未予采用，原因和更正办法见“收到的文件”表。",
        "被拒绝的 2 行见“被拒绝的行”表：按工作表和行号找到该行，按“如何更正”一栏改正。",
        "有 1 种填写值未能识别，建议的写法见“未能识别的填写值”表。",
        "未报送：网格化管理台账（截止日期 2022-12-18），请尽快报送。",
        "请改正后把整个文件重新报送。表中身份证号码等个人信息已部分隐去，请按工作表和行号查找。",
    ]


def test_late_and_missing_files_and_a_clean_sender_are_said_on_the_cover(
    demo_config: TownshipConfig,
) -> None:
    books = small_township_books(demo_config)
    qingshan = books["feedback/青山村.xlsx"]
    assert sheet_rows(qingshan, "submissions") == [
        {"台账": "宣传工作台账", "情况": SUBMISSION_STATES["late"], "报送日期": "2022-12-19"}
    ]
    assert "逾期报送：宣传工作台账（截止日期 2022-12-18）。" in cover(qingshan)
    assert cover(books["feedback/枫林村.xlsx"])[2:] == [
        "本次未收到枫林村报送的文件。",
        "报送的文件全部入库，无需更正。",
    ]
    unattributed = cover(books[f"feedback/{FEEDBACK_UNATTRIBUTED}.xlsx"])
    assert unattributed[2].startswith("以下 1 个文件的文件名和内容都没有写明")


def test_no_full_id_name_or_phone_reaches_a_workbook(demo_config: TownshipConfig) -> None:
    """Paths, sheet names, values and refusals straight from the inbox, unmasked: the
    workbook passes them through the listings' mask all the same."""
    planted_path = f"各村上报/石门村/王小明{PERSON_PHONE}花名册.xlsx"
    files = [
        file_line("a1", planted_path, "roster", "01", rows_refused=1),
        refused_file("a2", "各村上报/石门村/李秀英.xlsx", "workbook_unreadable")
        | {"refusal": f"文件“张建国{PERSON_ID}”已损坏"},
    ]
    refused = [refused_row("a1", 5, "id_number", "id_bad_check_digit", PERSON_ID, sheet="赵丽娟")]
    book = feedback_workbooks(
        ledger(files, refused), NO_SUBMISSIONS, recipients(demo_config), lexicon(demo_config),
        "白沙镇", CUTOFF,
    )["feedback/石门村.xlsx"]  # fmt: skip
    text = xml_text(book)
    assert not FULL_ID.search(text) and not PHONE.search(text)
    for name in ("王小明", "李秀英", "张建国", "赵丽娟"):
        assert name not in text, name
    row = sheet_rows(book, "refused")[0]  # still findable: file, sheet and row, masked
    assert row["文件"] == "各村上报/石门村/某某（3字）139******78花名册.xlsx"
    assert (row["工作表"], row["行号"], row["填写的值（个人信息已隐去）"]) == (
        "某某（3字）", 5, PERSON_ID[:4] + "*" * 10 + PERSON_ID[-4:],
    )  # fmt: skip


def test_a_cell_that_looks_like_a_formula_stays_text(demo_config: TownshipConfig) -> None:
    files = [file_line("a1", "各村上报/石门村/花名册.xlsx", "roster", "01", rows_refused=1)]
    refused = [refused_row("a1", 3, "status", "status_unknown", "=1+1", sheet="=SUM(A1)")]
    book = feedback_workbooks(
        ledger(files, refused), NO_SUBMISSIONS, recipients(demo_config), lexicon(demo_config),
        "白沙镇", CUTOFF,
    )["feedback/石门村.xlsx"]  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(book))[FEEDBACK_SHEETS["refused"]]
    assert [(c.value, c.data_type) for c in (sheet["B2"], sheet["E2"])] == [
        ("=SUM(A1)", "s"),
        ("=1+1", "s"),
    ]


def test_every_reason_has_its_correction_in_full_width_chinese() -> None:
    assert set(REASON_FIXES) == set(REASON_TEXTS)
    words = [
        *REASON_TEXTS.values(), *REASON_FIXES.values(), *FEEDBACK_TEXTS.values(),
        *FEEDBACK_SHEETS.values(), *SUBMISSION_STATES.values(),
        *(h for headings in FEEDBACK_HEADINGS.values() for h in headings.values()),
    ]  # fmt: skip
    half_width = [w for w in words if re.search(r"[(),:;!?]", w)]
    assert half_width == []
    assert all(re.search(r"[\u4e00-\u9fff]", fix) for fix in REASON_FIXES.values())


# --- classes of inputs ----------------------------------------------------------------------

_PIECES = st.sampled_from(
    ["石门村", "青山", "白沙镇", "白沙社区", "卫生院", "石门村卫生室", "镇卫生院", "各村上报",
     "花名册", "王小明", "13912345678", "/", " ", "（1）", "x.xlsx", "", "村"]
)  # fmt: skip
_PATHS = st.lists(_PIECES, min_size=1, max_size=6).map("".join)


@given(
    lines=st.lists(
        st.tuples(_PATHS, st.sampled_from([None, "01", "05", "20", "99"]), st.integers(0, 4)),
        min_size=1,
        max_size=12,
    )
)
def test_each_refused_row_is_in_exactly_one_workbook(demo_config, lines) -> None:
    """Whatever the paths: one sender per file line, its refused rows all in that sender's
    frames, none lost or doubled, and every village listed."""
    files, refused = [], []
    for i, (path, village, count) in enumerate(lines):
        files.append(file_line(f"f{i}", path, "vaccination", village, rows_refused=count))
        refused += [
            refused_row(f"f{i}", 3 + r, "dose", "dose_unknown", "不详") for r in range(count)
        ]
    people = recipients(demo_config)
    frames = feedback_frames(ledger(files, refused), NO_SUBMISSIONS, people, lexicon(demo_config))
    names = {v.code: v.name for v in demo_config.villages}
    senders = Counter()
    for path, village, count in lines:
        senders[people.sender(path, village)] += count
        assert village not in names or people.sender(path, village) == names[village]
    assert {n: f.refused.height for n, f in frames.items() if f.refused.height} == +senders
    assert sum(f.files.height for f in frames.values()) == len(files)
    known = {*(v.name for v in demo_config.villages), *(c.name for c in demo_config.clinics)}
    assert set(frames) <= known | {FEEDBACK_UNATTRIBUTED}
    assert {v.name for v in demo_config.villages} <= set(frames)
    for name in frames:
        assert file_name(name).count("/") == 1


# --- item 4: one invalid value per column of a template ------------------------------------

# A value each field type refuses, and the reason it is refused for (an empty required
# column: value_missing, or id_missing for an ID). 接种方式 is never refused: not listed.
INVALID: dict[str, tuple[str, str]] = {
    "id": ("12345", "id_bad_format"),
    "date": ("2022-02-30", "date_impossible"),
    "vaccination_date": ("2022-02-30", "date_impossible"),
    "dose": ("第九针", "dose_unknown"),
    "count": ("很多", "quantity_not_numeric"),
    "status": ("乱写一通", "status_unknown"),
    "publicity_kind": ("乱写一通", "publicity_kind_unknown"),
    "enum": ("乱写一通", "value_not_in_vocabulary"),
    "village": ("火星村", "village_unknown"),
    "quota_note": ("乱写一通", "quota_note_unreadable"),
}
FILLED = VALID | {"name": "王小明", "phone": PERSON_PHONE, "grid_leader": "李建国"}


def invalid_of(column) -> tuple[str | None, str] | None:
    """The value that breaks ``column`` and the code it is refused with; None when no value
    can be refused there."""
    kind = "enum" if column.field_type.startswith("enum:") else column.field_type
    if kind in INVALID:
        return INVALID[kind]
    if column.required:
        return None, "id_missing" if kind == "id" else "value_missing"
    return None


def filled_template(folder: Path, kind: str, config: TownshipConfig):
    """石门村's blank template of ``kind``, one data row per column that can be refused, that
    column broken and every other one valid; returns the path and the expected refusals."""
    folder.mkdir(exist_ok=True)
    path = folder / template_name(kind, "石门村")
    write_template(path, kind, config, "石门村")
    book = openpyxl.load_workbook(path)
    sheet = book[KIND_LABELS[kind]]
    columns = template_columns(kind, config)
    expected = []
    for column in columns:
        broken = invalid_of(column)
        if broken is None:
            continue
        row = DATA_ROW + 1 + len(expected)  # openpyxl counts from 1, as a clerk does
        for c, other in enumerate(columns, start=1):
            valid = FILLED[other.field] or valid_id("430521", dt.date(1960, 1, 1), row)
            sheet.cell(row, c, broken[0] if other is column else valid)
        expected.append((KIND_LABELS[kind], row, column.header, broken[1]))
    book.save(path)
    return path, expected


def test_one_invalid_value_per_column_is_one_refused_row_per_column_in_check_and_feedback(
    tmp_path: Path, demo_config: TownshipConfig
) -> None:
    paths, expected = [], []
    for kind in KIND_LABELS:
        path, refusals = filled_template(tmp_path / "inbox", kind, demo_config)
        paths.append(path)
        expected += [(path.name, *r) for r in refusals]
    assert len(expected) >= 30  # every kind has columns to break
    result = check_files(given_files([tmp_path / "inbox"]), demo_config, RUN_DATE)
    lines = describe(result, demo_config).lines

    checked = [
        (sheet, int(row), column)
        for sheet, row, column in re.findall(r"工作表“(.+?)”第 (\d+) 行，(.+?)：", "\n".join(lines))
    ]
    assert Counter(checked) == Counter((sheet, row, col) for _, sheet, row, col, _ in expected)

    book = feedback_workbooks(
        result.ledger, NO_SUBMISSIONS, recipients(demo_config), lexicon(demo_config),
        "白沙镇", CUTOFF,
    )["feedback/石门村.xlsx"]  # fmt: skip
    listed = [
        (Path(r["文件"]).name, r["工作表"], r["行号"], r["栏目"], r["如何更正"])
        for r in sheet_rows(book, "refused")
    ]
    fixes = [
        (name, sheet, row, column, REASON_FIXES[code])
        for name, sheet, row, column, code in expected
    ]
    assert Counter(listed) == Counter(fixes)
    assert not FULL_ID.search(xml_text(book)) and PERSON_PHONE not in xml_text(book)


# --- the demo run ---------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_demo_run_writes_one_workbook_per_village_holding_its_refused_rows(
    demo_run, demo_config: TownshipConfig
) -> None:
    run = demo_run.out / CUTOFF.isoformat()
    books = {p.name: p.read_bytes() for p in (run / "feedback").glob("*.xlsx")}
    villages = {v.code: v.name for v in demo_config.villages}
    assert {f"{name}.xlsx" for name in villages.values()} <= set(books)

    # Every row of refused_rows.csv in exactly one workbook, found by file, sheet and row.
    listed = Counter(
        (r["文件"], r["工作表"], r["行号"], name)
        for name, book in books.items()
        for r in sheet_rows(book, "refused")
    )
    csv_rows = read_csv(run / "refused_rows.csv")
    assert len(csv_rows) > 0 and sum(listed.values()) == len(csv_rows)
    where = {(path, sheet, row): name for path, sheet, row, name in listed}
    assert Counter((r["文件"], r["工作表"], int(r["行号"])) for r in csv_rows) == Counter(
        (path, sheet, row) for path, sheet, row, _ in listed
    )
    # A row of a file the generator wrote for a village is in that village's workbook.
    for f in demo_run.truth.files:
        for r in f.refused_rows if f.village else ():
            key = (f.path, r.sheet or "csv", r.row)
            assert where[key] == f"{villages[f.village]}.xlsx", key

    for name, book in books.items():
        files = sheet_rows(book, "files")
        assert sum(int(f["拒绝行"]) for f in files) == len(sheet_rows(book, "refused")), name
    # The missing files each village is told of are those the report counts as missing.
    missing = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["sections"]
    expected = Counter((m["village"], m["label"]) for m in missing["completeness"]["missing"])
    told = Counter(
        (name.removesuffix(".xlsx"), s["台账"])
        for name, book in books.items()
        for s in sheet_rows(book, "submissions")
        if s["情况"] == SUBMISSION_STATES["missing"]
    )
    assert told == expected


def test_the_run_lists_the_workbooks_in_its_files_artifact(demo_run) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read() -> list[str]:
        runs = ArtifactFilterFlowRunId(any_=[demo_run.flow_run_id])
        async with get_client() as client:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=runs))
        return [str(a.data) for a in found if a.key == "files-baisha"]

    (text,) = asyncio.run(read())
    for village in ("石门村", "花园社区"):
        assert f"feedback/{village}.xlsx" in text
