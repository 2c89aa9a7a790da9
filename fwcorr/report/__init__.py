"""Case reports from a findings dict (CONTRACT.md `findings.json` shape).

`write_report(findings, out_dir)` writes, under `out_dir/report/`: index.html (case overview),
hosts/<safe-name>.html and hosts/<safe-name>.json per host, and findings.md. Optional extras
the renderer understands are listed in `fwcorr.report.model`; `extras` is merged on top of
`findings` (e.g. {"timeline": [...]} computed by the engine but not written to findings.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fwcorr.report.hostfiles import assign_names
from fwcorr.report.html import host_page, index_page
from fwcorr.report.markdown import findings_markdown
from fwcorr.report.model import build_hosts

__all__ = ["write_report"]


def write_report(
    findings: dict[str, Any], out_dir: Path, extras: dict[str, Any] | None = None
) -> Path:
    """Render the report; returns the path of report/index.html."""
    data = {**findings, **(extras or {})}
    root = Path(out_dir) / "report"
    hosts_dir = root / "hosts"
    hosts_dir.mkdir(parents=True, exist_ok=True)
    views = build_hosts(data)
    names = assign_names([v.host for v in views])
    for v in views:
        stem = names[v.host]
        (hosts_dir / f"{stem}.html").write_text(host_page(v, names), encoding="utf-8")
        (hosts_dir / f"{stem}.json").write_text(
            json.dumps(v.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    (root / "findings.md").write_text(findings_markdown(data, views), encoding="utf-8")
    index = root / "index.html"
    index.write_text(index_page(data, views, names), encoding="utf-8")
    return index
