"""The double-rating workflow on a large simulated audit: consensus preparation, rater
calibration and the planning simulation.

No peer library offers these steps (pingouin, irr, irrCAC and krippendorff stop at the
coefficients), so the figures are absolute: seconds for an audit of ``N_SITES`` sites with
every interview double-rated and none yet agreed (consensus preparation), the same audit with
consensus sheets (calibration against them), and simulated audits per second for the planning
table with one and two processes.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks._timing import best_time

N_SITES = 400
INSTRUMENT = "enrich-peer-support@1.1.0"
PLAN_REPS = 40


def main() -> dict[str, Any]:
    import fidelity
    from fidelity.consensus import prepare_consensus
    from fidelity.planning import simulate_plan
    from fidelity.raters import calibrate
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument(INSTRUMENT)
    open_audit = simulate_audit(inst, N_SITES, double_rated=1.0, consensus=0.0, seed=1).sheets
    agreed = simulate_audit(inst, N_SITES, double_rated=1.0, consensus=1.0, seed=2).sheets
    t_consensus = best_time(lambda: prepare_consensus(inst, open_audit), budget=3, repeats=3)
    t_calibrate = best_time(lambda: calibrate(inst, agreed), budget=3, repeats=3)
    per_process = {}
    for processes in (1, 2):
        start = time.perf_counter()
        simulate_plan(inst, [24], [1 / 3, 0.5], n_reps=PLAN_REPS, processes=processes)
        per_process[processes] = 2 * PLAN_REPS / (time.perf_counter() - start)
    result = {
        "sheets_open": len(open_audit),
        "prepare_consensus_s": t_consensus,
        "sheets_agreed": len(agreed),
        "calibrate_s": t_calibrate,
        "plan_audits_per_s_1_process": per_process[1],
        "plan_audits_per_s_2_processes": per_process[2],
    }
    print(f"prepare_consensus: {len(open_audit)} sheets in {t_consensus:.3f} s")
    print(f"calibrate:         {len(agreed)} sheets in {t_calibrate:.3f} s")
    for processes, rate in per_process.items():
        print(f"simulate_plan:     {rate:.0f} audits/s with {processes} process(es)")
    return result


if __name__ == "__main__":
    main()
