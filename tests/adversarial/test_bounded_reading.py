"""Bounded reading: a small file cannot cost gigabytes. A sheet's extent and a CSV's line
length are checked against the township's limits before parsing; reader workers run under a
memory limit, so a read past it is one refused file; and they end with the run, even when
the run is killed with SIGKILL.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from spreadsheets import write_xlsx

from transforms.discover import InboxFile, discover_files
from transforms.ingest import FileRead, read_file
from transforms.isolation import IsolatedReader
from transforms.read import ShapeLimits

MB = 2**20
ROSTER = [
    ["石门村常住人口花名册"],
    ["组别", "姓名", "身份证号码", "居住状态"],
    ["一组", "甲", "1", "在家"],
]
# Excel's last cell: a workbook naming it makes calamine allocate 2^34 cells.
LAST_ROW, LAST_COLUMN = 1048575, 16383


def far_cell_xlsx(path: Path) -> Path:
    """A roster with one more cell at XFD1048576: a few KB on disk."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("一组")
    for r, row in enumerate(ROSTER):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write(LAST_ROW, LAST_COLUMN, "x")
    workbook.close()
    return path


def with_dimension(source: Path, target: Path, ref: str) -> Path:
    """The same workbook, its sheets' <dimension> replaced by ``ref``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(
                    rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
            out.writestr(info, data)
    return target


def one_file(folder: Path) -> InboxFile:
    (file,) = discover_files(folder)
    return file


def read(folder: Path, ctx, shape: ShapeLimits | None = None) -> FileRead:
    return read_file(one_file(folder), ctx, 50 * MB, 200 * MB, shape)


def test_a_few_kb_naming_the_last_cell_is_refused_naming_the_limit(tmp_path: Path, ctx) -> None:
    path = far_cell_xlsx(tmp_path / "石门村花名册.xlsx")
    assert path.stat().st_size < 10_000
    result = read(tmp_path, ctx)
    assert (result.status, result.refusal_code) == ("refused", "too_many_cells")
    assert "max_cells" in result.refusal and "上限" in result.refusal


def test_a_dimension_that_hides_the_far_cell_is_not_believed(tmp_path: Path, ctx) -> None:
    far = far_cell_xlsx(tmp_path / "far.xlsx")
    (tmp_path / "inbox").mkdir()
    with_dimension(far, tmp_path / "inbox/石门村花名册.xlsx", "A1:D3")
    result = read(tmp_path / "inbox", ctx)
    assert (result.status, result.refusal_code) == ("refused", "too_many_cells")


def test_a_dimension_that_claims_too_much_does_not_refuse_a_small_sheet(
    tmp_path: Path, ctx
) -> None:
    small = write_xlsx(tmp_path / "small.xlsx", {"一组": ROSTER})
    (tmp_path / "inbox").mkdir()
    with_dimension(small, tmp_path / "inbox/石门村花名册.xlsx", "A1:XFD1048576")
    result = read(tmp_path / "inbox", ctx)
    assert (result.status, result.rows_read) == ("loaded", 1)


@pytest.mark.parametrize(("rows", "width", "limit", "refused"), [(20, 5, 100, False),
                                                                  (21, 5, 100, True)])  # fmt: skip
def test_the_cell_limit_counts_rows_times_columns_of_every_sheet(
    tmp_path: Path, ctx, rows: int, width: int, limit: int, refused: bool
) -> None:
    header = ["组别", "姓名", "身份证号码", "居住状态", "备注"][:width]
    half = rows // 2
    body = [["一组", "某", "1", "在家", "x"][:width]] * (half - 1)
    rest = [["一组", "某", "1", "在家", "x"][:width]] * (rows - half - 1)
    write_xlsx(tmp_path / "石门村花名册.xlsx", {"一组": [header, *body], "二组": [header, *rest]})
    result = read(tmp_path, ctx, ShapeLimits(max_cells=limit))
    assert (result.refusal_code == "too_many_cells") is refused


def test_a_csv_with_one_line_of_tens_of_mb_is_refused_naming_the_limit(tmp_path: Path, ctx) -> None:
    line = b"1," * (10 * MB)
    (tmp_path / "石门村花名册.csv").write_bytes("组别,姓名,身份证号码,居住状态\n".encode() + line)
    result = read(tmp_path, ctx)
    assert (result.status, result.refusal_code) == ("refused", "csv_line_too_long")
    assert "max_csv_line_kb" in result.refusal


def test_a_csv_of_many_short_wide_lines_is_refused_by_its_cells(tmp_path: Path, ctx) -> None:
    lines = ["组别,姓名,身份证号码,居住状态"] + ["," * 1000] * 200
    (tmp_path / "石门村花名册.csv").write_text("\n".join(lines), encoding="utf-8")
    result = read(tmp_path, ctx, ShapeLimits(max_cells=100_000))
    assert (result.status, result.refusal_code) == ("refused", "too_many_cells")


def adversarial_inbox(folder: Path) -> dict[str, str]:
    """Each small adversarial file, and the reason it must be refused for."""
    folder.mkdir()
    far_cell_xlsx(folder / "far.xlsx")
    with_dimension(folder / "far.xlsx", folder / "lying.xlsx", "A1:D3")
    (folder / "long.csv").write_bytes(b"a," * (20 * MB))
    return {"far.xlsx": "too_many_cells", "lying.xlsx": "too_many_cells",
            "long.csv": "csv_line_too_long"}  # fmt: skip


@pytest.mark.slow  # reader worker processes
def test_adversarial_files_are_refused_within_a_few_hundred_mb(tmp_path: Path, ctx) -> None:
    """Each is read in a worker allowed 300 MB more than it starts with; before these limits
    the far cell asked calamine for 512 GB and the long line for over 8 GB."""
    expected = adversarial_inbox(tmp_path / "inbox")
    with IsolatedReader(workers=1, memory_bytes=300 * MB) as reader:
        got = {
            f.relative_path: reader.read(f, ctx, 50 * MB, 200 * MB).refusal_code
            for f in discover_files(tmp_path / "inbox")
        }
    assert got == expected


@pytest.mark.slow  # reader worker processes
def test_a_read_past_the_memory_limit_refuses_that_file_only(tmp_path: Path, ctx) -> None:
    rows = ["组别,姓名,身份证号码,居住状态"] + [f"一组,某{i},{i:018d},在家" for i in range(300_000)]
    (tmp_path / "石门村花名册.csv").write_text("\n".join(rows), encoding="utf-8")
    write_xlsx(tmp_path / "青山村花名册.xlsx", {"一组": ROSTER})
    files = {f.relative_path: f for f in discover_files(tmp_path)}
    with IsolatedReader(workers=1, memory_bytes=32 * MB) as reader:
        big = reader.read(files["石门村花名册.csv"], ctx, 50 * MB, 200 * MB)
        small = reader.read(files["青山村花名册.xlsx"], ctx, 50 * MB, 200 * MB)
    assert big.status == "refused"
    assert big.refusal_code in ("reader_crashed", "reader_out_of_memory")
    assert (small.status, small.rows_read) == ("loaded", 1)


RUN_AND_WAIT = """
import sys, time
from pathlib import Path
from transforms.discover import discover_files
from transforms.isolation import IsolatedReader
from conftest import DEMO_CONFIG, RUN_DATE
from epireport.config import load_config
from transforms.normalize import NormalizeContext
from transforms.villages import VillageIndex

config = load_config(DEMO_CONFIG)
ctx = NormalizeContext(RUN_DATE, VillageIndex.from_config(config), b"k")
reader = IsolatedReader(workers=2).__enter__()
(file,) = discover_files(Path(sys.argv[1]))
print(reader.read(file, ctx, 2**20, 2**22).status, flush=True)
time.sleep(600)
"""


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.slow  # a subprocess that starts reader workers, then is killed
def test_reader_workers_end_when_the_run_is_killed(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "inbox/石门村花名册.xlsx", {"一组": ROSTER})
    marker = f"EPIREPORT_TEST_RUN={uuid.uuid4().hex}"
    tests = Path(__file__).resolve().parents[1]
    env = {**os.environ, "EPIREPORT_TEST_RUN": marker.split("=")[1],
           "PYTHONPATH": os.pathsep.join([str(tests), str(tests.parent)])}  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-c", RUN_AND_WAIT, str(tmp_path / "inbox")],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert run.stdout.readline().strip() == "loaded"
        helpers = [p for p in processes_with(marker) if p != run.pid]
        assert helpers, "the run started no reader process"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with(marker) == []
    finally:
        run.kill()
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
