"""``fidelity reliability`` and ``fidelity report`` on a simulated audit of 5,000 sites.

``simulate_audit`` with its defaults (three informants per site, a third of the interviews
double-rated, half of those with a consensus sheet): 22,500 sheets. Each command runs in its
own process with its default options (1,000 bootstrap resamples), writing into a temporary
directory; its wall time, CPU time (user + system) and peak resident memory are reported with
the load average, since wall times on a shared machine move with the load.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.bench_cli import INSTRUMENT, _run

N_SITES = 5_000


def main() -> dict[str, Any]:
    import fidelity
    from fidelity.simulate import simulate_audit

    load_before = os.getloadavg()
    inst = fidelity.load_instrument(INSTRUMENT)
    figures: dict[str, Any] = {"sites": N_SITES}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.csv"
        audit = simulate_audit(inst, n_sites=N_SITES)
        audit.write_csv(path)
        figures["sheets"] = len(audit)
        fid = [sys.executable, "-m", "fidelity"]
        for command in ("reliability", "report"):
            figures[command] = _run([*fid, command, str(path), "-o", str(Path(tmp) / command)])
    figures["load_before"] = load_before
    figures["load_after"] = os.getloadavg()
    print(f"{N_SITES:,} sites, {figures['sheets']:,} sheets; load average before "
          f"{load_before}, after {figures['load_after']}")  # fmt: skip
    print(f"{'command':<14}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}{'exit':>6}")
    for command in ("reliability", "report"):
        f = figures[command]
        print(
            f"{command:<14}{f['wall_s']:8.2f}{f['cpu_s']:8.2f}{f['peak_rss_mb']:9.0f}{f['exit']:6d}"
        )
    return figures


if __name__ == "__main__":
    main()
