"""Asset map: which host owns which IP, from the site config, assets_csv and the evidence itself.

Public API: ``build_assets(config, connections=None, portproxy_events=None) -> Assets``.
``Assets.mappings`` is a frame (host, ip, source) listing every mapping with where it came from:
``config`` (hosts.<name>.ips), ``assets_csv <file>:<line>``, or an inference from evidence —
``host log <file>`` (the host's own firewall/Sysmon log: its outbound sources and inbound
destinations) and ``portproxy listenaddress <file>:<line>`` (a proxy bound to a specific address).
Config mappings win when an IP is claimed by several hosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fwcorr.config import SiteConfig
from fwcorr.netutil import ANY_ADDRESSES, canonical_ip, ip_key, networks_contain

MAPPING = pl.Schema({"host": pl.String, "ip": pl.String, "source": pl.String})
_NOT_HOST = ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3", "::/128", "::1/128")
_NOT_HOST6 = ("fe80::/10", "ff00::/8")
_RANK = {"config": 0, "assets_csv": 1}


@dataclass
class Assets:
    """Host <-> IP knowledge plus the site's internal networks."""

    mappings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MAPPING))
    internal_networks: list[str] = field(default_factory=list)

    def host_ips(self, host: str | None) -> list[str]:
        """All IPs known for a host (case-insensitive, FQDN short name accepted), sorted."""
        if not host:
            return []
        want = host.lower().split(".", 1)[0]
        frame = self.mappings.filter(
            pl.col("host").str.to_lowercase().str.split(".").list.first() == want
        )
        return sorted(set(frame.get_column("ip").to_list()))

    def host_for_ip(self, ip: str | None) -> str | None:
        """The host owning an IP (config before assets_csv before inferred)."""
        if not ip:
            return None
        rows = self.ip_host_frame().filter(pl.col("ip") == ip)
        return rows.item(0, "host") if rows.height else None

    def ip_host_frame(self) -> pl.DataFrame:
        """One row per IP: (ip, host), preferring config, then assets_csv, then inferred."""
        rank = pl.col("source").str.split(" ").list.first().replace_strict(_RANK, default=2)
        return (
            self.mappings.with_columns(rank.alias("_rank"))
            .sort("_rank", "host")
            .unique("ip", keep="first", maintain_order=True)
            .select("ip", "host")
            .sort("ip")
        )

    def host_ip_frame(self) -> pl.DataFrame:
        """Distinct (host, ip) pairs."""
        return self.mappings.select("host", "ip").unique().sort("host", "ip")

    def is_internal(self, expr: pl.Expr) -> pl.Expr:
        """Boolean expression: IP text column lies in the internal networks."""
        return networks_contain(expr, self.internal_networks)

    def is_external(self, expr: pl.Expr) -> pl.Expr:
        """A valid IP outside the internal networks (null/invalid text is not external)."""
        return ip_key(expr).is_not_null() & ~self.is_internal(expr)


def _config_rows(config: SiteConfig) -> list[dict[str, str]]:
    rows = []
    for name, host in config.hosts.items():
        for ip in host.ips:
            canon = canonical_ip(ip)
            if canon is None:
                continue
            source = config.asset_sources.get((name, ip), "config")
            rows.append({"host": name, "ip": canon, "source": source})
    return rows


def _host_log_rows(connections: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """A Windows host's own log: its outbound sources and inbound destinations are its IPs."""
    lf = connections.lazy().filter((pl.col("vendor") == "windows") & pl.col("device").is_not_null())
    own = pl.when(pl.col("direction") == "outbound").then(pl.col("src_ip"))
    own = own.when(pl.col("direction") == "inbound").then(pl.col("dst_ip"))
    noise = networks_contain(pl.col("ip"), list(_NOT_HOST + _NOT_HOST6))
    return (
        lf.select(pl.col("device").alias("host"), own.alias("ip"), "src_file")
        .filter(pl.col("ip").is_not_null() & ~pl.col("ip").str.ends_with(".255"))
        .filter(~noise)
        .group_by("host", "ip")
        .agg(pl.col("src_file").min())
        .select("host", "ip", (pl.lit("host log ") + pl.col("src_file")).alias("source"))
    )


def _listen_rows(events: pl.DataFrame) -> list[dict[str, str]]:
    rows = []
    specific = events.filter(
        pl.col("host").is_not_null()
        & pl.col("listen_address").is_not_null()
        & ~pl.col("listen_address").str.to_lowercase().is_in(list(ANY_ADDRESSES))
        & pl.col("valid").fill_null(True)
    )
    for host, addr, path, line in specific.select(
        "host", "listen_address", "src_file", "src_line"
    ).iter_rows():  # small: one row per portproxy event
        canon = canonical_ip(addr)
        if canon is None or canon.startswith("127.") or canon == "::1":
            continue
        rows.append({"host": host, "ip": canon, "source": f"portproxy listenaddress {path}:{line}"})
    return rows


def build_assets(
    config: SiteConfig,
    connections: pl.DataFrame | pl.LazyFrame | None = None,
    portproxy_events: pl.DataFrame | None = None,
) -> Assets:
    """Merge configured and inferred host/IP mappings; every row says where it came from."""
    parts = [pl.DataFrame(_config_rows(config), schema=MAPPING)]
    if portproxy_events is not None and portproxy_events.height:
        parts.append(pl.DataFrame(_listen_rows(portproxy_events), schema=MAPPING))
    if connections is not None:
        parts.append(_host_log_rows(connections).collect())
    merged = pl.concat(parts, how="vertical")
    names = {}  # inferred host names take the configured spelling (WS01.corp.local -> WS01)
    for name in merged.get_column("host").unique().to_list():
        known = config.find_host(name)
        names[name] = known.name if known else name
    merged = merged.with_columns(pl.col("host").replace_strict(names, return_dtype=pl.String))
    # Canonical text for inferred IPs too (small: one row per distinct host/IP pair).
    merged = merged.with_columns(
        pl.col("ip").map_elements(canonical_ip, return_dtype=pl.String)
    ).filter(pl.col("ip").is_not_null())
    merged = merged.unique(["host", "ip"], keep="first", maintain_order=True).sort(
        "host", "ip", "source"
    )
    return Assets(mappings=merged, internal_networks=list(config.internal_networks))
