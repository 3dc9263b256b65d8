"""Check that our templates copy no run of the example report's sentences.

The example report (beside the project, in shared/seed/) guides structure and register;
its sentences are not ours to copy. This is a check on how we write templates, not on
the product, so it runs by hand (`make seed-check SEED=path/to/seed.txt`), not in tests.

The seed file holds an outline, a line ``……``, then the report's body. Headings are
fixed by the spec and figures differ, so both are taken out before comparing.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# The longest run of characters the templates may share with the seed's body.
RUN_LENGTH = 20


def fold(text: str) -> str:
    """NFKC and no whitespace: full-width and half-width forms, line breaks never matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def template_prose(paths: Iterable[Path]) -> str:
    """Template text with Jinja tags and whitespace removed, as a reader would see it."""
    raw = "".join(p.read_text(encoding="utf-8") for p in sorted(paths))
    return fold(re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", raw, flags=re.DOTALL))


def copied_runs(seed_text: str, prose: str, length: int = RUN_LENGTH) -> set[str]:
    """Every run of ``length`` characters of the seed's body (headings and figures out)
    that also stands in ``prose``."""
    outline, _, body = seed_text.partition("\n……\n")
    headings = [line for line in outline.splitlines()[1:] if line.strip()]
    headings.append(body.strip().splitlines()[0])  # the title, fixed by the spec
    seed = fold(body)
    for heading in sorted(map(fold, headings), key=len, reverse=True):
        seed = seed.replace(heading, "\n")
    seed = re.sub(r"[\d*_]", "", seed)  # figures and the site's masks
    return {
        run
        for i in range(len(seed) - length + 1)
        if "\n" not in (run := seed[i : i + length]) and run in prose
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", type=Path, help="the example report, a UTF-8 text file")
    args = parser.parse_args(argv)
    if not args.seed.is_file():
        print(f"seed report not found: {args.seed}", file=sys.stderr)
        return 2
    copied = copied_runs(
        args.seed.read_text(encoding="utf-8"), template_prose(TEMPLATES.rglob("*.j2"))
    )
    for run in sorted(copied):
        print(run)
    print(f"{len(copied)} runs of {RUN_LENGTH} characters copied from the seed")
    return 1 if copied else 0


if __name__ == "__main__":
    sys.exit(main())
