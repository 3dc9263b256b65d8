"""The read-only file server of the output folder: what it serves, how, and what it refuses.

The folder is laid out by the project's own ``publish_run`` (a cut-off folder that is a link
into ``.runs/``, ``latest``), with the database and lock a run leaves beside it, a file
outside the folder and a link that leads there. The server runs in this process on a free
port of 127.0.0.1; requests go over real HTTP, their paths sent as written (http.client).
"""

from __future__ import annotations

import http.client
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epireport.fileserver import folder_url, served_path, start_file_server
from transforms.publish import publish_run

CUTOFF = "2022-12-20"
FEEDBACK = "feedback/石门村.xlsx"
# The run's files, and the Content-Type each must be served with (written out by hand).
FILES: dict[str, tuple[bytes, str]] = {
    "report.txt": ("白沙镇人民政府关于疫情防控工作的报告\n".encode(), "text/plain; charset=utf-8"),
    "report.md": ("# 报告\n\n接种率91.32%。\n".encode(), "text/markdown; charset=utf-8"),
    "ingest_summary.csv": (
        "\ufeff文件,状态\r\n石门村.xlsx,已入库\r\n".encode(),
        "text/csv; charset=utf-8",
    ),
    "quality/index.html": (
        "<!DOCTYPE html><meta charset=utf-8><p>关键检查全部通过</p>".encode(),
        "text/html; charset=utf-8",
    ),
    "metrics.json": ('{"镇": "白沙镇"}\n'.encode(), "application/json; charset=utf-8"),
    "coverage_by_village.png": (b"\x89PNG\r\n\x1a\nnot-really", "image/png"),
    "report.docx": (
        b"PK\x03\x04docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    FEEDBACK: (
        b"PK\x03\x04xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


@dataclass(frozen=True)
class Served:
    root: Path
    port: int

    def request(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """One request with ``path`` sent as it stands (no client-side normalisation)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            connection.putheader("Content-Length", "0")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def quoted(name: str) -> str:
    return "/" + urllib.parse.quote(name)


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("files")
    root = base / "output"
    publish_run(root, CUTOFF, {name: data for name, (data, _) in FILES.items()})
    (root / "baisha.duckdb").write_bytes(b"DUCK")
    (root / ".epireport.lock").write_text("pid 1\n")
    (base / "outside.txt").write_text("not in the output folder\n")
    (root / "escape").symlink_to(base, target_is_directory=True)
    (root / "escape.txt").symlink_to(base / "outside.txt")
    return root


@pytest.fixture(scope="module")
def served(output: Path) -> Iterator[Served]:
    server: ThreadingHTTPServer = start_file_server(output, 0)
    try:
        assert server.server_address[0] == "127.0.0.1"
        yield Served(output, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", list(FILES))
def test_each_published_file_is_served_as_written_with_its_type(served: Served, name: str) -> None:
    data, content_type = FILES[name]
    status, headers, body = served.request(quoted(f"{CUTOFF}/{name}"))
    assert (status, headers["Content-Type"], body) == (200, content_type, data)
    assert headers["Content-Length"] == str(len(data))
    assert headers["Cache-Control"] == "no-cache"  # the same URL serves a rerun's file


def test_latest_and_the_published_folder_serve_the_same_file(served: Served) -> None:
    assert served.request("/latest/report.txt")[2] == FILES["report.txt"][0]


def test_office_documents_are_saved_under_their_own_name(served: Served) -> None:
    _, headers, _ = served.request(quoted(f"{CUTOFF}/{FEEDBACK}"))
    name = urllib.parse.quote("石门村.xlsx")
    assert headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{name}"
    _, text_headers, _ = served.request(quoted(f"{CUTOFF}/report.txt"))
    assert "Content-Disposition" not in text_headers


def test_head_answers_headers_only(served: Served) -> None:
    status, headers, body = served.request(quoted(f"{CUTOFF}/report.txt"), method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(FILES["report.txt"][0]))


@pytest.mark.parametrize(
    "path",
    [
        "/baisha.duckdb",  # the database: not a published file
        "/.epireport.lock",
        "/.runs/",
        "/%2eruns/",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        f"/{CUTOFF}/../../outside.txt",
        "/escape/outside.txt",  # a link leading out of the folder
        "/escape.txt",
        "/escape/",
        f"/{CUTOFF}/missing.txt",
        "/..%2foutside.txt",
        "/%00report.txt",
    ],
)
def test_nothing_outside_the_published_files_is_served(served: Served, path: str) -> None:
    status, headers, body = served.request(path)
    assert status == 404, path
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "没有这个文件" in body.decode("utf-8")
    assert b"not in the output folder" not in body and b"DUCK" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_it_is_read_only(served: Served, method: str) -> None:
    status, _, _ = served.request(quoted(f"{CUTOFF}/report.txt"), method=method)
    assert status == 501
    assert (served.root / CUTOFF / "report.txt").read_bytes() == FILES["report.txt"][0]


def test_a_folder_lists_its_folders_and_published_files_only(served: Served) -> None:
    status, headers, body = served.request("/")
    page = body.decode("utf-8")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert f'href="{CUTOFF}/"' in page and 'href="latest/"' in page
    assert "输出文件夹" in page
    for hidden in (".runs", ".epireport.lock", "baisha.duckdb", "escape.txt"):
        assert hidden not in page
    sub = served.request(quoted(f"{CUTOFF}/feedback/"))[2].decode("utf-8")
    assert f'href="{urllib.parse.quote("石门村.xlsx")}"' in sub and 'href="../"' in sub


def test_a_folder_without_its_slash_is_redirected(served: Served) -> None:
    status, headers, _ = served.request(f"/{CUTOFF}")
    assert (status, headers["Location"]) == (301, f"/{CUTOFF}/")


segment = st.one_of(
    st.sampled_from(["..", ".", ".runs", "%2e%2e", CUTOFF, "latest", "escape", "report.txt", ""]),
    st.text(max_size=12),
)


@given(st.lists(segment, max_size=6), st.sampled_from(["", "?x=1", "#top"]))
def test_any_request_path_resolves_inside_the_folder_or_to_nothing(
    output: Path, parts: list[str], tail: str
) -> None:
    """Whatever a request names, the answer lies under the output folder, is a folder or a
    published type, and no request naming a hidden name (``..``, ``.runs``) finds anything."""
    path = "/" + "/".join(parts) + tail
    found = served_path(output, path)
    named = urllib.parse.unquote(urllib.parse.urlsplit(path).path).split("/")
    if any(p.startswith(".") for p in named):
        assert found is None
    if found is not None:
        root = output.resolve()
        assert found == root or root in found.parents
        assert found.is_dir() or found.suffix in {".txt", ".md", ".csv", ".html", ".json",
                                                  ".png", ".docx", ".xlsx"}  # fmt: skip


def test_a_run_folder_under_the_served_folder_has_its_url(tmp_path: Path) -> None:
    served = {"url": "http://127.0.0.1:4301", "root": str(tmp_path / "output")}
    run = tmp_path / "output" / "baisha" / CUTOFF
    assert folder_url(run, served) == f"http://127.0.0.1:4301/baisha/{CUTOFF}/"
    assert folder_url(tmp_path / "elsewhere" / CUTOFF, served) is None
    assert folder_url(tmp_path / "output" / ".runs" / CUTOFF, served) is None


def test_without_a_record_the_output_folder_is_taken_as_served_on_the_configured_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EPIREPORT_FILES_PORT", "4777")
    run = tmp_path / "output" / "石门"
    assert folder_url(run, None) == "http://127.0.0.1:4777/%E7%9F%B3%E9%97%A8/"


def test_a_files_port_in_use_is_one_line_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before the Prefect server starts; the Prefect settings it sets are undone."""
    from epireport.config import ConfigError
    from epireport.server import run_server

    for name in ("PREFECT_SERVER_API_HOST", "PREFECT_SERVER_API_PORT"):
        monkeypatch.setenv(name, "restored after the test")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as refused:
            run_server(4999, port, tmp_path / "output")
    message = str(refused.value)
    assert message.startswith(f"127.0.0.1:{port} 端口已被占用；") and "\n" not in message
    assert "--files-port" in message
