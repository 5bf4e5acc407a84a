"""ICC, Krippendorff's alpha and the subject-level bootstrap, each against its peer.

Cases (all data seeded):

1. the six ICC forms on 10,000 subjects × 4 raters: ``fidelity.reliability.icc_table`` vs
   ``pingouin.intraclass_corr`` (given the long table it needs, built outside the timing);
2. Krippendorff's interval alpha on 10,000 × 4, integer values 1-5: vs the ``krippendorff``
   package (``krippendorff.alpha``, raters × units);
3. the same on continuous values (every value distinct). The peer's memory grows with the
   square of the number of distinct values, so it is run in a child process with an
   address-space cap (``RLIMIT_AS``) and a timeout, on 10,000 × 4 and on a ladder of smaller
   sizes; its outcome (time and peak RSS, or the error) is reported as measured;
4. a 1,000-resample percentile bootstrap CI of ICC(2,1) on 500 × 2: vectorised vs our own
   per-resample loop vs pingouin per resample (pingouin has no ICC bootstrap; its time for
   1,000 resamples is extrapolated from a timed run of 20 and marked so).

Times are the best of several repeats (``time.perf_counter``); ratio = peer time / our time.
Peak memory: ``tracemalloc`` peak of the call in this process (numpy allocations included),
and for child processes the peak resident set size (``VmHWM``, includes the interpreter;
the RSS before the call is shown beside it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._timing import best_time

SEED = 20_240
N, K = 10_000, 4
CHILD_MEMORY_CAP_GIB = 6
CHILD_TIMEOUT_S = 300


def _peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _continuous(n: int, k: int, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(1, 5, (n, 1)) * np.exp(rng.normal(0, 0.15, (n, k)))  # positive


def _integer(n: int, k: int, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, (n, 1))
    noise = rng.integers(-1, 2, (n, k)) * (rng.random((n, k)) < 0.4)
    return np.clip(truth + noise, 1, 5).astype(np.float64)


_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time, tracemalloc
    import numpy as np
    def hwm():  # peak RSS of this process image (ru_maxrss would include the parent's)
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cap = int(sys.argv[1]) * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    impl, n, k, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 5, (n, 1)) * np.exp(rng.normal(0, 0.15, (n, k)))
    out = {"impl": impl, "n": n, "k": k, "distinct_values": int(np.unique(x).size)}
    try:
        if impl == "krippendorff":
            import krippendorff
            def fn():
                return krippendorff.alpha(reliability_data=x.T, level_of_measurement="interval")
        else:
            from fidelity.reliability import krippendorff_alpha
            def fn():
                return krippendorff_alpha(x, "interval").value
        # warm up on tiny data so lazy imports are not timed
        x_small, x = x, rng.uniform(1, 5, (3, k))
        float(fn())
        x = x_small
        out["rss_before_mib"] = hwm()
        t = time.perf_counter()
        value = float(fn())
        out.update(status="ok", seconds=time.perf_counter() - t, value=value)
    except MemoryError as exc:
        out.update(status="MemoryError", error=repr(exc)[:200])
    except Exception as exc:  # report whatever the peer raises
        out.update(status=type(exc).__name__, error=repr(exc)[:200])
    out["max_rss_mib"] = hwm()
    print(json.dumps(out))
    """
)


def _child(impl: str, n: int, k: int) -> dict[str, Any]:
    cmd = [sys.executable, "-c", _CHILD, str(CHILD_MEMORY_CAP_GIB), impl, str(n), str(k),
           str(SEED)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"impl": impl, "n": n, "k": k, "status": f"timeout after {CHILD_TIMEOUT_S} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [""]
        status = f"process died (exit {proc.returncode})"
        return {"impl": impl, "n": n, "k": k, "status": status, "error": tail[0][:200]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _row(case: str, impl: str, seconds: float | None, peak: float | None, value: Any,
         note: str = "") -> dict[str, Any]:  # fmt: skip
    return {"case": case, "implementation": impl, "seconds": seconds, "peak_mib": peak,
            "value": value, "note": note}  # fmt: skip


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:9.2f} ms" if s < 1 else f"{s:9.2f} s "


def main() -> dict[str, Any]:
    import pandas as pd

    from fidelity import reliability as rel

    rows: list[dict[str, Any]] = []
    ratios: dict[str, float | None] = {}

    # 1. six ICC forms, 10,000 x 4 -------------------------------------------------------------
    x = _continuous(N, K)
    case = f"ICC, six forms, {N:,} x {K}"
    t_ours = best_time(lambda: rel.icc_table(x))
    ours = rel.icc_table(x)
    rows.append(_row(case, "fidelity icc_table", t_ours, _peak_mib(lambda: rel.icc_table(x)),
                     round(ours[1].value, 6), "ICC(2,1) shown"))  # fmt: skip
    try:
        import pingouin as pg

        long = pd.DataFrame(
            {"s": np.repeat(np.arange(N), K), "r": np.tile(np.arange(K), N), "y": x.reshape(-1)}
        )

        def peer() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pg.intraclass_corr(long, targets="s", raters="r", ratings="y")

        t_pg = best_time(peer, budget=10.0, repeats=2)
        ref = peer()
        rows.append(_row(case, "pingouin intraclass_corr", t_pg, _peak_mib(peer),
                         round(float(ref["ICC"].iloc[1]), 6)))  # fmt: skip
        ratios["icc_vs_pingouin"] = t_pg / t_ours
    except ImportError:
        ratios["icc_vs_pingouin"] = None

    # 2. interval alpha, integers 1-5 ------------------------------------------------------------
    xi = _integer(N, K)
    case = f"Krippendorff interval alpha, {N:,} x {K}, values 1-5"
    t_ours = best_time(lambda: rel.krippendorff_alpha(xi, "interval"))
    rows.append(_row(case, "fidelity", t_ours,
                     _peak_mib(lambda: rel.krippendorff_alpha(xi, "interval")),
                     round(rel.krippendorff_alpha(xi, "interval").value, 6)))  # fmt: skip
    try:
        import krippendorff

        def kpeer() -> float:
            return float(krippendorff.alpha(reliability_data=xi.T, level_of_measurement="interval"))

        t_k = best_time(kpeer)
        rows.append(_row(case, "krippendorff.alpha", t_k, _peak_mib(kpeer), round(kpeer(), 6)))
        ratios["alpha_discrete_vs_krippendorff"] = t_k / t_ours
    except ImportError:
        ratios["alpha_discrete_vs_krippendorff"] = None

    # 3. interval alpha, continuous ------------------------------------------------------------
    case = f"Krippendorff interval alpha, {N:,} x {K}, continuous"
    t_ours = best_time(lambda: rel.krippendorff_alpha(x, "interval"))
    rows.append(_row(case, "fidelity", t_ours,
                     _peak_mib(lambda: rel.krippendorff_alpha(x, "interval")),
                     round(rel.krippendorff_alpha(x, "interval").value, 6)))  # fmt: skip
    for level in ("ordinal", "ratio", "nominal"):
        t_lvl = best_time(lambda lv=level: rel.krippendorff_alpha(x, lv))  # type: ignore[misc]
        rows.append(_row(f"Krippendorff {level} alpha, {N:,} x {K}, continuous", "fidelity",
                         t_lvl, _peak_mib(lambda lv=level: rel.krippendorff_alpha(x, lv)),
                         round(rel.krippendorff_alpha(x, level).value, 6)))  # type: ignore[misc]  # fmt: skip
    children: list[dict[str, Any]] = []
    for n in (250, 500, 1000, 2000, N):
        for impl in ("fidelity", "krippendorff"):
            res = _child(impl, n, K)
            children.append(res)
            note = (f"child process, {res.get('distinct_values', '?')} distinct values, cap "
                    f"{CHILD_MEMORY_CAP_GIB} GiB; peak = max RSS (before call: "
                    f"{res.get('rss_before_mib', float('nan')):.0f} MiB)")  # fmt: skip
            if res.get("status") != "ok":
                note = f"{res.get('status')}: {res.get('error', '')}; " + note
            rows.append(_row(f"interval alpha, {n:,} x {K}, continuous (child)",
                             impl if impl == "fidelity" else "krippendorff.alpha",
                             res.get("seconds"), res.get("max_rss_mib"),
                             round(res["value"], 6) if "value" in res else None, note))  # fmt: skip
    peer_big = next(c for c in children if c["impl"] == "krippendorff" and c["n"] == N)
    ours_big = next(c for c in children if c["impl"] == "fidelity" and c["n"] == N)
    ratios["alpha_continuous_vs_krippendorff"] = (
        peer_big["seconds"] / ours_big["seconds"] if peer_big.get("status") == "ok" else None
    )

    # 4. bootstrap CI of ICC(2,1), 500 x 2, 1,000 resamples ------------------------------------
    xb = _continuous(500, 2)
    case = "bootstrap CI of ICC(2,1), 500 x 2, 1,000 resamples"

    def boot() -> Any:
        return rel.bootstrap(xb, "ICC(2,1)", n_resamples=1000, seed=1)

    t_ours = best_time(boot, budget=2.0, repeats=3)
    est = boot()
    rows.append(_row(case, "fidelity bootstrap (batched)", t_ours, _peak_mib(boot),
                     [round(v, 4) for v in est.ci or ()], "percentile CI"))  # fmt: skip

    def boot_loop() -> Any:
        return rel.bootstrap(xb, lambda m: rel.icc(m, "ICC(2,1)"), n_resamples=1000, seed=1)

    t_loop = best_time(boot_loop, budget=2.0, repeats=1)
    rows.append(_row(case, "fidelity, per-resample loop", t_loop, None,
                     [round(v, 4) for v in boot_loop().ci or ()]))  # fmt: skip
    ratios["bootstrap_batched_vs_loop"] = t_loop / t_ours
    try:
        import pingouin as pg

        rng = np.random.default_rng(1)
        idx = rng.integers(0, 500, (20, 500))
        longs = []
        for row in idx:
            m = xb[row]
            longs.append(pd.DataFrame({"s": np.repeat(np.arange(500), 2),
                                       "r": np.tile([0, 1], 500), "y": m.reshape(-1)}))  # fmt: skip

        def pg20() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for lg in longs:
                    pg.intraclass_corr(lg, targets="s", raters="r", ratings="y")

        start = time.perf_counter()
        pg20()
        t_pg = (time.perf_counter() - start) * 50
        rows.append(_row(case, "pingouin per resample", t_pg, None, None,
                         "extrapolated from 20 resamples x 50"))  # fmt: skip
        ratios["bootstrap_vs_pingouin_loop"] = t_pg / t_ours
    except ImportError:
        ratios["bootstrap_vs_pingouin_loop"] = None

    # report -------------------------------------------------------------------------------------
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  {'implementation':<30} {'time':>12} {'peak MiB':>9}  value / note")
    for r in rows:
        peak = "-" if r["peak_mib"] is None else f"{r['peak_mib']:9.1f}"
        print(f"{r['case']:<{width}}  {r['implementation']:<30} {_fmt_s(r['seconds']):>12} "
              f"{peak:>9}  {r['value']} {r['note']}")  # fmt: skip
    print("\nratios (peer time / our time):")
    for key, val in ratios.items():
        print(f"  {key:<36} {'n/a' if val is None else f'{val:,.0f}x'}")
    return {"rows": rows, "ratios": ratios, "children": children}


if __name__ == "__main__":
    main()
