"""Hostile inputs answer in bounded time and memory.

Each case runs ``fidelity.validate`` in a fresh Python process (so that its peak RSS, from
``resource``, is its own) on a file written to a temporary directory:

* ``empty``: 100,000 wide-CSV sheets on ENRICH 1.1.0 with every item empty: 2,800,000
  unanswered-item warnings (FR105), kept aggregated (one block of arrays, not one object
  per warning); the list is also summarized with ``groups()``;
* ``wide``: a CSV header of 1,000,000 columns and one row (refused: FR005);
* ``long``: a long CSV naming 100,000 distinct item ids (refused: FR005).

Before the aggregation and the limits (measured on this machine, same cases): ``empty``
18.4 s and 1.14 GB in the library (the CLI: 33.7 s, 2.49 GB); ``wide`` and ``long`` were
still running after 180 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

INSTRUMENT = "enrich-peer-support@1.1.0"

_CHILD = r"""
import json, resource, sys, time
import fidelity
from fidelity.ratings import validate
inst = fidelity.load_instrument(sys.argv[2])
start = time.perf_counter()
problems = validate(inst, sys.argv[1])
groups = problems.groups()
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": round(seconds, 2),
    "problems": len(problems),
    "groups": len(groups),
    "codes": sorted({g.code for g in groups}),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
"""


def _write_cases(tmp: Path, item_ids: list[str]) -> dict[str, Path]:
    empty = tmp / "empty.csv"
    with empty.open("w") as fh:
        fh.write("instrument,assessment,rater,site," + ",".join(item_ids) + "\n")
        tail = "," * len(item_ids) + "\n"
        fh.writelines(f"{INSTRUMENT},A{k},r,s{tail}" for k in range(100_000))
    wide = tmp / "wide.csv"
    wide.write_text(
        "assessment,rater,"
        + ",".join(f"x{i}" for i in range(1_000_000))
        + "\nA,r"
        + "," * 1_000_000
        + "\n"
    )
    long = tmp / "long.csv"
    with long.open("w") as fh:
        fh.write("assessment,rater,item,value\n")
        fh.writelines(f"A,r,it{i},1\n" for i in range(100_000))
    return {"empty": empty, "wide": wide, "long": long}


def main() -> dict[str, object]:
    import fidelity

    inst = fidelity.load_instrument(INSTRUMENT)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = _write_cases(Path(tmp), [it.id for it in inst.items])
        for name, path in cases.items():
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path), INSTRUMENT],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            results[name] = json.loads(out.stdout)
            print(f"{name:6} {results[name]}")
    return results


if __name__ == "__main__":
    main()
