"""Command line: ``run`` builds a report, ``demo-data`` writes a demo inbox,
``server`` starts the local Prefect UI, ``serve`` runs the report nightly."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from epireport.config import ConfigError, load_config, load_county
from epireport.nightly import DEFAULT_PORT, run_paths, serve
from epireport.server import run_server
from epireport.settings import PROJECT_ROOT, configure_prefect_environment

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
REREAD_HELP = "read every file again even when inbox, config and code are unchanged"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from e


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="epireport", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="build the report from an inbox of raw files")
    run.add_argument("--inbox", type=Path, required=True, help="folder of raw village/clinic files")
    run.add_argument("--config", type=Path, required=True, help="township master-data YAML")
    run.add_argument("--out", type=Path, required=True, help="output root; runs go to OUT/<R>/")
    run.add_argument("--run-date", type=_date, default=None, help="as-of date (default: today)")
    run.add_argument("--reread", action="store_true", help=REREAD_HELP)

    demo = commands.add_parser("demo-data", help="write a realistic demo inbox")
    demo.add_argument("outdir", type=Path)
    demo.add_argument("--seed", type=int, default=2022)
    demo.add_argument("--persons", type=int, default=None, help="roster persons (scale)")
    demo.add_argument("--villages", type=int, default=None, help="villages (scale)")
    demo.add_argument("--config", type=Path, default=DEMO_CONFIG)
    demo.add_argument("--config-out", type=Path, default=None, help="write the matching config")
    demo.add_argument("--truth-out", type=Path, default=None, help="write expected figures (JSON)")

    serve = commands.add_parser("serve", help="run the report on the config's nightly schedule")
    serve.add_argument("--config", type=Path, required=True, help="township master-data YAML")
    serve.add_argument("--inbox", type=Path, default=None, help="default: the config's paths.inbox")
    serve.add_argument("--out", type=Path, default=None, help="default: the config's paths.out")

    county = commands.add_parser("county", help="every township of a county file, and a roll-up")
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

    server = commands.add_parser("server", help="start a local Prefect server and its UI")
    server.add_argument("--port", type=int, default=DEFAULT_PORT, help="on 127.0.0.1")
    return parser


def _run(args: argparse.Namespace) -> int:
    if not args.inbox.is_dir():
        print(f"epireport: inbox folder not found: {args.inbox}", file=sys.stderr)
        return 2
    load_config(args.config)
    configure_prefect_environment()
    from flows.run_lock import RunLocked
    from flows.township_report import township_report
    from transforms.quality import QualityGateFailed

    try:
        report = township_report(
            inbox=args.inbox.resolve(),
            config_path=args.config.resolve(),
            out=args.out.resolve(),
            run_date=args.run_date,
            reread=args.reread,
        )
    except QualityGateFailed as e:
        print(f"epireport: report not written: {e}", file=sys.stderr)
        return 3
    except RunLocked as e:
        print(f"epireport: report not written: {e}", file=sys.stderr)
        return 4
    print(f"Report: {report}")
    return 0


def _county(args: argparse.Namespace) -> int:
    if not args.inbox.is_dir():
        print(f"epireport: inbox folder not found: {args.inbox}", file=sys.stderr)
        return 2
    load_county(args.config)
    configure_prefect_environment()
    from flows.county_report import county_report

    report = county_report(
        inbox=args.inbox.resolve(),
        config_path=args.config.resolve(),
        out=args.out.resolve(),
        run_date=args.run_date,
        task_runner=args.task_runner,
        dask_address=args.dask_address,
        reread=args.reread,
    )
    print(f"County report: {report}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    inbox, out = run_paths(config, args.config, args.inbox, args.out)
    if not inbox.is_dir():
        print(f"epireport: inbox folder not found: {inbox}", file=sys.stderr)
        return 2
    configure_prefect_environment()
    serve(config, args.config, inbox, out)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "county":
            return _county(args)
        if args.command == "server":
            run_server(args.port)
            return 0
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
    except ConfigError as e:
        print(f"epireport: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
