"""Run every benchmark with one command: ``python -m benchmarks [NAME ...] [-- ARGS]``.

A benchmark is a module ``benchmarks/<name>_bench.py`` with a ``run`` (preferred) or
``main`` function that returns a dict of results. The function gets the ARGS after ``--``
as a list when it takes a parameter; an argparse ``main()`` that takes none sees them in
``sys.argv`` instead. Benchmarks run one after another (they would compete for the same
cores); one that fails is reported and the others still run. The combined results go to
``benchmarks/results/<UTC time>.json`` and ``latest.json`` (git-ignored), and a table of
every figure to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SUFFIX = "_bench"


def discover(folder: Path = HERE) -> list[str]:
    """Short names (`crawl` for crawl_bench.py) of the benchmark modules, sorted."""
    return sorted(p.stem.removesuffix(SUFFIX) for p in folder.glob(f"*{SUFFIX}.py"))


def entry_point(name: str) -> Callable[..., Any]:
    module = importlib.import_module(f"benchmarks.{name}{SUFFIX}")
    function = getattr(module, "run", None) or getattr(module, "main", None)
    if not callable(function):
        raise TypeError(f"benchmarks/{name}{SUFFIX}.py needs a run() or main() returning a dict.")
    return function  # type: ignore[no-any-return]


@contextmanager
def argv_for(program: str, args: Sequence[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = [program, *args]
    try:
        yield
    finally:
        sys.argv = saved


def call(function: Callable[..., Any], program: str, args: Sequence[str]) -> dict[str, Any]:
    """Call a benchmark's entry point with `args`, as a parameter or through sys.argv."""
    if inspect.signature(function).parameters:
        result = function(list(args))
    else:
        with argv_for(program, args):
            result = function()
    if not isinstance(result, dict):
        raise TypeError(
            f"{program} returned {type(result).__name__}, not a dict; "
            "make its run()/main() return its results."
        )
    return result


def run_all(names: Sequence[str], args: Sequence[str]) -> dict[str, Any]:
    """Run the named benchmarks in turn; a failure becomes an `error` entry, not an abort."""
    report: dict[str, Any] = {}
    for name in names:
        print(f"== {name} ...", flush=True)
        start = time.perf_counter()
        entry: dict[str, Any]
        try:
            entry = {"results": call(entry_point(name), f"benchmarks/{name}{SUFFIX}.py", args)}
        except (Exception, SystemExit) as error:
            traceback.print_exc()
            entry = {"error": f"{type(error).__name__}: {error}"}
        entry["seconds"] = round(time.perf_counter() - start, 1)
        report[name] = entry
    return report


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Nested results as (dotted key, value) rows."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, json.dumps(value) if isinstance(value, list | str | None) else str(value)


def table(report: dict[str, Any]) -> str:
    rows = [(name, *row) for name, entry in report.items() for row in flatten(entry)]
    widths = [max(len(row[i]) for row in rows) for i in range(2)] if rows else [0, 0]
    return "\n".join(
        f"{bench:<{widths[0]}}  {key:<{widths[1]}}  {value}" for bench, key, value in rows
    )


def write(report: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, default=str)
    path = folder / f"{report['started']:%Y%m%dT%H%M%SZ}.json"
    path.write_text(text)
    (folder / "latest.json").write_text(text)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    known = discover()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {known}")
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"no benchmark named {unknown}; choose from {known}.")
    started = datetime.now(UTC)
    benchmarks = run_all(args.names or known, extra)
    report = {"started": started, "machine": machine(), "args": extra, "benchmarks": benchmarks}
    path = write(report, args.results_dir)
    print(table(benchmarks))
    print(f"results: {path}")
    return 1 if any("error" in entry for entry in benchmarks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
