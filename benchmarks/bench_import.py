"""Start-up cost: `import nbsec` over `python -c pass`, and `%load_ext nbsec` in a live shell.

Goals from issue 2: import under 150 ms more than bare python; %load_ext under 200 ms.
Median of repeated fresh processes, so one slow start does not decide.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15


def _median_process_seconds(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


LOAD_EXT = """
import time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
t0 = time.perf_counter()
ip.run_line_magic('load_ext', 'nbsec')
print(time.perf_counter() - t0)
"""


def main() -> dict[str, object]:
    bare = _median_process_seconds("pass")
    with_nbsec = _median_process_seconds("import nbsec")
    load_ext = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", LOAD_EXT], check=True, capture_output=True, text=True)
        load_ext.append(float(out.stdout.strip().splitlines()[-1]))
    return {
        "python -c pass (median s)": round(bare, 4),
        "python -c 'import nbsec' (median s)": round(with_nbsec, 4),
        "import nbsec overhead (ms)": round((with_nbsec - bare) * 1000, 1),
        "%load_ext nbsec in a live shell (median ms)": round(statistics.median(load_ext) * 1000, 1),
        "runs": RUNS,
    }
