"""What a parser receives (context) and returns (result)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fwcorr.config import SiteConfig
from fwcorr.inputs import Source
from fwcorr.schema import CONNECTION, EXCERPT_CHARS, PORTPROXY_EVENT, REJECT, RULE_CHANGE, empty


@dataclass
class ParseContext:
    """Run-wide knowledge a parser may use: site config and command-line overrides."""

    config: SiteConfig = field(default_factory=SiteConfig)
    device_tz: dict[str, str] = field(default_factory=dict)  # --tz DEVICE=ZONE (normalised)
    host: str | None = None  # --host / --device override

    def zone_for_device(self, device: str | None) -> tuple[str | None, str | None]:
        """(zone, where it came from) for a firewall, from --tz then the site config."""
        if device and device in self.device_tz:
            return self.device_tz[device], "--tz"
        zone = self.config.device_zone(device)
        return (zone, "config") if zone else (None, None)

    def zone_for_host(self, host: str | None) -> tuple[str | None, str | None]:
        if host and host in self.device_tz:
            return self.device_tz[host], "--tz"
        zone = self.config.host_zone(host)
        return (zone, "config") if zone else (None, None)

    def host_for(self, source: Source) -> tuple[str | None, str]:
        """Who a file belongs to when its records don't say: option, config, folder name."""
        if self.host:
            return self.host, "option"
        folder = source.folder_host
        if folder:
            cfg = self.config.find_host(folder)
            if cfg is not None:
                return cfg.name, "config"
            if folder in self.config.devices:
                return folder, "config"
            return folder, "folder"
        return None, "unknown"


@dataclass
class ParseResult:
    """A parser's output for one file. Counts reconcile: records + non_records + rejected == units."""

    format: str
    units: int = 0  # physical lines, or events for event logs
    unit_kind: str = "lines"
    records: int = 0
    non_records: int = 0
    connections: pl.DataFrame = field(default_factory=lambda: empty(CONNECTION))
    rule_changes: pl.DataFrame = field(default_factory=lambda: empty(RULE_CHANGE))
    portproxy_events: pl.DataFrame = field(default_factory=lambda: empty(PORTPROXY_EVENT))
    rejects: pl.DataFrame = field(default_factory=lambda: empty(REJECT))
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # e.g. by_type counts, events_lost, host

    @property
    def rejected(self) -> int:
        return self.rejects.height


def reject_frame(path: str, rows: list[tuple[int, str, str]]) -> pl.DataFrame:
    """Build a REJECT frame from (line, reason, text) tuples (small lists only)."""
    return pl.DataFrame(
        {
            "path": [path] * len(rows),
            "line": [r[0] for r in rows],
            "reason": [r[1] for r in rows],
            "excerpt": [r[2][:EXCERPT_CHARS] for r in rows],
        },
        schema=REJECT,
    )


def reject_expr(path: str, line: pl.Expr, reason: pl.Expr, text: pl.Expr) -> list[pl.Expr]:
    """Column expressions that turn a frame of bad lines into REJECT rows."""
    return [
        pl.lit(path, pl.String).alias("path"),
        line.cast(pl.Int64).alias("line"),
        reason.cast(pl.String).alias("reason"),
        text.str.slice(0, EXCERPT_CHARS).alias("excerpt"),
    ]
