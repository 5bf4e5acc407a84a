"""The command line against the library it wraps, at 10,000, 100,000 and 1,000,000 sheets.

One wide CSV of simulated ENRICH sheets per size (a quarter as many sites, a third of the
interviews double-rated). Each run is its own process, so that its peak memory (the child's
peak resident set, from ``os.wait4``) and its CPU time are its own:

* **library**: ``read_sheets`` → ``validate`` → ``score`` in a fresh Python. ``warm`` is the
  time of those three calls alone (imports and the instrument loaded before the clock
  starts): the figure the issue compares with; ``process`` is the whole process.
* **score CLI**: ``fidelity score FILE -o DIR -q``, every output it writes by default
  (four CSV tables, provenance.json, scores.json and the manifest), written atomically.
* **validate CLI**: ``fidelity validate FILE`` (problems to a file); the library side is
  ``read_sheets`` → ``validate`` and the problems as text.

Wall times on a shared machine move with the load of other processes, so the CPU time (user +
system) of each process is reported beside it and the ratios are given for both; the load
average is printed before and after. Sizes: ``FIDELITY_BENCH_SIZES=10000,100000``.
"""

from __future__ import annotations

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

_LIBRARY = """
import sys, time
import fidelity
from fidelity.ratings import read_sheets, validate
from fidelity.scoring import score
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


def _run(args: list[str], stdout: Any = subprocess.DEVNULL) -> dict[str, Any]:
    """Wall time, CPU time and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else usage.ru_maxrss / 1024
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": rss,
        "exit": proc.returncode,
    }


def _library(path: Path, work: str, tmp: Path) -> dict[str, Any]:
    script = tmp / "library.py"
    script.write_text(_LIBRARY.format(instrument=INSTRUMENT, work=work))
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
    lib_score = _library(path, _SCORE, tmp)
    cli_score = _run([*fid, "score", str(path), "-o", str(tmp / f"out-{n}"), "-q"])
    lib_validate = _library(path, _VALIDATE, tmp)
    with (tmp / "problems.txt").open("w") as fh:
        cli_validate = _run([*fid, "validate", str(path)], stdout=fh)
    out_mb = sum(f.stat().st_size for f in (tmp / f"out-{n}").iterdir()) / 1e6
    path.unlink()
    return {
        "sheets": n,
        "library_score": lib_score,
        "cli_score": cli_score,
        "library_validate": lib_validate,
        "cli_validate": cli_validate,
        "outputs_mb": round(out_mb, 1),
        "score_ratio_warm": cli_score["wall_s"] / lib_score["warm_s"],
        "score_ratio_process": cli_score["wall_s"] / lib_score["wall_s"],
        "score_ratio_cpu": cli_score["cpu_s"] / lib_score["cpu_s"],
        "validate_ratio_warm": cli_validate["wall_s"] / lib_validate["warm_s"],
        "validate_ratio_process": cli_validate["wall_s"] / lib_validate["wall_s"],
        "validate_ratio_cpu": cli_validate["cpu_s"] / lib_validate["cpu_s"],
    }


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
        f"{'sheets':>9} {'what':<17}{'warm s':>8}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}"
        f"{'ratio warm':>11}{'process':>9}{'cpu':>6}"
    )
    print(head)
    for r in rows:
        for what, key, ratio in (
            ("library score", "library_score", None),
            ("CLI score -o DIR", "cli_score", "score"),
            ("library validate", "library_validate", None),
            ("CLI validate", "cli_validate", "validate"),
        ):
            f = r[key]
            warm = f"{f['warm_s']:8.2f}" if "warm_s" in f else " " * 8
            ratios = (
                f"{r[f'{ratio}_ratio_warm']:11.2f}{r[f'{ratio}_ratio_process']:9.2f}"
                f"{r[f'{ratio}_ratio_cpu']:6.2f}"
                if ratio
                else ""
            )
            print(
                f"{r['sheets']:>9,} {what:<17}{warm}{f['wall_s']:8.2f}{f['cpu_s']:8.2f}"
                f"{f['peak_rss_mb']:9.0f}{ratios}"
            )
    return {"load_before": load_before, "load_after": load_after, "sizes": rows}


if __name__ == "__main__":
    main()
