"""Benchmarks: validation and loading against a plain polars read and `frictionless validate`.

    python benchmarks/run.py                 # sizes 1k, 10k, 100k, 1M rows per fact table
    python benchmarks/run.py --sizes 1000 10000 --repeats 3

Every measurement is a whole fresh process (median wall time of --repeats runs, peak RSS from
os.wait4), so imports count as users feel them. Writes BENCHMARKS.md. Not a test: numbers
depend on the machine; the targets are ratios measured in one run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PY = sys.executable


# Linux keeps a process's peak RSS across fork and exec, so a child of this (large) process
# would report our peak as its own: each command is started by this small launcher instead.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - start, "mb": usage.ru_maxrss / 1024, "exit": os.waitstatus_to_exitcode(status)}))
"""


def measure(cmd: list[str], repeats: int) -> dict:
    """Median wall seconds and max peak RSS (MB) of `cmd` over `repeats` fresh processes."""
    runs = [json.loads(subprocess.run([PY, "-c", LAUNCHER, *cmd], capture_output=True, text=True, check=True).stdout)
            for _ in range(repeats)]
    return {"seconds": statistics.median(r["seconds"] for r in runs), "mb": max(r["mb"] for r in runs),
            "exit": sorted({r["exit"] for r in runs})}


def polars_read(package: Path) -> list[str]:
    code = ("import polars as pl, pathlib, sys\n"
            "for p in sorted(pathlib.Path(sys.argv[1], 'data').glob('*.csv')): pl.read_csv(p, infer_schema=False)")
    return [PY, "-c", code, str(package)]


def table_size_mb(package: Path) -> float:
    """In-memory size of the typed tables, the basis of the memory target."""
    sys.path.insert(0, str(ROOT / "src"))
    from rare_earth_supply.validate import read_package
    from rare_earth_supply.read.package import open_package
    frames, _, _ = read_package(open_package(package))
    return sum(f.estimated_size("mb") for f in frames.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frictionless-max", type=int, default=100_000,
                        help="largest size frictionless is run at; above it, time is extrapolated linearly")
    parser.add_argument("--from-results", action="store_true", help="re-render BENCHMARKS.md from benchmarks/out/results.json")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.from_results:
        saved = json.loads((OUT / "results.json").read_text())
        (ROOT / "BENCHMARKS.md").write_text(report(saved["rows"], saved["bundled"], args, saved.get("date")))
        return
    rows = []
    for n in args.sizes:
        package = synthetic.build(n, OUT / f"n{n}")
        total_rows = sum(pl.scan_csv(p, infer_schema=False).select(pl.len()).collect().item() for p in (package / "data").glob("*.csv"))
        read = measure(polars_read(package), args.repeats)
        ours = measure([PY, "-m", "rare_earth_supply", "validate", str(package), "--format", "json"], args.repeats)
        row = {"rows_per_fact_table": n, "rows_total": total_rows, "polars_read": read, "validate": ours,
               "tables_mb": round(table_size_mb(package), 1)}
        if n <= args.frictionless_max:
            row["frictionless"] = measure([PY, "-m", "frictionless", "validate", "--type", "package",
                                           str(package / "datapackage.json")], 1)
        reserves = package / "data" / "reserves.csv"
        row["load"] = measure([PY, "-c", f"import rare_earth_supply as r; r.load('reserves', path={str(package)!r})"], args.repeats)
        row["read_reserves"] = measure([PY, "-c", f"import polars; polars.read_csv({str(reserves)!r})"], args.repeats)
        rows.append(row)
        print(json.dumps(row), flush=True)
    bundled = {"load": measure([PY, "-c", "import rare_earth_supply as r; r.load('reserves')"], max(5, args.repeats)),
               "read": measure([PY, "-c", "import polars, rare_earth_supply.package as p; "
                                "polars.read_csv(p.bundled_root() / 'data' / 'reserves.csv')"], max(5, args.repeats))}
    (OUT / "results.json").write_text(json.dumps({"rows": rows, "bundled": bundled, "date": time.strftime("%Y-%m-%d")}, indent=2))
    (ROOT / "BENCHMARKS.md").write_text(report(rows, bundled, args))
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


def _frictionless_seconds(rows: list[dict], row: dict) -> tuple[float | None, str]:
    if "frictionless" in row:
        return row["frictionless"]["seconds"], "measured"
    measured = [r for r in rows if "frictionless" in r]
    if len(measured) < 2:
        return None, "not run"
    a, b = measured[-2], measured[-1]
    per_row = (b["frictionless"]["seconds"] - a["frictionless"]["seconds"]) / (b["rows_total"] - a["rows_total"])
    return b["frictionless"]["seconds"] + per_row * (row["rows_total"] - b["rows_total"]), "extrapolated"


def targets(rows: list[dict], bundled: dict) -> list[str]:
    """The issue's targets, each met or missed, from the largest size measured."""
    big = rows[-1]
    fs, how = _frictionless_seconds(rows, big)
    checks = [
        ("full validation ≤ 4 × the plain polars read", big["validate"]["seconds"] / big["polars_read"]["seconds"], 4, "≤"),
        (f"≥ 20 × faster than frictionless ({how})", fs / big["validate"]["seconds"] if fs else float("nan"), 20, "≥"),
        ("peak memory of validation ≤ 3 × the tables in memory", big["validate"]["mb"] / big["tables_mb"], 3, "≤"),
        ("load('reserves') ≤ 1.5 × import polars + read_csv (bundled package)", bundled["load"]["seconds"] / bundled["read"]["seconds"], 1.5, "≤"),
    ]
    if len(rows) >= 2:
        a = rows[-2]
        growth = (big["validate"]["seconds"] / a["validate"]["seconds"]) / (big["rows_total"] / a["rows_total"]) * 10
        checks.append(("10 × the rows costs ≤ 12 × the time", growth, 12, "≤"))
    lines = [f"## Targets at {big['rows_per_fact_table']:,} rows per fact table", "", "| target | measured | |", "|---|---:|---|"]
    for name, value, bound, op in checks:
        met = value <= bound if op == "≤" else value >= bound
        lines.append(f"| {name} | {value:.1f}× | {'met' if met else 'missed'} |")
    return lines


def report(rows: list[dict], bundled: dict, args, date: str | None = None) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = ["# Benchmarks", "",
             f"Generated by `python benchmarks/run.py` ({date or time.strftime('%Y-%m-%d')}); every figure is a whole fresh process, "
             f"median of {args.repeats} runs (frictionless: one run), peak RSS from `wait4`.", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {mem:.0f} GiB; Python {platform.python_version()}, "
             f"polars {version('polars')}, pandera {version('pandera')}, frictionless {version('frictionless')}.", "",
             "The package is the real one plus N synthetic rows in each of the nine fact tables (see `benchmarks/synthetic.py`): "
             "all rules run and none fails.", "",
             "| rows per fact table | rows in all | polars read s | validate s | validate ÷ read | frictionless s | frictionless ÷ validate | polars read MB | validate MB | tables in memory MB | validate MB ÷ tables MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        fs, how = _frictionless_seconds(rows, r)
        f_cell = "—" if fs is None else f"{fs:.1f}" + (" (extrapolated)" if how == "extrapolated" else "")
        ratio = "—" if fs is None else f"{fs / r['validate']['seconds']:.1f}"
        lines.append(f"| {r['rows_per_fact_table']:,} | {r['rows_total']:,} | {r['polars_read']['seconds']:.2f} | "
                     f"{r['validate']['seconds']:.2f} | {r['validate']['seconds'] / r['polars_read']['seconds']:.1f} | {f_cell} | {ratio} | "
                     f"{r['polars_read']['mb']:.0f} | {r['validate']['mb']:.0f} | {r['tables_mb']:.0f} | "
                     f"{r['validate']['mb'] / max(r['tables_mb'], 1):.1f} |")
    lines += ["", "Loading one table in a fresh process (`load('reserves')` against `import polars; polars.read_csv(...)`):", "",
              "| package | load s | polars s | load ÷ polars |", "|---|---:|---:|---:|",
              f"| bundled (real data) | {bundled['load']['seconds']:.3f} | {bundled['read']['seconds']:.3f} | "
              f"{bundled['load']['seconds'] / bundled['read']['seconds']:.2f} |"]
    for r in rows:
        lines.append(f"| synthetic, {r['rows_per_fact_table']:,} rows | {r['load']['seconds']:.3f} | {r['read_reserves']['seconds']:.3f} | "
                     f"{r['load']['seconds'] / r['read_reserves']['seconds']:.2f} |")
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        growth = (b["validate"]["seconds"] / a["validate"]["seconds"]) / (b["rows_total"] / a["rows_total"]) * 10
        lines += ["", f"Scaling: from {a['rows_per_fact_table']:,} to {b['rows_per_fact_table']:,} rows per table, "
                  f"validation time grew {b['validate']['seconds'] / a['validate']['seconds']:.1f}× for "
                  f"{b['rows_total'] / a['rows_total']:.1f}× the rows ({growth:.1f}× per 10× rows)."]
    lines += [""] + targets(rows, bundled)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
