"""The command line against the library it wraps, at 10,000, 100,000 and 1,000,000 sheets.

One wide CSV of simulated ENRICH sheets per size (a quarter as many sites, a third of the
interviews double-rated). Each run is its own process, so that its peak memory (the child's
peak resident set, from ``os.wait4`` in a small launcher process) and its CPU time are its own:

* **library**: ``read_sheets`` → ``validate`` → ``score`` in a fresh Python. ``warm`` is the
  time of those three calls alone (imports and the instrument loaded before the clock
  starts): the figure the issue compares with; ``process`` is the whole process.
* **score CLI**: ``fidelity score FILE -o DIR -q``, every output it writes by default
  (four CSV tables, provenance.json and the manifest), written atomically.
* **validate CLI**: ``fidelity validate FILE`` (problems to a file); the library side is
  ``read_sheets`` → ``validate`` and the problems as text.
* **reliability CLI**: ``fidelity reliability FILE -o DIR`` (the report printed, its tables
  and reliability.json written); the library side is ``read_sheets`` → ``validate`` →
  ``reliability_report`` with the command's defaults (1,000 bootstrap resamples). Run up to
  :data:`RELIABILITY_UP_TO` sheets (``FIDELITY_BENCH_RELIABILITY_UP_TO`` to change it).

Two ratios per command: **process** (the command's wall time over the library process's, both
whole processes with their imports: the honest comparison for a command line) and **warm**
(over the library calls alone). Wall times on a shared machine move with the load of other
processes, so the CPU time (user + system) of each process is reported beside it with its
ratio; the load average is printed before and after. Sizes:
``FIDELITY_BENCH_SIZES=10000,100000``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

INSTRUMENT = "enrich-peer-support@1.1.0"
SIZES = (10_000, 100_000, 1_000_000)
SEED = 20_240_601
RELIABILITY_UP_TO = 100_000
"""The largest size the reliability commands are run at (their bootstrap dominates)."""

_LIBRARY = """
import sys, time
import fidelity
from fidelity.ratings import read_sheets, validate
from fidelity.scoring import score
{imports}
inst = fidelity.load_instrument({instrument!r})
import pandas  # noqa: F401  (imported by the first read in any case)
start = time.perf_counter()
cpu = time.process_time()
batch = read_sheets(sys.argv[1])
problems = validate(inst, batch)
{work}
print(time.perf_counter() - start, time.process_time() - cpu)
"""
_SCORE = "result = score(inst, batch)"
_VALIDATE = "text = '\\n'.join(map(str, problems))"
_RELIABILITY = (
    "report = reliability_report(inst, batch, confidence=0.95, n_bootstrap=1000, seed=20240601)"
)
_IMPORTS = {_RELIABILITY: "from fidelity.report import reliability_report"}
"""What a library run imports beyond the reading, validating and scoring modules."""


_LAUNCHER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
               usage.ru_maxrss], fh)
"""
"""Runs one command and records its exit, CPU time and peak RSS. The child's ``ru_maxrss``
counts the memory of the process it was forked from, so the command is started from this small
launcher rather than from the benchmark, which holds the simulated audit."""


def _run(args: list[str], stdout: Any = subprocess.DEVNULL) -> dict[str, Any]:
    """Wall time, CPU time and peak RSS (MB) of one child process."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as record:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, record.name, *args],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        wall = time.perf_counter() - start
        code, cpu, maxrss = json.load(record)
    rss = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss, "exit": code}


def _library(path: Path, work: str, tmp: Path) -> dict[str, Any]:
    script = tmp / "library.py"
    imports = _IMPORTS.get(work, "")
    script.write_text(_LIBRARY.format(instrument=INSTRUMENT, work=work, imports=imports))
    out = tmp / "library.out"
    with out.open("w") as fh:
        figures = _run([sys.executable, str(script), str(path)], stdout=fh)
    warm, warm_cpu = (float(x) for x in out.read_text().split())
    return {**figures, "warm_s": warm, "warm_cpu_s": warm_cpu}


def _size(n: int, tmp: Path) -> dict[str, Any]:
    import fidelity
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument(INSTRUMENT)
    path = tmp / f"sheets-{n}.csv"
    simulate_audit(inst, n_sites=n // 4, double_rated=1 / 3, consensus=0.0, seed=SEED).write_csv(
        path
    )
    fid = [sys.executable, "-m", "fidelity"]
    runs: dict[str, Any] = {}
    runs["library_score"] = _library(path, _SCORE, tmp)
    runs["cli_score"] = _run([*fid, "score", str(path), "-o", str(tmp / f"out-{n}"), "-q"])
    out_mb = sum(f.stat().st_size for f in (tmp / f"out-{n}").iterdir()) / 1e6
    runs["library_validate"] = _library(path, _VALIDATE, tmp)
    with (tmp / "problems.txt").open("w") as fh:
        runs["cli_validate"] = _run([*fid, "validate", str(path)], stdout=fh)
    commands = ["score", "validate"]
    if n <= _reliability_up_to():
        runs["library_reliability"] = _library(path, _RELIABILITY, tmp)
        target = tmp / f"reliability-{n}"
        runs["cli_reliability"] = _run([*fid, "reliability", str(path), "-o", str(target)])
        commands.append("reliability")
    path.unlink()
    row: dict[str, Any] = {"sheets": n, **runs, "outputs_mb": round(out_mb, 1)}
    for c in commands:
        cli, lib = runs[f"cli_{c}"], runs[f"library_{c}"]
        row[f"{c}_ratio_warm"] = cli["wall_s"] / lib["warm_s"]
        row[f"{c}_ratio_process"] = cli["wall_s"] / lib["wall_s"]
        row[f"{c}_ratio_cpu"] = cli["cpu_s"] / lib["cpu_s"]
    return row


def _reliability_up_to() -> int:
    chosen = os.environ.get("FIDELITY_BENCH_RELIABILITY_UP_TO")
    return int(chosen) if chosen else RELIABILITY_UP_TO


def _sizes() -> tuple[int, ...]:
    chosen = os.environ.get("FIDELITY_BENCH_SIZES")
    return tuple(int(s) for s in chosen.split(",")) if chosen else SIZES


def main() -> dict[str, Any]:
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in _sizes():
            rows.append(_size(n, Path(tmp)))
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    head = (
        f"{'sheets':>9} {'what':<22}{'warm s':>8}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}"
        f"{'ratio process':>14}{'warm':>6}{'cpu':>6}"
    )
    print(head)
    for r in rows:
        for command in ("score", "validate", "reliability"):
            if f"cli_{command}" not in r:
                continue
            shown = f"{command} -o DIR" if command != "validate" else command
            for what, key, ratio in (
                (f"library {command}", f"library_{command}", False),
                (f"CLI {shown}", f"cli_{command}", True),
            ):
                f = r[key]
                warm = f"{f['warm_s']:8.2f}" if "warm_s" in f else " " * 8
                ratios = (
                    f"{r[f'{command}_ratio_process']:14.2f}{r[f'{command}_ratio_warm']:6.2f}"
                    f"{r[f'{command}_ratio_cpu']:6.2f}"
                    if ratio
                    else ""
                )
                print(
                    f"{r['sheets']:>9,} {what:<22}{warm}{f['wall_s']:8.2f}{f['cpu_s']:8.2f}"
                    f"{f['peak_rss_mb']:9.0f}{ratios}"
                )
    return {"load_before": load_before, "load_after": load_after, "sizes": rows}


if __name__ == "__main__":
    main()
