"""A workbook that aborts its reader process costs one refused file, not the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_fuzz_readers import SEEDS

from transforms.discover import discover_files
from transforms.isolation import IsolatedReader

pytestmark = pytest.mark.slow  # reader worker processes and a subprocess

# One byte of a valid .xls changed (found by the fuzz test): calamine then asks for
# ~500 GB and the Rust runtime aborts the process with SIGABRT.
ABORTING_OFFSET, ABORTING_BYTE = 1666, 200


def aborting_xls() -> bytes:
    data = bytearray(SEEDS["xls"])
    data[ABORTING_OFFSET] = ABORTING_BYTE
    return bytes(data)


def test_the_fixture_really_aborts_a_reading_process(tmp_path: Path) -> None:
    path = tmp_path / "bad.xls"
    path.write_bytes(aborting_xls())
    code = (
        "import fastexcel, sys\n"
        "r = fastexcel.read_excel(sys.argv[1])\n"
        "r.load_sheet(0, header_row=None, dtypes='string').to_polars()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True)
    assert done.returncode < 0  # killed by a signal: nothing in-process could have caught it


def test_isolated_reader_refuses_the_crashing_file_and_reads_the_rest(tmp_path, ctx) -> None:
    (tmp_path / "青山村宣传台账(损坏).xls").write_bytes(aborting_xls())
    (tmp_path / "青山村宣传台账.csv").write_bytes(SEEDS["csv"])
    files = {f.relative_path: f for f in discover_files(tmp_path)}
    with IsolatedReader(workers=2) as reader:
        broken = reader.read(files["青山村宣传台账(损坏).xls"], ctx, 2**20, 2**22)
        good = reader.read(files["青山村宣传台账.csv"], ctx, 2**20, 2**22)
    assert (broken.status, broken.refusal_code) == ("refused", "reader_crashed")
    assert good.status == "loaded"
    assert good.rows_read == 2
