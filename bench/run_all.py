"""Run every benchmark in bench/ that exists (`make bench`); each writes its results to bench/results/.

Each runs in a process of its own, so one benchmark's memory and caches do not colour the next one's figures.
`--quick` asks each for its small run. The matching evaluation is `make eval`, not a benchmark.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# benchmark module -> its arguments for a quick run, which prints its figures and writes them only to a
# scratch directory ({scratch}): a quick run's small figures must not replace the full ones in
# bench/results; a module whose file is absent is skipped
BENCHMARKS: dict[str, list[str]] = {
    "bench.import_persons": ["--runs", "1", "--no-write"],
    "bench.incoming_import": ["--rows", "100000", "--output-dir", "{scratch}"],
    "bench.matcher_speed": ["--quick"],
    "bench.screening_api": ["--quick"],
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks one after another; return the worst exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's small run")
    args = parser.parse_args(argv)
    status = 0
    with tempfile.TemporaryDirectory(prefix="bench-quick-") as scratch:
        for module, quick_arguments in BENCHMARKS.items():
            if not (BENCH / f"{module.split('.')[-1]}.py").exists():
                print(f"[bench] {module}: not present, skipped", file=sys.stderr)
                continue
            extra = [a.format(scratch=scratch) for a in quick_arguments] if args.quick else []
            command = [sys.executable, "-m", module, *extra]
            print(f"[bench] {' '.join(command[1:])}", file=sys.stderr, flush=True)
            status = max(status, subprocess.run(command, cwd=BENCH.parent, check=False).returncode)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
