"""Start-up benchmark: a cold `alignkg depends-on myopia --format json` against a baseline.

Each sample is a whole new Python process. The command and the baseline
(`python -c "import click, rdflib, networkx"`) run alternately so that both
see the same machine state; the medians and their ratio are printed. The
graph cache is warmed once first (as after any first run); a separate line
reports the first, cache-less run. Not a test: it prints, it does not assert.

    python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, str(ROOT / "cli.py"), "depends-on", "myopia", "--format", "json"]
BASELINE = [sys.executable, "-c", "import click, rdflib, networkx"]
#: the same question through the Python API (alignkg.load), and the bare package import
API = [sys.executable, "-c", "import alignkg; alignkg.load().depends_on('myopia').to_json()"]
IMPORT = [sys.executable, "-c", "import alignkg"]


def timed(argv, env) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ALIGNKG_CACHE_DIR": cache}
        timed(BASELINE, env)  # warm the OS file cache for the interpreter and libraries
        first = timed(COMMAND, env)  # builds the graph cache
        command, baseline, api, bare = [], [], [], []
        for _ in range(args.runs):
            command.append(timed(COMMAND, env))
            baseline.append(timed(BASELINE, env))
            api.append(timed(API, env))
            bare.append(timed(IMPORT, env))
    med_c, med_b = statistics.median(command), statistics.median(baseline)
    med_a, med_i = statistics.median(api), statistics.median(bare)
    print(f"baseline  import click, rdflib, networkx  median {med_b * 1000:7.1f} ms  ({args.runs} runs)")
    print(f"command   depends-on myopia --format json  median {med_c * 1000:7.1f} ms  ({args.runs} runs, warm graph cache)")
    print(f"first run without a graph cache                   {first * 1000:7.1f} ms  ({first / med_b:.2f}x baseline)")
    print(f"api       alignkg.load().depends_on(...)    median {med_a * 1000:7.1f} ms  ({med_a / med_b:.2f}x baseline)")
    print(f"import    import alignkg                     median {med_i * 1000:7.1f} ms  ({med_i / med_b:.2f}x baseline)")
    print(f"ratio command / baseline: {med_c / med_b:.2f}x  (target: at most 1.5x)")


if __name__ == "__main__":
    main()
