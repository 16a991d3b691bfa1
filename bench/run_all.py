"""Run every benchmark in bench/ that exists (`make bench`); each writes its results to bench/results/."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# benchmark modules, in the order they run; a module not (yet) present is skipped, not an error
BENCHMARKS = ("bench.matcher_speed",)


def main(argv: Sequence[str] | None = None) -> int:
    """Run each benchmark's main() with the same arguments (e.g. --quick); return the worst exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    status = 0
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            print(f"[bench] {name}: not present, skipped", file=sys.stderr)
            continue
        print(f"[bench] {name}", file=sys.stderr, flush=True)
        status = max(status, int(module.main(arguments)))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
