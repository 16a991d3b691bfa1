"""Writing a benchmark's results: the Markdown report and its JSON beside it in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(output_dir: Path, stem: str, markdown: str, data: Any) -> Path:
    """Write `<stem>.md` and `<stem>.json` into `output_dir`; returns the Markdown file's path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    report = output_dir / f"{stem}.md"
    report.write_text(markdown.rstrip("\n") + "\n", encoding="utf-8")
    (output_dir / f"{stem}.json").write_text(
        json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return report
