"""Each student's status after their last grading ("ok", or what went wrong: a limit hit, a
notebook missing, ...), kept in <out>/status.json for the grade table."""
from __future__ import annotations

import json
from pathlib import Path

from .. import atomic

STATUS_FILE = "status.json"


def load_statuses(out_dir: Path) -> dict[str, str]:
    path = Path(out_dir) / STATUS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_statuses(out_dir: Path, statuses: dict[str, str]) -> None:
    """Merge the statuses of the students just graded into out_dir/status.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merged = {**load_statuses(out_dir), **statuses}
    atomic.write_bytes(out_dir / STATUS_FILE, json.dumps(merged, indent=1, sort_keys=True).encode())
