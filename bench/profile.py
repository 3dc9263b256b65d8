"""Where a township run spends its time: one run under pyinstrument.

    .venv/bin/python -m bench.profile [--size township] [--reread]

Profiles a whole run in this process (imports included, Prefect temporary server or
PREFECT_API_URL) on a bench inbox (generate it first with `make bench` or `bench.run`),
and writes bench/profiles/<size>.txt and .html. The reads themselves run in worker
processes, which the profile shows as waiting on their results.
"""

from __future__ import annotations

import argparse
import datetime as dt

from epireport.settings import PROJECT_ROOT, configure_prefect_environment

DATA = PROJECT_ROOT / "bench" / ".data"
PROFILES = PROJECT_ROOT / "bench" / "profiles"
RUN_DATE = dt.date(2026, 11, 29)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="township", help="a township-flow size of bench.run")
    parser.add_argument("--reread", action="store_true", help="no stored load or cached check")
    args = parser.parse_args()
    folder = DATA / args.size
    if not (folder / "township.yaml").exists():
        parser.error(f"no township inbox under {folder}: run `make bench` first")
    configure_prefect_environment()

    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002)
    profiler.start()
    from flows.township_report import township_report

    state = township_report(
        inbox=folder / "inbox", config_path=folder / "township.yaml",
        out=folder / "profile-output", run_date=RUN_DATE, reread=args.reread,
        return_state=True,
    )  # fmt: skip
    profiler.stop()
    PROFILES.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=True, color=False)
    (PROFILES / f"{args.size}.txt").write_text(text, encoding="utf-8")
    (PROFILES / f"{args.size}.html").write_text(profiler.output_html(), encoding="utf-8")
    print(text)
    print(f"{state.type.value}; profile in {PROFILES / args.size}.txt and .html")


if __name__ == "__main__":
    main()
