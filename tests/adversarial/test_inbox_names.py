"""What an inbox holds besides good files never stops discovery: names that are not UTF-8
(a Windows zip), links leaving the inbox, files gone before they are hashed, folders
that cannot be listed. Each is listed, under a readable name of its own, or refused."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transforms.discover import (
    FILE_VANISHED,
    FOLDER_UNREADABLE,
    LINK_OUTSIDE_INBOX,
    discover_files,
)

FIXTURES = [HealthCheck.function_scoped_fixture]


def _typed_every_day(codepoint: int) -> bool:
    try:
        chr(codepoint).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


# The 6763 hanzi of GB2312, what a clerk's keyboard gives. A short name of rarer characters
# (缇丂) can have GBK bytes that are also a plain UTF-8 name (羁@): no rule reads both back.
EVERYDAY_HAN = st.sampled_from([chr(c) for c in range(0x4E00, 0x9FA6) if _typed_every_day(c)])
NOBODY = 65534


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@settings(suppress_health_check=FIXTURES)
@given(
    stems=st.lists(
        st.text(EVERYDAY_HAN, min_size=1, max_size=8), min_size=1, max_size=6, unique=True
    )
)
@example(stems=["楦虫宫"])  # its GBK bytes are also UTF-8 for 鸳湬 (found by a sampling probe)
@example(stems=["一"])  # D2 BB, UTF-8 for Cyrillic һ
def test_gbk_names_are_listed_as_written(stems: list[str]) -> None:
    """Names written by a Chinese Windows (GBK bytes) read back as the clerk typed them."""
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder)
        for i, stem in enumerate(stems):
            raw = f"{stem}.xlsx".encode("gbk")
            (inbox / os.fsdecode(raw)).write_bytes(b"file %d" % i)
        files = discover_files(inbox)
    listed = {f.relative_path: f.sha256 for f in files}
    assert listed == {f"{s}.xlsx": sha256(b"file %d" % i) for i, s in enumerate(stems)}


@settings(suppress_health_check=FIXTURES)
@given(
    stems=st.lists(
        st.text(EVERYDAY_HAN, min_size=1, max_size=8), min_size=1, max_size=6, unique=True
    )
)
@example(stems=["涓枃"])  # the GBK mojibake of 中文's UTF-8 bytes, typed as a name itself
def test_utf8_names_are_listed_as_written(stems: list[str]) -> None:
    """A UTF-8 name of everyday characters is never taken for GBK, whatever its bytes."""
    with tempfile.TemporaryDirectory() as folder:
        for i, stem in enumerate(stems):
            (Path(folder) / f"{stem}.xlsx").write_bytes(b"file %d" % i)
        files = discover_files(Path(folder))
    listed = {f.relative_path: f.sha256 for f in files}
    assert listed == {f"{s}.xlsx": sha256(b"file %d" % i) for i, s in enumerate(stems)}


@settings(suppress_health_check=FIXTURES)
@given(
    names=st.lists(
        st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b),
        min_size=1,
        max_size=8,
        unique=True,
    ).filter(lambda ns: all(not n.startswith(b".") for n in ns))
)
def test_any_byte_name_is_listed_once_under_a_unique_valid_name(names: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inbox = os.fsencode(folder)
        for i, raw in enumerate(names):
            with open(os.path.join(inbox, raw), "wb") as fh:
                fh.write(b"content %d" % i)
        files = discover_files(Path(folder))
    assert len(files) == len(names)
    assert len({f.relative_path for f in files}) == len(names)  # every listing tells them apart
    for f in files:
        f.relative_path.encode("utf-8")  # valid text for CSV, DuckDB and logs: no surrogates
    assert sorted(f.sha256 for f in files) == sorted(
        sha256(b"content %d" % i) for i in range(len(names))
    )


def test_a_link_leaving_the_inbox_is_refused_and_one_inside_is_read(tmp_path: Path) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    (inbox / "村").mkdir(parents=True)
    outside.mkdir()
    (outside / "他人花名册.csv").write_bytes(b"secret")
    (inbox / "村" / "花名册.csv").write_bytes(b"ours")
    (inbox / "外链.csv").symlink_to(outside / "他人花名册.csv")
    (inbox / "外链文件夹").symlink_to(outside, target_is_directory=True)
    (inbox / "内链.csv").symlink_to(inbox / "村" / "花名册.csv")
    (inbox / "内链文件夹").symlink_to(inbox / "村", target_is_directory=True)
    (inbox / "村" / "回环").symlink_to(inbox, target_is_directory=True)  # a loop: listed once
    files = {f.relative_path: f for f in discover_files(inbox)}
    assert {k: (f.refusal_code, f.sha256) for k, f in files.items()} == {
        "外链.csv": (LINK_OUTSIDE_INBOX, ""),
        "外链文件夹": (LINK_OUTSIDE_INBOX, ""),
        "内链.csv": (None, sha256(b"ours")),
        "村/花名册.csv": (None, sha256(b"ours")),
    }


def test_files_that_vanish_while_listed_are_recorded_not_fatal(tmp_path: Path) -> None:
    """A second program empties the inbox while discovery runs: never an error; every
    file is either fingerprinted with its real content or recorded as gone."""
    inbox = tmp_path / "inbox"
    contents = {f"组{i:03d}/花名册{i}.csv": b"row %d\n" % i * 2000 for i in range(300)}
    for name, data in contents.items():
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_bytes(data)
    (inbox / "断链.csv").symlink_to(inbox / "已删除.csv")  # gone before discovery even began

    def remove() -> None:
        for name in sorted(contents, reverse=True):
            (inbox / name).unlink()

    remover = threading.Thread(target=remove)
    remover.start()
    try:
        files = discover_files(inbox)
    finally:
        remover.join()
    by_name = {f.relative_path: f for f in files}
    assert by_name.pop("断链.csv").refusal_code == FILE_VANISHED
    for name, f in by_name.items():
        if f.refusal_code is None:
            assert f.sha256 == sha256(contents[name])
        else:
            assert f.refusal_code == FILE_VANISHED and not (inbox / name).exists()


def _discover_as_nobody(inbox: Path) -> list[tuple[str, str | None]]:
    """Discovery in a forked child without root's right to read any folder."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, list, report, leave at once
        code = 1
        try:
            os.close(read)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            found = [f"{f.relative_path}\t{f.refusal_code}" for f in discover_files(inbox)]
            os.write(write, "\n".join(found).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        text = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return [tuple(line.split("\t")) for line in text.splitlines()]


def test_a_folder_that_cannot_be_listed_is_reported_and_the_rest_read() -> None:
    top = Path(tempfile.mkdtemp())  # not under pytest's root-only folder: nobody must enter
    try:
        top.chmod(0o755)
        (top / "锁住的组").mkdir()
        (top / "锁住的组" / "花名册.csv").write_bytes(b"x")
        (top / "花名册.csv").write_bytes(b"y")
        (top / "花名册.csv").chmod(0o644)
        (top / "锁住的组").chmod(0o700)
        assert sorted(_discover_as_nobody(top)) == [
            ("花名册.csv", "None"),
            ("锁住的组", FOLDER_UNREADABLE),
        ]
    finally:
        shutil.rmtree(top)
