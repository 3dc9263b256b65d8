"""Command line: ``run`` builds a report, ``demo-data`` writes a demo inbox,
``templates`` writes blank templates for the villages, ``server`` starts the local
Prefect UI, ``serve`` runs the report nightly."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

from epireport.config import (
    ConfigError,
    check_run_date,
    load_config,
    load_county,
    resolve_villages,
)
from epireport.nightly import api_url, check_server, run_paths, serve
from epireport.server import (
    ServerNotStarted,
    ensure_crash_detection,
    run_server,
    start_temporary_server,
)
from epireport.settings import (
    PROJECT_ROOT,
    configure_prefect_environment,
    files_port,
    port_number,
    ui_port,
)

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
REREAD_HELP = "read every file again even when inbox, config and code are unchanged"


def _port(text: str) -> int:
    port = port_number(text)
    if port is None:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text}")
    return port


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from e


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="epireport", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", help="on an error, show the traceback and the run log's"
    )
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", help="print the run log too (it is always kept "
        "in OUT/logs/)",
    )  # fmt: skip

    run = commands.add_parser(
        "run", parents=[debug, verbose], help="build the report from an inbox of raw files"
    )
    run.add_argument("--inbox", type=Path, required=True, help="folder of raw village/clinic files")
    run.add_argument("--config", type=Path, required=True, help="township master-data YAML")
    run.add_argument("--out", type=Path, required=True, help="output root; runs go to OUT/<R>/")
    run.add_argument("--run-date", type=_date, default=None, help="as-of date (default: today)")
    run.add_argument("--reread", action="store_true", help=REREAD_HELP)
    run.add_argument(
        "--accept-fall",
        action="append",
        default=[],
        metavar="VILLAGE",
        help="a village whose sharp fall since the last report is checked and true (repeatable)",
    )

    check = commands.add_parser(
        "check",
        parents=[debug],
        help="read files as a run would, store nothing, and say what would be refused",
    )
    check.add_argument("files", type=Path, nargs="+", help="files or folders just received")
    check.add_argument("--config", type=Path, required=True, help="township master-data YAML")
    check.add_argument("--run-date", type=_date, default=None, help="as-of date (default: today)")

    templates = commands.add_parser(
        "templates", help="write blank Excel templates with validation, one per file kind"
    )
    templates.add_argument("outdir", type=Path, help="folder the templates are written to")
    templates.add_argument("--config", type=Path, required=True, help="township master-data YAML")
    templates.add_argument(
        "--village",
        action="append",
        default=[],
        metavar="VILLAGE",
        help="a village's own templates, its name filled in, in OUTDIR/VILLAGE/ (repeatable)",
    )
    templates.add_argument(
        "--all-villages", action="store_true", help="a set of its own for every village"
    )
    templates.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help="a file kind, by name (roster) or label (人口花名册), repeatable; default: every "
        "kind, or for a village the config's required_kinds",
    )

    demo = commands.add_parser("demo-data", help="write a realistic demo inbox")
    demo.add_argument("outdir", type=Path)
    demo.add_argument("--seed", type=int, default=2022)
    demo.add_argument("--persons", type=int, default=None, help="roster persons (scale)")
    demo.add_argument("--villages", type=int, default=None, help="villages (scale)")
    demo.add_argument("--config", type=Path, default=DEMO_CONFIG)
    demo.add_argument("--config-out", type=Path, default=None, help="write the matching config")
    demo.add_argument("--truth-out", type=Path, default=None, help="write expected figures (JSON)")

    serve = commands.add_parser(
        "serve", parents=[debug], help="run the report on the config's nightly schedule"
    )
    served = serve.add_mutually_exclusive_group(required=True)
    served.add_argument("--config", type=Path, help="township master-data YAML")
    served.add_argument(
        "--county", type=Path, help="county YAML: every township and the roll-up, nightly"
    )
    serve.add_argument("--inbox", type=Path, default=None, help="default: the config's paths.inbox")
    serve.add_argument("--out", type=Path, default=None, help="default: the config's paths.out")

    county = commands.add_parser(
        "county", parents=[debug], help="every township of a county file, and a roll-up"
    )
    county.add_argument("--inbox", type=Path, required=True, help="one sub-folder per township")
    county.add_argument("--config", type=Path, required=True, help="county YAML")
    county.add_argument("--out", type=Path, required=True, help="OUT/<code>/ per township")
    county.add_argument("--run-date", type=_date, default=None, help="as-of date (default: today)")
    county.add_argument(
        "--task-runner",
        choices=["processes", "threads", "dask"],
        default="processes",
        help="processes (default): two townships at once, each in a process of its own",
    )
    county.add_argument("--dask-address", default=None, help="an existing Dask scheduler")
    county.add_argument("--reread", action="store_true", help=REREAD_HELP)

    server = commands.add_parser(
        "server", help="start a local Prefect server and its UI, and serve the output folder"
    )
    server.add_argument("--port", type=_port, default=None, help="the UI's, on 127.0.0.1")
    server.add_argument(
        "--files-port", type=_port, default=None, help="the output folder's, on 127.0.0.1"
    )
    server.add_argument(
        "--out", type=Path, default=Path("output"), help="the output folder the links open"
    )
    return parser


class UserError(Exception):
    """Something the user can put right; the message is the one line they read."""


def _inbox_problem(inbox: Path) -> str | None:
    if inbox.is_file():
        return f"{inbox}：这是文件，不是文件夹；请用 --inbox 指定收件箱文件夹"
    if not inbox.is_dir():
        return f"{inbox}：收件箱文件夹不存在，请检查路径"
    return None


def _out_problem(out: Path) -> str | None:
    """An output path that is, or lies under, a file: the run could write nothing."""
    for folder in (out, *out.parents):
        if folder.exists():
            if folder.is_dir():
                return None
            return f"{folder}：这是文件，不是文件夹；请用 --out 指定一个输出文件夹"
    return None


def _check_paths(inbox: Path, out: Path) -> None:
    problem = _inbox_problem(inbox) or _out_problem(out)
    if problem:
        raise UserError(problem)


def _check_writable(out: Path) -> None:
    """Find a read-only or forbidden output folder now, not after the server's start-up;
    the OSError is turned into its one line by ``operational_message``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=out):
        pass


# DuckDB reports a file locked by another process as 'Could not set lock on file "P": … (PID N)'.
_DUCKDB_LOCK = re.compile(r'Could not set lock on file "(?P<path>[^"]+)".*?PID (?P<pid>\d+)', re.S)
_DUCKDB_PATH = re.compile(r'file "(?P<path>[^"]+)"')
_NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


def operational_message(error: BaseException, out: Path) -> str | None:
    """The one line a user reads for an error of the machine around the run, else None.

    Folders that cannot be written, a full disk, an output path that is a file, a DuckDB
    file held by another program: whatever stage meets them, the user reads the path and
    what to do, never the library's text. Anything else is a fault of ours (None).
    """
    import duckdb

    for cause in _causes(error):
        if isinstance(cause, OSError):
            return _os_message(cause.errno, cause.filename or out)
        if isinstance(cause, duckdb.Error):
            text = str(cause)
            if locked := _DUCKDB_LOCK.search(text):
                return (
                    f"{locked['path']}：数据库文件正被另一个程序（PID {locked['pid']}）使用；"
                    "请关闭该程序后重试"
                )
            found = _DUCKDB_PATH.search(text)
            path = found["path"] if found else out
            for number in (errno.ENOSPC, *_NOT_WRITABLE):
                if os.strerror(number) in text:
                    return _os_message(number, path)
    return None


def _os_message(number: int | None, path: object) -> str:
    if number == errno.ENOSPC:
        return f"{path}：磁盘空间已满；请腾出空间或换一个输出文件夹后重试"
    if number in _NOT_WRITABLE:
        return f"{path}：无法写入（只读或没有权限）；请换一个可写的输出文件夹，或请管理员开放写权限"
    if number in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return (
            f"{path}：文件和文件夹冲突（应为文件夹处是文件，或相反）；请检查 --out 指定的输出文件夹"
        )
    if number == errno.ENOENT:
        return f"{path}：找不到该文件或文件夹；请检查路径后重试"
    return f"{path}：读写出错（错误号 {number}）；请检查磁盘和路径后重试"


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it was raised from, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


class _WithoutTraceback(logging.Formatter):
    """Prefect's log line without the traceback Prefect attaches to a failed task or flow."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _run_log(log_file: Path, verbose: bool, debug: bool) -> None:
    """The run log goes to ``log_file`` (and to stdout with ``--verbose``), so that the
    console shows the outcome only; stderr keeps the one line of an error. No tracebacks
    unless ``--debug``. Call after Prefect is imported (it sets up logging)."""
    from prefect.logging.configuration import setup_logging
    from prefect.logging.handlers import PrefectConsoleHandler

    setup_logging()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, PrefectConsoleHandler)]:
        root.removeHandler(handler)
        formatter = handler.formatter if debug else _WithoutTraceback(handler.formatter)
        sinks: list[logging.Handler] = [logging.FileHandler(log_file, encoding="utf-8")]
        if verbose:
            sinks.append(logging.StreamHandler(sys.stdout))
        for sink in sinks:
            sink.setLevel(handler.level)
            sink.setFormatter(formatter)
            root.addHandler(sink)


def run_log_path(out: Path, name: str) -> Path:
    """One log file per run, beside the runs' folders."""
    return out / "logs" / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}.log"


def _run(args: argparse.Namespace) -> int:
    _check_paths(args.inbox, args.out)
    config = load_config(args.config)
    check_run_date(config, args.run_date or dt.date.today(), args.config)
    accept_falls = resolve_villages(config, args.accept_fall, "--accept-fall")
    _check_writable(args.out)
    configure_prefect_environment()
    server_ready = start_temporary_server()
    from flows.run_lock import RunLocked
    from flows.township_report import township_report
    from transforms.completeness import NoUsableData
    from transforms.masking import mask_text
    from transforms.quality import QualityGateFailed
    from transforms.quality_docs import QUALITY_PAGE, VERDICT_FILE

    log_file = run_log_path(args.out.resolve(), config.township.code)
    _run_log(log_file, args.verbose, args.debug)
    server_ready()
    try:
        report = township_report(
            inbox=args.inbox.resolve(),
            config_path=args.config.resolve(),
            out=args.out.resolve(),
            run_date=args.run_date,
            reread=args.reread,
            accept_falls=accept_falls,
        )
    except (QualityGateFailed, NoUsableData) as e:
        _error(f"报告未生成：{e}")
        _error(f"运行日志：{log_file}")
        return 3
    except RunLocked as e:
        _error(f"报告未生成：{e}")
        return 4
    verdict = (report.parent / VERDICT_FILE).read_text(encoding="utf-8").strip()
    print(mask_text(f"报告：{report}"))
    print(mask_text(f"数据质量：{verdict}；详见 {report.parent / QUALITY_PAGE}"))
    print(mask_text(f"运行日志：{log_file}"))
    return 0


def _county(args: argparse.Namespace) -> int:
    _check_paths(args.inbox, args.out)
    _, townships = load_county(args.config)
    for _, path, config in townships:
        check_run_date(config, args.run_date or dt.date.today(), path)
    _check_writable(args.out)
    configure_prefect_environment()
    server_ready = start_temporary_server()
    from flows.county_report import run_county
    from transforms.masking import mask_text

    log_file = run_log_path(args.out.resolve(), "county")
    _run_log(log_file, True, args.debug)
    server_ready()
    report = run_county(
        inbox=args.inbox.resolve(),
        config_path=args.config.resolve(),
        out=args.out.resolve(),
        run_date=args.run_date,
        task_runner=args.task_runner,
        dask_address=args.dask_address,
        reread=args.reread,
    )
    print(mask_text(f"全县汇总报告：{report}"))
    return 0


def _check(args: argparse.Namespace) -> int:
    """Exit 0 when every row of every file would load, 1 otherwise."""
    config = load_config(args.config)
    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        raise UserError(f"找不到文件：{'、'.join(missing)}；请检查路径")
    from transforms.instant_check import check_files, describe, given_files

    result = check_files(given_files(args.files), config, args.run_date or dt.date.today())
    outcome = describe(result, config)
    print("\n".join(outcome.lines))
    return 0 if outcome.all_load else 1


def _templates(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    from transforms.blank_templates import TemplatesNotWritten, resolve_kinds, write_templates
    from transforms.vocabulary import TEMPLATE_TEXTS

    if args.all_villages:
        villages = [v.name for v in config.villages]
    else:
        villages = list(dict.fromkeys(resolve_villages(config, args.village, "--village")))
    kinds = resolve_kinds(args.kind, config, for_village=bool(villages))
    try:
        written = write_templates(args.outdir, config, kinds, villages)
    except TemplatesNotWritten as e:
        raise UserError(str(e)) from e
    for path in written:
        print(TEMPLATE_TEXTS["written"].format(path=path))
    return 0


def _serve(args: argparse.Namespace) -> int:
    path = args.county or args.config
    config = load_county(path)[0] if args.county else load_config(path)
    inbox, out = run_paths(config, path, args.inbox, args.out)
    _check_paths(inbox, out)
    configure_prefect_environment()
    os.environ["PREFECT_API_URL"] = api_url()
    check_server(os.environ["PREFECT_API_URL"])
    ensure_crash_detection()
    _run_log(run_log_path(out, "serve"), True, args.debug)
    serve(config, path, inbox, out)
    return 0


def _error(text: str) -> None:
    """The one line a user reads on stderr; a message quoting a path or a library's words
    passes the personal-data mask first."""
    from transforms.masking import mask_text

    print(f"epireport：{mask_text(text)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except (ConfigError, UserError, ServerNotStarted) as e:
        _error(str(e))
        return 2
    except Exception as e:
        message = operational_message(e, getattr(args, "out", None) or Path.cwd())
        if message is None or getattr(args, "debug", False):
            raise
        _error(message)
        return 5


def _command(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "check":
        return _check(args)
    if args.command == "templates":
        return _templates(args)
    if args.command == "county":
        return _county(args)
    if args.command == "server":
        return run_server(args.port or ui_port(), args.files_port or files_port(), args.out)
    from epireport.demo import main_demo_data

    return main_demo_data(
        out_dir=args.outdir,
        seed=args.seed,
        persons=args.persons,
        villages=args.villages,
        config_path=args.config,
        config_out=args.config_out,
        truth_out=args.truth_out,
    )


if __name__ == "__main__":
    sys.exit(main())
