"""Errors of the machine around a run (paths, a read-only or full disk, a DuckDB file held
by another program): one line on stderr naming the path and what to do, a non-zero exit,
no traceback unless ``--debug``. Tests run as root, whom permission bits do not stop, so
read-only and full folders are real mounts (a read-only tmpfs, a tiny tmpfs)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DEMO_CONFIG, RUN_DATE
from pipeline import golden_inbox

from epireport.cli import main
from epireport.config import load_config
from epireport.settings import PROJECT_ROOT

SMALL = PROJECT_ROOT / "tests" / "golden" / "small_township"
SMALL_CONFIG = SMALL / "township.yaml"
FULL_WIDTH = ("，", "：", "；")


def assert_one_line(code: int, stderr: str, path: str, stdout: str = "") -> None:
    lines = stderr.strip().splitlines()
    assert code not in (0, None), stderr
    assert len(lines) == 1, stderr
    assert path in lines[0] and any(p in lines[0] for p in FULL_WIDTH)
    assert "Traceback" not in stderr + stdout


@contextlib.contextmanager
def tmpfs(target: Path, options: str) -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


def run_args(inbox: Path, out: Path, config: Path = DEMO_CONFIG) -> list[str]:
    return ["run", "--inbox", str(inbox), "--config", str(config), "--out", str(out)]


@pytest.mark.parametrize(
    ("case", "named"),
    [
        ("out_is_a_file", "out"),
        ("out_under_a_file", "out"),
        ("inbox_missing", "inbox"),
        ("inbox_is_a_file", "inbox"),
        ("config_is_a_folder", "config"),
    ],
)
def test_a_wrong_path_is_one_line_naming_it(tmp_path: Path, capsys, case: str, named: str):
    paths = {"inbox": tmp_path / "inbox", "out": tmp_path / "out", "config": DEMO_CONFIG}
    paths["inbox"].mkdir()
    if case == "out_is_a_file":
        paths["out"].write_text("x")
    elif case == "out_under_a_file":
        (tmp_path / "file").write_text("x")
        paths["out"] = tmp_path / "file" / "out"
    elif case == "inbox_missing":
        paths["inbox"] = tmp_path / "absent"
    elif case == "inbox_is_a_file":
        paths["inbox"] = tmp_path / "file.csv"
        paths["inbox"].write_text("x")
    else:
        paths["config"] = tmp_path / "config-folder"
        paths["config"].mkdir()
    code = main(run_args(paths["inbox"], paths["out"], paths["config"]))
    named_path = str(tmp_path / "file") if case == "out_under_a_file" else str(paths[named])
    assert_one_line(code, capsys.readouterr().err, named_path)


def test_a_read_only_output_folder_is_one_line_and_debug_shows_the_traceback(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "inbox").mkdir()
    with tmpfs(tmp_path / "readonly", "ro,size=1m") as readonly:
        for out in (readonly, readonly / "output"):
            code = main(run_args(tmp_path / "inbox", out))
            assert_one_line(code, capsys.readouterr().err, str(readonly))
        with pytest.raises(OSError):
            main([*run_args(tmp_path / "inbox", readonly), "--debug"])


def run_cli(args: list[str], api_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": api_url, "PYTHONPATH": str(PROJECT_ROOT)}
    env[load_config(SMALL_CONFIG).person_key_env] = "operational-errors"
    command = [sys.executable, "-m", "epireport.cli", *args, "--run-date", RUN_DATE.isoformat()]
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


@pytest.fixture()
def api_url(prefect_harness) -> str:
    """The test server's API: the runs below need a Prefect server, not one of their own."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def test_a_full_disk_is_one_line_naming_the_folder(tmp_path: Path, api_url: str) -> None:
    inbox = golden_inbox("small_township", tmp_path / "inbox")
    with tmpfs(tmp_path / "tiny", "size=512k") as tiny:
        done = run_cli([*run_args(inbox, tiny / "output", SMALL_CONFIG)], api_url, tmp_path)
        assert_one_line(done.returncode, done.stderr, str(tiny / "output"), done.stdout)
        assert "磁盘空间已满" in done.stderr
        assert not (tiny / "output" / "latest").exists()


def test_a_duckdb_file_held_by_another_program_is_one_line_naming_it(
    tmp_path: Path, api_url: str
) -> None:
    inbox, out = golden_inbox("small_township", tmp_path / "inbox"), tmp_path / "output"
    out.mkdir()
    db = out / f"{load_config(SMALL_CONFIG).township.code}.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        done = run_cli(run_args(inbox, out, SMALL_CONFIG), api_url, tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert_one_line(done.returncode, done.stderr, str(db), done.stdout)
    assert f"PID {holder.pid}" in done.stderr
    assert not (out / "latest").exists()
