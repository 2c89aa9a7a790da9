"""Rule-change triage: a severity and human-readable reasons for every normalized rule change.

Public API:
- ``triage(rule_changes, connections, portproxies, iocs, assets, config) -> pl.DataFrame``: the
  RULE_CHANGE columns plus ``severity`` (high|medium|low|info), ``reasons`` (list[str]),
  usage after the change (``first_use``, ``use_count``, ``distinct_external_sources``) and
  ``nearest_proxy`` / ``proxy_delta_s`` (port proxy created closest in time on a host the
  change exposes; positive = after the change). Sorted by ts, src_file, src_line.
- ``to_contract(frame) -> list[dict]``: the CONTRACT ``rule_changes`` rows (plus usage keys).

Rule changes are few (thousands), so their attributes are read per change in Python; every
lookup against connections (rule usage, untrusted traffic after an unlogged change) is a join.
Object details come from the parsers: ``attributes`` (name/old/new, e.g. FortiGate cfgattr
``srcintf``/``extip``/``mappedip``, Windows ``Action``/``Direction``/``LocalPorts``) and the
PAN-OS ``before``/``after`` configuration text (``from untrust; source any; ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from fwcorr.assets import Assets
from fwcorr.config import ChangeWindow, SiteConfig
from fwcorr.netutil import canonical_ip, cidr_intervals
from fwcorr.schema import RULE_CHANGE
from fwcorr.timez import iso_z

SEVERITIES = ("info", "low", "medium", "high")
DEFAULT_UNTRUSTED = frozenset(
    {"untrust", "untrusted", "outside", "external", "internet", "wan", "wan1", "wan2"}
)
FOLLOW_UP = timedelta(hours=24)  # untrusted traffic this soon after an unlogged rule change
PROXIMITY = timedelta(days=7)  # port proxy creation this close to a change is worth a reason

_SYN = {
    "src_zone": ("from", "srcintf", "source-zone", "src_zone", "from-zone", "srczone"),
    "dst_zone": ("to", "dstintf", "destination-zone", "dst_zone", "to-zone"),
    "source": ("source", "srcaddr", "src", "remoteaddresses", "remoteaddress", "source-address"),
    "destination": ("destination", "dstaddr", "dst", "destination-address"),
    "action": ("action",),
    "nat_ip": ("translated-address", "mappedip", "mapped-ip", "mappedaddr"),
    "nat_port": ("translated-port", "mappedport", "mapped-port"),
    "ext_ip": ("extip", "ext-ip"),
    "ext_port": ("extport", "ext-port"),
    "direction": ("direction",),
    "local_ports": ("localports", "localport", "local-ports"),
}
_ROUTINE = frozenset({"description", "comment", "comments", "tag", "uuid", "name", "remark"})
_ALLOW = frozenset({"allow", "accept", "permit", "3", "allow-bypass"})
_DENY = frozenset(
    {"deny", "drop", "block", "reject", "reset-client", "reset-server", "reset-both", "2"}
)
_INBOUND = frozenset({"in", "inbound", "1", "%%14592"})
_ANY = frozenset({"any", "all", "0.0.0.0/0", "::/0", "*"})
_CONF = re.compile(r"([A-Za-z][\w-]*)\s+(\[[^\]]*\]|[^;{}\[\]]+?)\s*;")
_CFGATTR = re.compile(r"([A-Za-z][\w-]*)\[([^\]]*)\]")


@dataclass
class Facts:
    """What a change says, normalised: new values, old values, and which keys changed."""

    new: dict[str, list[str]] = field(default_factory=dict)
    old: dict[str, list[str]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    detailed: bool = False

    def get(self, key: str, old: bool = False) -> list[str]:
        src = self.old if old else self.new
        return [v for name in _SYN.get(key, (key,)) for v in src.get(name, [])]


def _tokens(value: str | None) -> list[str]:
    if not value:
        return []
    text = value.replace("->", " ").strip().strip("[]")
    return [t.strip("\"'").lower() for t in re.split(r"[\s,]+", text) if t.strip("\"'")]


def _conf_facts(text: str | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in _CONF.findall(text or ""):
        out.setdefault(key.lower(), []).extend(_tokens(value))
    return out


def facts_of(row: dict[str, Any]) -> Facts:
    """Normalise attributes (name/old/new) and PAN-OS before/after text into key -> tokens."""
    facts = Facts()
    for attr in row.get("attributes") or []:
        name = str(attr.get("name") or "").lower()
        if not name:
            continue
        facts.new.setdefault(name, []).extend(_tokens(attr.get("new")))
        if attr.get("old") is not None:
            facts.old.setdefault(name, []).extend(_tokens(attr.get("old")))
            if attr.get("old") != attr.get("new"):
                facts.changed.add(name)
        else:
            facts.changed.add(name)
    raw = row.get("raw") or ""
    if not facts.new and "cfgattr=" in raw:
        attr_text = raw.split("cfgattr=", 1)[1].split('" ', 1)[0]
        for key, value in _CFGATTR.findall(attr_text):
            facts.new.setdefault(key.lower(), []).extend(_tokens(value))
            facts.changed.add(key.lower())
    after, before = _conf_facts(row.get("after")), _conf_facts(row.get("before"))
    for key, values in after.items():
        facts.new.setdefault(key, values)
    for key, values in before.items():
        facts.old.setdefault(key, values)
    if after and before:
        facts.changed |= {k for k in set(after) | set(before) if after.get(k) != before.get(k)}
    elif after:
        facts.changed |= set(after)
    facts.detailed = bool(facts.new or facts.old)
    return facts


@dataclass
class Findings:
    """Site knowledge the rules need: proxies, harvested ports and indicator IPs."""

    proxy_hosts: dict[str, str]  # ip -> proxy host
    harvested: set[tuple[str, int]]  # (ip, port) listen sides and connect targets
    listen_ports: dict[str, set[int]]  # host (lower) -> listen ports
    ioc_ips: set[str]
    proxies: list[dict[str, Any]]


def _findings(portproxies: pl.DataFrame, iocs: pl.DataFrame, assets: Assets) -> Findings:
    proxy_hosts: dict[str, str] = {}
    harvested: set[tuple[str, int]] = set()
    listen_ports: dict[str, set[int]] = {}
    proxies = []
    for p in portproxies.iter_rows(named=True):  # small: harvested proxies
        ips = {canonical_ip(i) for i in p.get("host_ips") or []} | set(assets.host_ips(p["host"]))
        ips.discard(None)
        for ip in ips:
            proxy_hosts[ip] = p["host"]
            if p["listen_port"] is not None:
                harvested.add((ip, p["listen_port"]))
        connect = canonical_ip(p["connect_address"])
        if connect and p["connect_port"] is not None:
            harvested.add((connect, p["connect_port"]))
        if p["listen_port"] is not None:
            listen_ports.setdefault(str(p["host"]).lower(), set()).add(p["listen_port"])
        label = str(p["proxy_id"])
        if str(p["host"]) not in label:  # harvester ids are hashes: say where it listens
            label += f" ({p['host']}, listen port {p['listen_port']})"
        proxies.append({"id": p["proxy_id"], "label": label, "ips": ips, "ts": p["first_seen"]})
    ioc_ips = set()
    for i in iocs.iter_rows(named=True):  # small: indicator list
        ip = canonical_ip(i.get("ip"))
        if ip:
            ioc_ips.add(ip)
            if i.get("port") is not None:
                harvested.add((ip, int(i["port"])))
    return Findings(proxy_hosts, harvested, listen_ports, ioc_ips, proxies)


@dataclass
class Net:
    """Internal network key spans and named objects (address/VIP name -> values) seen in changes."""

    spans: list[tuple[int, int]]
    objects: dict[str, list[str]] = field(default_factory=dict)
    dnat: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (device, ext) -> inner


def _internal(value: str, assets: Assets, net: Net, depth: int = 0) -> str | None:
    """An internal IP/CIDR/host/object named by a rule value (text), or None."""
    value = value.split("-", 1)[0] if canonical_ip(value.split("-", 1)[0]) else value  # a-b range
    ip = canonical_ip(value.split("/", 1)[0])
    if ip is None:
        if assets.host_ips(value):
            return value
        for member in net.objects.get(value.lower(), []) if depth < 3 else []:
            found = _internal(member, assets, net, depth + 1)
            if found:
                return found
        return None
    spans = cidr_intervals(value if "/" in value else f"{ip}/{128 if ':' in ip else 32}")
    if any(a <= s and e <= b for s, e in spans for a, b in net.spans):
        return ip if "/" not in value else value
    return None


def _objects(changes: pl.DataFrame) -> dict[str, list[str]]:
    """Address/VIP objects created or edited in the same evidence: name -> address values."""
    out: dict[str, list[str]] = {}
    named = changes.filter(
        pl.col("object_type").is_in(["address", "vip"]) & pl.col("object_name").is_not_null()
    )
    for row in named.iter_rows(named=True):  # small: object changes
        facts = facts_of(row)
        values = (
            facts.get("nat_ip") + facts.new.get("ip-netmask", []) + facts.new.get("subnet", [])[:1]
        )
        values += facts.new.get("member", [])
        if values:
            out.setdefault(str(row["object_name"]).lower(), []).extend(values)
    return out


def _dnat_map(
    changes: pl.DataFrame, connections: pl.LazyFrame, assets: Assets, net: Net
) -> dict[tuple[str, str], set[str]]:
    """(device, pre-NAT destination) -> internal targets, from NAT/VIP changes and from the
    destination NAT the device's own traffic logs show (distinct triples, one join)."""
    out: dict[tuple[str, str], set[str]] = {}
    nat = changes.filter(
        pl.col("object_type").is_in(["nat_rule", "vip"])
        & pl.col("operation").is_in(["add", "modify"])
    )
    for row in nat.iter_rows(named=True):  # small: NAT/VIP changes
        facts = facts_of(row)
        targets = {t for t in (_internal(v, assets, net) for v in facts.get("nat_ip")) if t}
        for ext in facts.get("destination") + facts.get("ext_ip"):
            if targets:
                out.setdefault((str(row["device"]), canonical_ip(ext) or ext), set()).update(
                    targets
                )
    seen = (
        connections.filter(
            pl.col("nat_dst_ip").is_not_null() & (pl.col("nat_dst_ip") != pl.col("dst_ip"))
        )
        .select("device", "dst_ip", "nat_dst_ip")
        .unique()
        .filter(assets.is_internal(pl.col("nat_dst_ip")))
        .collect()
    )
    for device, ext, inner in seen.iter_rows():  # distinct DNAT mappings
        out.setdefault((str(device), ext), set()).add(inner)
    return out


def _ports(values: list[str]) -> list[tuple[int, int]]:
    out = []
    for v in values:
        lo, _, hi = v.partition("-")
        if lo.isdigit():
            out.append((int(lo), int(hi) if hi.isdigit() else int(lo)))
    return out


def _in_window(ts: datetime, windows: list[ChangeWindow]) -> bool:
    for w in windows:
        if w.timezone[:1] in "+-":
            sign = 1 if w.timezone[0] == "+" else -1
            hours, minutes = map(int, w.timezone[1:].split(":"))
            tz: Any = timezone(sign * timedelta(hours=hours, minutes=minutes))
        else:
            tz = ZoneInfo(w.timezone)
        local = ts.astimezone(tz)
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        hhmm = local.strftime("%H:%M")
        inside = w.start <= hhmm <= w.end if w.start <= w.end else hhmm >= w.start or hhmm <= w.end
        if day in w.days and inside:
            return True
    return False


def _untrusted(device: str | None, config: SiteConfig) -> tuple[set[str], bool]:
    dev = config.devices.get(device or "")
    names = {z.lower() for z in (dev.untrusted_zones + dev.untrusted_interfaces)} if dev else set()
    return (names, True) if names else (set(DEFAULT_UNTRUSTED), False)


def _rate(
    row: dict[str, Any],
    facts: Facts,
    config: SiteConfig,
    assets: Assets,
    found: Findings,
    internal: Net,
) -> list[tuple[str, str]]:
    """(severity, reason) pairs for one change."""
    out: list[tuple[str, str]] = []
    otype, op = row["object_type"] or "other", row["operation"] or "other"
    device, name = row["device"], row["object_name"]
    untrusted, configured = _untrusted(device, config)
    zone_note = "" if configured else " (default untrusted zone names)"
    adding = op in ("add", "modify")

    def exposure(ip: str | None, port: int | None) -> str:
        if ip is None:
            return ""
        host = found.proxy_hosts.get(ip)
        text = f"; {ip} is port-proxy host {host}" if host else ""
        if port is not None and (ip, port) in found.harvested:
            text += f"; {ip}:{port} is a harvested port-proxy port"
        return text

    if otype == "security_rule" and adding:
        action = set(facts.get("action"))
        zones = set(facts.get("src_zone"))
        sources = set(facts.get("source"))
        dests = facts.get("destination")
        bad_zone = sorted(zones & untrusted)
        any_src = bool(sources & _ANY) and (not zones or bool(zones & (untrusted | _ANY)))
        inner, translated = [], []
        for d in dests:
            if d in _ANY or _internal(d, assets, internal):
                inner.append(d)
                continue
            # PAN-OS matches the pre-NAT destination: follow this device's destination NAT.
            ext = canonical_ip(d) or d
            targets = sorted(internal.dnat.get((str(device), ext), set()))
            if targets:
                inner.append(f"{d} (NAT to {', '.join(targets)})")
                translated += targets
        newly = (
            not facts.old
            or set(facts.get("src_zone", True)) != zones
            or set(facts.get("source", True)) != sources
            or set(facts.get("destination", True)) != set(dests)
            or set(facts.get("action", True)) != action
        )
        if action & _ALLOW and (bad_zone or any_src) and inner and newly:
            origin = f"untrusted zone {', '.join(bad_zone)}" if bad_zone else "any source"
            note = next((exposure(d, None) for d in [*inner, *translated] if exposure(d, None)), "")
            out.append(
                (
                    "high",
                    f"permits traffic from {origin}{zone_note} to internal "
                    f"{', '.join(inner)}{note}",
                )
            )
    if otype in ("nat_rule", "vip") and adding:
        ports = _ports(facts.get("nat_port")) or _ports(facts.get("ext_port"))
        port = ports[0][0] if ports else None
        for value in facts.get("nat_ip"):
            target = _internal(value, assets, internal)
            if target is None:
                continue
            ip = canonical_ip(value.split("/", 1)[0])
            ext = ", ".join(facts.get("ext_ip")) or ", ".join(facts.get("destination")) or "?"
            shown = f"{value}:{port}" if port is not None else value
            kind = "VIP" if otype == "vip" else "NAT rule"
            fwd = " (port forward)" if "enable" in facts.get("portforward") else ""
            out.append(("high", f"{kind}{fwd} maps {ext} to internal {shown}{exposure(ip, port)}"))
    if otype == "admin" and op == "add":
        out.append(("high", f"new admin account {name}"))
    client_ip = canonical_ip(row.get("client_ip"))
    if client_ip and not _internal(client_ip, assets, internal):
        out.append(("high", f"change made from external client IP {client_ip}"))
    dev = config.devices.get(device or "")
    if dev is not None and dev.perimeter and otype not in ("other",):
        if (
            config.change_windows
            and row["ts"] is not None
            and not _in_window(row["ts"], config.change_windows)
        ):
            out.append(("medium", "perimeter change outside the configured change windows"))
        admins = {a.lower() for a in config.admin_allowlist}
        if admins and (row.get("admin") or "").lower() not in admins:
            out.append(
                ("medium", f"perimeter change by {row.get('admin')!r}, not an allowlisted admin")
            )
    if otype == "security_rule" and op == "delete":
        old_action = set(facts.get("action", True)) | set(facts.get("action"))
        if old_action & _DENY:
            out.append(("medium", f"deny rule {name} deleted"))
    if otype == "host_firewall_rule" and adding:
        action = set(facts.get("action"))
        direction = set(facts.get("direction"))
        ports = _ports(facts.get("local_ports"))
        listening = found.listen_ports.get(str(device).lower(), set())
        hit = sorted(p for p in listening if any(a <= p <= b for a, b in ports))
        if action & _ALLOW and direction & _INBOUND and hit:
            out.append(
                (
                    "medium",
                    f"host firewall allows inbound on harvested listen port "
                    f"{', '.join(map(str, hit))} of {device}",
                )
            )
    if otype == "address" and adding and not facts.changed <= _ROUTINE:
        values = {canonical_ip(v.split("/", 1)[0]) for vs in facts.new.values() for v in vs}
        related = sorted(v for v in values if v and (v in found.proxy_hosts or v in found.ioc_ips))
        if related:
            out.append(
                (
                    "medium",
                    f"address object {name} includes {', '.join(related)} "
                    "(port-proxy host or indicator)",
                )
            )
        else:
            out.append(("low", "address object change unrelated to findings"))
    if (
        adding
        and facts.changed
        and facts.changed <= _ROUTINE
        and not any(s == "high" for s, _ in out)
    ):
        out.append(("low", f"routine edit ({', '.join(sorted(facts.changed))})"))
    return out


def _nat_keys(changes: pl.DataFrame) -> pl.DataFrame:
    """(change, device, pre-NAT destination, translated address) for NAT/VIP adds and edits."""
    rows = []
    nat = changes.filter(
        pl.col("object_type").is_in(["nat_rule", "vip"])
        & pl.col("operation").is_in(["add", "modify"])
    )
    for row in nat.iter_rows(named=True):  # small: NAT/VIP changes
        facts = facts_of(row)
        inner = [canonical_ip(v.split("-", 1)[0]) for v in facts.get("nat_ip")]
        outer = [canonical_ip(v) for v in facts.get("destination") + facts.get("ext_ip")]
        iport = next((a for a, _ in _ports(facts.get("nat_port"))), None)
        eport = next((a for a, _ in _ports(facts.get("ext_port"))), None)
        base = {"_idx": row["_idx"], "device": row["device"], "_cts": row["ts"]}
        rows += [
            base | {"_ext": e, "_int": i, "_eport": eport, "_iport": iport}
            for e in outer
            for i in inner
            if e and i
        ]
    schema = {
        "_idx": pl.UInt32,
        "device": pl.String,
        "_cts": pl.Datetime("us", "UTC"),
        "_ext": pl.String,
        "_int": pl.String,
        "_eport": pl.Int32,
        "_iport": pl.Int32,
    }
    return pl.DataFrame(rows, schema=schema)


def _usage(changes: pl.DataFrame, connections: pl.LazyFrame, assets: Assets) -> pl.DataFrame:
    """Sessions using each added/modified rule afterwards, on the same device: by rule name or
    id (security rules, FortiGate policy ids) and, for NAT rules and VIPs, by the destination
    translation they define (pre-NAT destination -> translated address)."""
    keys = changes.filter(
        pl.col("object_type").is_in(["security_rule", "nat_rule"])
        & pl.col("operation").is_in(["add", "modify"])
        & pl.col("object_name").is_not_null()
    ).select("_idx", "device", pl.col("object_name").alias("_rule"), pl.col("ts").alias("_cts"))
    conns = connections.with_row_index("_c").select(
        "_c",
        "device",
        "rule",
        "rule_id",
        "ts",
        "src_ip",
        "dst_ip",
        "dst_port",
        "nat_dst_ip",
        "nat_dst_port",
        (pl.col("bytes_out").fill_null(0) + pl.col("bytes_in").fill_null(0)).alias("_bytes"),
    )
    out = ["_idx", "_c", "ts", "src_ip", "_cts", "_bytes"]
    parts = [
        conns.join(keys.lazy(), left_on=["device", col], right_on=["device", "_rule"]).select(out)
        for col in ("rule", "rule_id")
    ]
    nat = _nat_keys(changes)
    if nat.height:
        parts.append(
            conns.join(
                nat.lazy(),
                left_on=["device", "dst_ip", "nat_dst_ip"],
                right_on=["device", "_ext", "_int"],
            )
            .filter(
                (pl.col("_iport").is_null() | (pl.col("nat_dst_port") == pl.col("_iport")))
                & (pl.col("_eport").is_null() | (pl.col("dst_port") == pl.col("_eport")))
            )
            .select(out)
        )
    return (
        pl.concat(parts, how="vertical")
        .filter(pl.col("ts") >= pl.col("_cts"))
        .unique(["_idx", "_c"])
        .group_by("_idx")
        .agg(
            pl.col("ts").min().alias("first_use"),
            pl.col("ts").max().alias("last_use"),
            pl.len().cast(pl.Int64).alias("use_count"),
            pl.col("_bytes").sum().cast(pl.Int64).alias("use_bytes"),
            pl.col("src_ip")
            .filter(assets.is_external(pl.col("src_ip")))
            .unique()
            .sort()
            .head(8)
            .alias("external_sources"),
            pl.col("src_ip")
            .filter(assets.is_external(pl.col("src_ip")))
            .n_unique()
            .cast(pl.Int64)
            .alias("distinct_external_sources"),
        )
        .collect()
    )


def _follow_up(
    changes: pl.DataFrame,
    connections: pl.LazyFrame,
    config: SiteConfig,
    found: Findings,
    assets: Assets,
) -> dict[int, tuple[int, int]]:
    """For unlogged security-rule changes: untrusted->internal sessions (count, to proxy/harvested)."""
    rows = []
    for r in changes.iter_rows(named=True):
        if r["_unlogged"]:
            zones, _ = _untrusted(r["device"], config)
            rows.extend(
                {"_idx": r["_idx"], "device": r["device"], "_z": z, "_cts": r["ts"]}
                for z in sorted(zones)
            )
    if not rows:
        return {}
    keys = pl.DataFrame(rows, schema_overrides={"_cts": pl.Datetime("us", "UTC")}).lazy()
    harvested = pl.DataFrame(
        [{"_h": f"{ip}|{port}"} for ip, port in sorted(found.harvested)], schema={"_h": pl.String}
    )
    dst = pl.coalesce("nat_dst_ip", "dst_ip")
    port = pl.coalesce("nat_dst_port", "dst_port")
    conns = connections.filter(pl.col("action") == "allow").with_columns(
        dst.alias("_dst"), pl.format("{}|{}", dst, port).alias("_h")
    )
    hits = [
        conns.with_columns(pl.col(c).str.to_lowercase().alias("_z")).join(keys, on=["device", "_z"])
        for c in ("src_zone", "src_intf")
    ]
    result = (
        pl.concat(
            [h.select("_idx", "_cts", "ts", "_dst", "_h", "src_file", "src_line") for h in hits]
        )
        .unique()
        .filter((pl.col("ts") >= pl.col("_cts")) & (pl.col("ts") <= pl.col("_cts") + FOLLOW_UP))
        .filter(assets.is_internal(pl.col("_dst")))
        .with_columns(
            (
                pl.col("_dst").is_in(sorted(found.proxy_hosts))
                | pl.col("_h").is_in(harvested.get_column("_h").to_list())
            ).alias("_proxy")
        )
        .group_by("_idx")
        .agg(pl.len().alias("n"), pl.col("_proxy").sum().alias("p"))
        .collect()
    )
    return {r["_idx"]: (int(r["n"]), int(r["p"])) for r in result.iter_rows(named=True)}


def _exposed_ips(facts: Facts, assets: Assets, internal: Net, device: str | None) -> set[str]:
    """Internal IPs a change makes reachable (destinations, NAT targets, DNAT of destinations)."""
    values = facts.get("destination") + facts.get("nat_ip")
    out = set()
    for v in values:
        target = _internal(v, assets, internal)
        if target is None:
            out |= internal.dnat.get((str(device), canonical_ip(v) or v), set())
            continue
        ip = canonical_ip(target.split("/", 1)[0])
        out |= {ip} if ip else set(assets.host_ips(target))
    return out


def triage(
    rule_changes: pl.DataFrame,
    connections: pl.LazyFrame | pl.DataFrame,
    portproxies: pl.DataFrame,
    iocs: pl.DataFrame,
    assets: Assets,
    config: SiteConfig,
) -> pl.DataFrame:
    """Rate every rule change (severity + reasons) and add rule usage after the change."""
    changes = rule_changes.with_row_index("_idx")
    found = _findings(portproxies, iocs, assets)
    lf = connections.lazy()
    internal = Net(
        [sp for n in config.internal_networks for sp in cidr_intervals(n)], _objects(changes)
    )
    internal.dnat = _dnat_map(changes, lf, assets, internal)
    rated: list[dict[str, Any]] = []
    for row in changes.iter_rows(named=True):  # small: one step per rule change
        facts = facts_of(row)
        reasons = _rate(row, facts, config, assets, found, internal)
        exposed = _exposed_ips(facts, assets, internal, row["device"])
        near, delta, label = None, None, ""
        for p in found.proxies:
            if p["ips"] & exposed and p["ts"] is not None and row["ts"] is not None:
                d = (p["ts"] - row["ts"]).total_seconds()
                if delta is None or abs(d) < abs(delta):
                    near, delta, label = p["id"], d, p["label"]
        if near is not None and abs(delta) <= PROXIMITY.total_seconds():
            when = "after" if delta >= 0 else "before"
            reasons.append(
                ("info", f"port proxy {label} created {_span(abs(delta))} {when} this change")
            )
        rated.append(
            {
                "_idx": row["_idx"],
                "_reasons": reasons,
                "_unlogged": row["object_type"] == "security_rule"
                and row["operation"] in ("add", "modify", "other")
                and not facts.detailed,
                "nearest_proxy": near,
                "proxy_delta_s": delta,
            }
        )
    meta = pl.DataFrame(
        rated,
        schema={
            "_idx": pl.UInt32,
            "_reasons": pl.Object,
            "_unlogged": pl.Boolean,
            "nearest_proxy": pl.String,
            "proxy_delta_s": pl.Float64,
        },
    )
    follow = _follow_up(
        changes.join(meta.select("_idx", "_unlogged"), on="_idx"), lf, config, found, assets
    )
    severity, reason_lists = [], []
    for item in rated:
        reasons = list(item["_reasons"])
        n, p = follow.get(item["_idx"], (0, 0))
        if n:
            level = "high" if p else "medium"
            extra = f" ({p} to a port-proxy host or harvested port)" if p else ""
            reasons.append(
                (
                    level,
                    f"rule change not detailed in the log, followed by {n} untrusted "
                    f"session(s) to internal hosts within 24 h{extra}",
                )
            )
        default = "low" if _is_rule(changes, item["_idx"]) else "info"
        rated_levels = [SEVERITIES.index(s) for s, _ in reasons if s != "info"]
        severity.append(SEVERITIES[max(rated_levels, default=SEVERITIES.index(default))])
        order = sorted(reasons, key=lambda sr: -SEVERITIES.index(sr[0]))
        reason_lists.append([text for _, text in order])
    usage = _usage(changes, lf, assets)
    out = (
        changes.join(meta.drop("_reasons", "_unlogged"), on="_idx", how="left")
        .join(usage, on="_idx", how="left")
        .with_columns(
            pl.Series("severity", severity, dtype=pl.String),
            pl.Series("reasons", reason_lists, dtype=pl.List(pl.String)),
            pl.col("use_count").fill_null(0),
            pl.col("distinct_external_sources").fill_null(0),
        )
    )
    extra = [
        "severity",
        "reasons",
        "first_use",
        "last_use",
        "use_count",
        "use_bytes",
        "distinct_external_sources",
        "external_sources",
        "nearest_proxy",
        "proxy_delta_s",
    ]
    return (
        out.sort("_idx")
        .select([*RULE_CHANGE.names(), *extra])
        .sort("ts", "src_file", "src_line", nulls_last=True, maintain_order=True)
    )


def _is_rule(changes: pl.DataFrame, idx: int) -> bool:
    otype = changes.item(idx, "object_type")
    return otype in (
        "security_rule",
        "nat_rule",
        "vip",
        "host_firewall_rule",
        "admin",
        "address",
        "service",
    )


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def to_contract(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """CONTRACT ``rule_changes`` rows, extended with usage and proxy-proximity keys."""
    out = []
    for r in frame.iter_rows(named=True):
        out.append(
            {
                "ts": iso_z(r["ts"]),
                "vendor": r["vendor"],
                "device": r["device"],
                "admin": r["admin"],
                "client": r["client"],
                "client_ip": r["client_ip"],
                "operation": r["operation"],
                "object_type": r["object_type"],
                "object_name": r["object_name"],
                "severity": r["severity"],
                "reasons": list(r["reasons"] or []),
                "evidence": {"path": r["src_file"], "line": r["src_line"]},
                "first_use": iso_z(r["first_use"]),
                "use_count": int(r["use_count"] or 0),
                "distinct_external_sources": int(r["distinct_external_sources"] or 0),
                "usage": {
                    "sessions": int(r["use_count"] or 0),
                    "bytes": int(r["use_bytes"] or 0),
                    "first": iso_z(r["first_use"]),
                    "last": iso_z(r["last_use"]),
                    "peers": list(r["external_sources"] or []),
                },
                "nearest_proxy": r["nearest_proxy"],
                "proxy_delta_s": r["proxy_delta_s"],
            }
        )
    return out
