"""Benchmarks: validation against a plain polars read, a typed read with the same field checks,
and `frictionless validate` — every peer measured in the same run, never extrapolated.

    python benchmarks/run.py                       # the full run behind BENCHMARKS.md (about 20 minutes)
    python benchmarks/run.py --sizes 1000 10000 --repeats 1 --frictionless-rows 10000 --duplication 10 100

Every measurement is a whole fresh process (median wall time of --repeats runs, peak RSS from
os.wait4), so imports count as users feel them. Not a test: numbers depend on the machine; the
targets are ratios measured in one run on one machine.
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

# A plain read of every CSV, all cells as text: what any tool must pay to look at the data.
PLAIN_READ = """
import polars as pl, pathlib, sys
for p in sorted(pathlib.Path(sys.argv[1], 'data').glob('*.csv')): pl.read_csv(p, infer_schema=False)
"""
# Every table read and typed per its Table Schema and kept: the memory the tables really take.
TYPED_KEPT = """
import polars as pl, json, pathlib, sys
from rare_earth_supply.read.fieldtypes import DTYPES
root = pathlib.Path(sys.argv[1]); d = json.loads((root / 'datapackage.json').read_text())
kept = []
for r in d['resources']:
    s = json.loads((root / r['schema']).read_text())
    types = {f['name']: DTYPES[f.get('type', 'string')] if f.get('type', 'string') in ('string', 'integer', 'number', 'year') else pl.String
             for f in s['fields']}
    kept.append(pl.read_csv(root / r['path'], schema=types))
"""
# The floor while every cell is checked: each CSV read by polars as text, then one select per table
# that types every cell per its Table Schema and evaluates every field check (no structural scan).
FIELD_FLOOR = """
import sys, polars as pl
from rare_earth_supply.read.package import open_package
from rare_earth_supply.read.fieldtypes import parse
from rare_earth_supply.rules.fields import checks
package = open_package(sys.argv[1])
for name, schema in package.schemas().items():
    text = pl.read_csv(package.path(name), infer_schema=False)
    typed = text.select([parse(f).alias(f["name"]) for f in schema["fields"]])
    typed.select([(~c.ok).sum().alias(str(i)) for i, c in enumerate(checks(schema))])
"""


def measure(cmd: list[str], repeats: int) -> dict:
    """Median wall seconds and max peak RSS (MB) of `cmd` over `repeats` fresh processes."""
    runs = [json.loads(subprocess.run([PY, "-c", LAUNCHER, *cmd], capture_output=True, text=True, check=True).stdout)
            for _ in range(repeats)]
    return {"seconds": statistics.median(r["seconds"] for r in runs), "mb": max(r["mb"] for r in runs),
            "exit": sorted({r["exit"] for r in runs})}


def validate_cmd(package: Path) -> list[str]:
    return [PY, "-m", "rare_earth_supply", "validate", str(package), "--format", "json"]


def frictionless_cmd(package: Path) -> list[str]:
    return [PY, "-m", "frictionless", "validate", "--type", "package", str(package / "datapackage.json")]


def rows_in(package: Path) -> int:
    import polars as pl
    return sum(pl.scan_csv(p, infer_schema=False).select(pl.len()).collect().item() for p in (package / "data").glob("*.csv"))


def scaling(args) -> list[dict]:
    rows = []
    for n in args.sizes:
        package = synthetic.build(n, OUT / f"n{n}")
        row = {"rows_per_fact_table": n, "rows_total": rows_in(package),
               "polars_read": measure([PY, "-c", PLAIN_READ, str(package)], args.repeats),
               "field_floor": measure([PY, "-c", FIELD_FLOOR, str(package)], args.repeats),
               "typed_kept": measure([PY, "-c", TYPED_KEPT, str(package)], args.repeats),
               "validate": measure(validate_cmd(package), args.repeats)}
        reserves = package / "data" / "reserves.csv"
        row["load"] = measure([PY, "-c", f"import rare_earth_supply as r; r.load('reserves', path={str(package)!r})"], args.repeats)
        row["read_reserves"] = measure([PY, "-c", f"import polars; polars.read_csv({str(reserves)!r})"], args.repeats)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def versus_frictionless(args) -> list[dict]:
    """Our validation and frictionless on the same package: the real one with N synthetic rows in reserves."""
    rows = []
    for n in args.frictionless_rows:
        package = synthetic.build(n, OUT / f"one-table-{n}", tables=("reserves",))
        row = {"reserves_rows": n, "rows_total": rows_in(package), "validate": measure(validate_cmd(package), args.repeats),
               "frictionless": measure(frictionless_cmd(package), 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def duplication(args) -> list[dict]:
    """One subject repeated k times by two sources: the worst case for comparing figures pairwise."""
    rows = []
    for k in args.duplication:
        package = synthetic.repeated_subject(k, OUT / f"dup-{k}")
        row = {"copies": k, "validate": measure(validate_cmd(package), args.repeats)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


# Where validation spends its time: the per-table read and field checks (threads, as validate runs them),
# then each catalogue rule, timed in one process on one package.
PROFILE = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
from rare_earth_supply import validate as v
from rare_earth_supply.read.package import open_package
from rare_earth_supply.rules import CATALOGUE, Context
package = open_package(sys.argv[1]); schemas = package.schemas()
start = time.perf_counter()
with ThreadPoolExecutor() as pool:
    checked = list(pool.map(lambda n: v.check_table(n, package.path(n), schemas[n]), package.names))
phases = {"read, structure and field checks (all tables)": time.perf_counter() - start}
context = Context({n: f for n, (f, _) in zip(package.names, checked) if f is not None}, schemas)
for rule in CATALOGUE:
    if rule.check is not None:
        start = time.perf_counter(); rule.check(context); phases[rule.id] = time.perf_counter() - start
print(json.dumps(phases))
"""


def profile(package: Path) -> dict:
    """Seconds per phase of one validation of `package` (one process, so imports are not counted)."""
    done = subprocess.run([PY, "-c", PROFILE, str(package)], capture_output=True, text=True, check=True)
    return {"rows_per_fact_table": int(package.name.removeprefix("n")), "phases": json.loads(done.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--frictionless-rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--duplication", type=int, nargs="+", default=[10, 100, 1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--from-results", action="store_true", help="re-render BENCHMARKS.md from benchmarks/out/results.json")
    parser.add_argument("--profile-only", action="store_true",
                        help="only profile the largest synthetic package again, keeping the other saved results")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.from_results or args.profile_only:
        saved = json.loads((OUT / "results.json").read_text())
        if args.profile_only:
            largest = max(r["rows_per_fact_table"] for r in saved["scaling"])
            saved["profile"] = profile(OUT / f"n{largest}")
            (OUT / "results.json").write_text(json.dumps(saved, indent=2))
    else:
        saved = {"scaling": scaling(args), "frictionless": versus_frictionless(args), "duplication": duplication(args),
                 "bundled": {"load": measure([PY, "-c", "import rare_earth_supply as r; r.load('reserves')"], max(5, args.repeats)),
                             "read": measure([PY, "-c", "import polars, rare_earth_supply.read.package as p; "
                                              "polars.read_csv(p.bundled_root() / 'data' / 'reserves.csv')"], max(5, args.repeats))},
                 "date": time.strftime("%Y-%m-%d"), "repeats": args.repeats}
        saved["profile"] = profile(OUT / f"n{max(args.sizes)}")
        (OUT / "results.json").write_text(json.dumps(saved, indent=2))
    (ROOT / "BENCHMARKS.md").write_text(report(saved))
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}" if b else "—"


def targets(saved: dict) -> list[str]:
    """The targets of issue 13, each met or missed, from the largest sizes measured."""
    scale, fric, dup = saved["scaling"], saved["frictionless"], saved["duplication"]
    big = scale[-1]
    checks = [
        ("full validation ≤ 4 × the plain polars read", big["validate"]["seconds"] / big["polars_read"]["seconds"], 4, "≤"),
        ("peak memory ≤ 2 × the typed tables (RSS of a typed read that keeps them)", big["validate"]["mb"] / big["typed_kept"]["mb"], 2, "≤"),
        ("load('reserves') ≤ 1.5 × import polars + read_csv (bundled package)",
         saved["bundled"]["load"]["seconds"] / saved["bundled"]["read"]["seconds"], 1.5, "≤"),
    ]
    if fric:
        f = fric[-1]
        checks.insert(1, (f"frictionless ≥ 20 × slower, measured at {f['reserves_rows']:,} rows of one table",
                          f["frictionless"]["seconds"] / f["validate"]["seconds"], 20, "≥"))
    if len(scale) >= 2:
        a = scale[-2]
        growth = (big["validate"]["seconds"] / a["validate"]["seconds"]) / (big["rows_total"] / a["rows_total"]) * 10
        checks.append(("10 × the rows ≤ 10 × the time", growth, 10, "≤"))
    if len(dup) >= 3:
        base, a, b = dup[0], dup[-2], dup[-1]
        # below the run-to-run spread of the smaller runs, the time a few copies add is noise: divide by the spread then
        spread = max(r["validate"]["seconds"] for r in dup[:-1]) - min(r["validate"]["seconds"] for r in dup[:-1])
        added = max(a["validate"]["seconds"] - base["validate"]["seconds"], spread, 1e-9)
        extra = (b["validate"]["seconds"] - base["validate"]["seconds"]) / added
        checks.append((f"one subject repeated: the time added by {b['copies']:,} copies ÷ the time added by {a['copies']:,} "
                       f"(or, when larger, the spread of the runs up to {a['copies']:,} copies: {spread:.2f} s) "
                       f"(linear is {b['copies'] / a['copies']:.0f}, quadratic {(b['copies'] / a['copies']) ** 2:.0f})",
                       extra, 2 * b["copies"] / a["copies"], "≤"))
    lines = [f"## Targets at {big['rows_per_fact_table']:,} rows per fact table", "", "| target | measured | |", "|---|---:|---|"]
    for name, value, bound, op in checks:
        met = value <= bound if op == "≤" else value >= bound
        lines.append(f"| {name} | {value:.1f}× | {'met' if met else 'missed'} |")
    return lines


def report(saved: dict) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    scale = saved["scaling"]
    lines = ["# Benchmarks", "",
             f"Generated by `python benchmarks/run.py` ({saved['date']}); every figure is a whole fresh process, median of "
             f"{saved['repeats']} runs (frictionless: one run), peak RSS from `wait4`. Every ratio compares figures measured in this run.", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {mem:.0f} GiB; Python {platform.python_version()}, "
             f"polars {version('polars')}, frictionless {version('frictionless')}.", "",
             "The package is the real one plus N synthetic rows in each of the nine fact tables (see `benchmarks/synthetic.py`): "
             "all rules run and none fails. *Plain read*: every CSV read by polars as text. *Field floor*: the same files typed per "
             "their Table Schemas with every field check in one select — what checking each cell costs at least. *Typed tables*: "
             "the RSS of a process that reads every table typed and keeps them (the memory the tables take).", "",
             "| rows per fact table | rows in all | plain read s | field floor s | validate s | validate ÷ read | validate ÷ floor | typed tables MB | validate MB | validate ÷ tables |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in scale:
        lines.append(f"| {r['rows_per_fact_table']:,} | {r['rows_total']:,} | {r['polars_read']['seconds']:.2f} | {r['field_floor']['seconds']:.2f} | "
                     f"{r['validate']['seconds']:.2f} | {_ratio(r['validate']['seconds'], r['polars_read']['seconds'])} | "
                     f"{_ratio(r['validate']['seconds'], r['field_floor']['seconds'])} | {r['typed_kept']['mb']:.0f} | {r['validate']['mb']:.0f} | "
                     f"{_ratio(r['validate']['mb'], r['typed_kept']['mb'])} |")
    if len(scale) >= 2:
        a, b = scale[-2], scale[-1]
        lines += ["", f"Scaling: from {a['rows_per_fact_table']:,} to {b['rows_per_fact_table']:,} rows per table, validation time grew "
                  f"{b['validate']['seconds'] / a['validate']['seconds']:.1f}× for {b['rows_total'] / a['rows_total']:.1f}× the rows."]
    lines += ["", "## Against frictionless, on the same package", "",
              "The real package with N synthetic rows in `reserves` (the other tables real), validated by both tools in this run.", "",
              "| reserves rows | rows in all | validate s | frictionless s | frictionless ÷ validate | validate MB | frictionless MB |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in saved["frictionless"]:
        lines.append(f"| {r['reserves_rows']:,} | {r['rows_total']:,} | {r['validate']['seconds']:.2f} | {r['frictionless']['seconds']:.1f} | "
                     f"{_ratio(r['frictionless']['seconds'], r['validate']['seconds'])} | {r['validate']['mb']:.0f} | {r['frictionless']['mb']:.0f} |")
    lines += ["", "## One subject repeated", "",
              "The real package plus k copies of one U.S. reserve figure, alternating between two sources that disagree, so every "
              "copy is a conflict (the case that made pairwise comparison quadratic). Each row is reported once.", "",
              "| copies | validate s | validate MB |", "|---:|---:|---:|"]
    for r in saved["duplication"]:
        lines.append(f"| {r['copies']:,} | {r['validate']['seconds']:.2f} | {r['validate']['mb']:.0f} |")
    lines += ["", "## Loading one table in a fresh process", "",
              "`load('reserves')` against `import polars; polars.read_csv(...)`:", "",
              "| package | load s | polars s | load ÷ polars |", "|---|---:|---:|---:|",
              f"| bundled (real data) | {saved['bundled']['load']['seconds']:.3f} | {saved['bundled']['read']['seconds']:.3f} | "
              f"{_ratio(saved['bundled']['load']['seconds'], saved['bundled']['read']['seconds'])} |"]
    for r in scale:
        lines.append(f"| synthetic, {r['rows_per_fact_table']:,} rows | {r['load']['seconds']:.3f} | {r['read_reserves']['seconds']:.3f} | "
                     f"{_ratio(r['load']['seconds'], r['read_reserves']['seconds'])} |")
    lines += [""] + targets(saved)
    if "profile" in saved:
        phases = saved["profile"]["phases"]
        total = sum(phases.values())
        lines += ["", f"## Where the time goes at {saved['profile']['rows_per_fact_table']:,} rows per fact table", "",
                  "One validation timed phase by phase in one process (after imports; a separate run from the tables above). "
                  "Phases under 1% of the total are left out. The first consistency rule (sources-disagree) also hashes "
                  "every figure's subject, which the later ones (duplicate-figure among them) reuse.", "",
                  "| phase | s | share |", "|---|---:|---:|"]
        for name, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
            if seconds >= total / 100:
                lines.append(f"| {name} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
        lines.append(f"| all phases | {total:.2f} | 100% |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
