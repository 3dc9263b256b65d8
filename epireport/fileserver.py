"""The output folder over HTTP, read-only, on 127.0.0.1: the links of a run's artifacts open
through it, since a browser refuses ``file://`` links from a web page such as the Prefect UI.

``epireport server`` (``make ui``) starts it beside the Prefect server and records, as the
Prefect variable ``epireport_files``, its URL and the folder it serves; a run reads that to
make its links (``folder_url``). It serves the published files only: no hidden name (the
staging folders under ``.runs/``, locks), no database, nothing a link leads to outside the
folder, and only GET and HEAD.
"""

from __future__ import annotations

import html
import json
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

from epireport.settings import HOST, files_url
from transforms.vocabulary import FILES_TEXTS

FILES_VARIABLE = "epireport_files"
UTF8_TEXT = "; charset=utf-8"
# What is served, by suffix: the files a run publishes. Anything else answers 404.
CONTENT_TYPES: dict[str, str] = {
    ".txt": "text/plain" + UTF8_TEXT,
    ".md": "text/markdown" + UTF8_TEXT,
    ".csv": "text/csv" + UTF8_TEXT,
    ".html": "text/html" + UTF8_TEXT,
    ".json": "application/json" + UTF8_TEXT,
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Saved under their own name rather than shown: the browser cannot show them anyway.
DOWNLOADS = frozenset({".docx", ".xlsx"})


def served_path(root: Path, url_path: str) -> Path | None:
    """The file or folder under ``root`` that a request's path names, resolved; None for a
    hidden name (``.runs``, ``..``), a type not served, or a link leading out of ``root``."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    return _servable(root.resolve(), root.joinpath(*parts))


def _servable(base: Path, candidate: Path) -> Path | None:
    """``candidate`` resolved, if it is a folder or a served file inside ``base``."""
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real != base and base not in real.parents:
        return None
    if real.is_dir() or (real.is_file() and real.suffix.lower() in CONTENT_TYPES):
        return real
    return None


def listing_page(root: Path, url_path: str, folder: Path) -> str:
    """A folder's page: what of it is served (sub-folders and files), hidden names left out."""
    base = root.resolve()
    entries = sorted(
        (not p.is_dir(), p.name + "/" if p.is_dir() else p.name)
        for p in folder.iterdir()
        if not p.name.startswith(".") and _servable(base, p) is not None
    )  # folders first
    title = html.escape(FILES_TEXTS["page_title"].format(path=urllib.parse.unquote(url_path)))
    items = [] if url_path == "/" else [f'<li><a href="../">{FILES_TEXTS["parent"]}</a></li>']
    for _, shown in entries:
        items.append(f'<li><a href="{urllib.parse.quote(shown)}">{html.escape(shown)}</a></li>')
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n<ul>\n"
        + "\n".join(items)
        + "\n</ul></body></html>\n"
    )


class OutputFolderHandler(BaseHTTPRequestHandler):
    """GET and HEAD of ``served_path``; other methods answer 501 (BaseHTTPRequestHandler)."""

    server_version = "epireport-files"

    def __init__(self, *args: Any, root: Path, **kwargs: Any) -> None:
        self.root = root
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal of ``make ui`` is the Prefect server's."""

    def _answer(self, with_body: bool) -> None:
        url_path = urllib.parse.urlsplit(self.path).path
        target = served_path(self.root, url_path)
        if target is None:
            body = f"<!DOCTYPE html><meta charset=utf-8><p>{FILES_TEXTS['not_found']}</p>\n"
            self._send(HTTPStatus.NOT_FOUND, CONTENT_TYPES[".html"], body.encode(), with_body)
        elif target.is_dir() and not url_path.endswith("/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", url_path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif target.is_dir():
            page = listing_page(self.root, url_path, target).encode()
            self._send(HTTPStatus.OK, CONTENT_TYPES[".html"], page, with_body)
        else:
            self._send_file(target, with_body)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes, with_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def _send_file(self, path: Path, with_body: bool) -> None:
        suffix = path.suffix.lower()
        with path.open("rb") as fh:
            size = path.stat().st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", CONTENT_TYPES[suffix])
            self.send_header("Content-Length", str(size))
            # A run of the same cut-off replaces the file under the same URL.
            self.send_header("Cache-Control", "no-cache")
            if suffix in DOWNLOADS:
                name = urllib.parse.quote(path.name)
                self.send_header("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
            self.end_headers()
            if with_body:
                shutil.copyfileobj(fh, self.wfile)


def start_file_server(root: Path, port: int) -> ThreadingHTTPServer:
    """Serve ``root`` on 127.0.0.1:``port`` (0: any free port) from a thread of this process;
    ``shutdown()`` then ``server_close()`` stop it. A port in use raises OSError now."""

    def handler(*args: Any) -> OutputFolderHandler:
        return OutputFolderHandler(*args, root=root.resolve())

    server = ThreadingHTTPServer((HOST, port), handler)
    threading.Thread(target=server.serve_forever, name="epireport-files", daemon=True).start()
    return server


def record_served_folder(api_url: str, url: str, root: Path) -> bool:
    """Tell runs of this Prefect server where their files are served (the ``epireport_files``
    variable, created or updated); False when the server did not take it."""
    value = {"url": url, "root": str(root.resolve())}
    attempts = (
        ("PATCH", f"{api_url}/variables/name/{FILES_VARIABLE}", {"value": value}),
        ("POST", f"{api_url}/variables/", {"name": FILES_VARIABLE, "value": value}),
    )
    for method, address, payload in attempts:
        request = urllib.request.Request(
            address, data=json.dumps(payload).encode(), method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=5):
                return True
        except urllib.error.HTTPError as e:
            if e.code != HTTPStatus.NOT_FOUND:
                return False
        except OSError:
            return False
    return False


def folder_url(folder: Path, served: Mapping[str, Any] | None) -> str | None:
    """``folder``'s URL through the file server that ``served`` describes (its ``url`` and
    ``root``, as recorded by ``epireport server``), ending in ``/``; None when the folder lies
    outside what it serves. Without a record the default port, and the folder's parent (the
    output folder of a township run) taken for what a later ``make ui`` serves."""
    if served:
        base, root = str(served["url"]), Path(served["root"])
    else:
        base, root = files_url(), folder.parent
    try:
        relative = (folder.parent.resolve() / folder.name).relative_to(root.resolve())
    except ValueError:
        return None
    parts = PurePosixPath(relative.as_posix()).parts
    if any(p.startswith(".") for p in parts):
        return None
    return base.rstrip("/") + "/" + "".join(urllib.parse.quote(p) + "/" for p in parts)
