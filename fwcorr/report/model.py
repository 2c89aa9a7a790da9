"""Report view model: per-host slices of a findings dict and derived timeline data.

Works from the CONTRACT.md `findings.json` shape only; optional extras are used when present:
`inputs[].device`, `inputs[].warnings`, `inputs[].events_lost`, `rule_changes[].targets`
([{ip, port}]) and `rule_changes[].usage` ({sessions, bytes, first, last, peers}),
`hosts[].inbound` ([{port, peers, sessions, first, last, bytes}]) and a top-level `timeline`
([{host, listen_port, ts, leg: inbound|forwarded, bytes}]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_FQDN = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
EXPOSURE_RANK = {"high": 0, "medium": 1, "low": 2, "none": 3}
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2, "info": 3}


def host_key(name: str | None) -> str:
    """Case-insensitive key; an FQDN matches its short name."""
    text = (name or "").strip()
    if _FQDN.fullmatch(text) and not text.replace(".", "").isdigit():
        text = text.split(".", 1)[0]
    return text.lower()


@dataclass(eq=False)
class HostView:
    """Everything the report shows for one host."""

    host: str
    ips: list[str]
    exposure: str = "none"
    ioc_hits: int = 0
    portproxies: list[dict[str, Any]] = field(default_factory=list)
    traces: list[dict[str, Any]] = field(default_factory=list)
    rule_changes: list[dict[str, Any]] = field(default_factory=list)
    hits: list[dict[str, Any]] = field(default_factory=list)
    inbound: list[dict[str, Any]] = field(default_factory=list)

    def actions(self) -> list[str]:
        return recommended_actions(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "ips": self.ips,
            "exposure": self.exposure,
            "portproxies": self.portproxies,
            "inbound": self.inbound,
            "traces": self.traces,
            "rule_changes": self.rule_changes,
            "ioc_hits": self.ioc_hits,
            "hits": self.hits,
            "recommended_actions": self.actions(),
        }


def build_hosts(findings: dict[str, Any]) -> list[HostView]:
    """One view per host named anywhere in the findings, ranked by exposure then activity."""
    views: dict[str, HostView] = {}

    def view(name: str) -> HostView:
        key = host_key(name)
        if key not in views:
            views[key] = HostView(host=name, ips=[])
        return views[key]

    for h in findings.get("hosts") or []:
        v = view(str(h.get("host", "")))
        v.host = str(h.get("host", ""))
        v.ips = sorted({*v.ips, *map(str, h.get("ips") or [])})
        v.exposure = str(h.get("exposure") or "none")
        v.ioc_hits = int(h.get("ioc_hits") or 0)
        v.inbound = list(h.get("inbound") or [])
    for pp in findings.get("portproxies") or []:
        v = view(str(pp.get("host", "")))
        v.portproxies.append(pp)
        v.ips = sorted({*v.ips, *map(str, pp.get("host_ips") or [])})
    by_ip: dict[str, HostView] = {ip: v for v in views.values() for ip in v.ips}
    for tr in findings.get("traces") or []:
        touched: list[HostView] = [view(str(hop.get("host", ""))) for hop in tr.get("hops") or []]
        target = by_ip.get(str(tr.get("target_ip")))
        if target is not None:
            touched.append(target)
        for v in dict.fromkeys(touched):
            v.traces.append(tr)
    for rc in findings.get("rule_changes") or []:
        for v in _exposed_by(rc, views.values()):
            v.rule_changes.append(rc)
    for hit in findings.get("hits_summary") or []:
        peers = {str(p) for p in hit.get("peers") or []}
        for v in views.values():
            if peers & set(v.ips):
                v.hits.append(hit)
    for v in views.values():
        if not v.inbound:
            v.inbound = derived_inbound(v)
    return sorted(
        views.values(),
        key=lambda v: (
            EXPOSURE_RANK.get(v.exposure, 9),
            -len(v.traces),
            -len(v.portproxies),
            -len(v.rule_changes),
            v.host.lower(),
            v.host,
        ),
    )


def _exposed_by(rc: dict[str, Any], views: Any) -> list[HostView]:
    """Hosts a rule change exposes: its `targets` extra, else host IPs named in its reasons."""
    targets = {str(t.get("ip")) for t in rc.get("targets") or [] if isinstance(t, dict)}
    text = " ".join(map(str, rc.get("reasons") or []))
    out = []
    for v in views:
        if targets & set(v.ips) or any(
            re.search(rf"(?<![\d.]){re.escape(ip)}(?![\d])", text) for ip in v.ips
        ):
            out.append(v)
    return out


def derived_inbound(v: HostView) -> list[dict[str, Any]]:
    """Inbound exposure from traces whose first hop is this host (when no extra is given)."""
    rows: dict[int, dict[str, Any]] = {}
    for tr in v.traces:
        hops = tr.get("hops") or []
        if not hops or host_key(str(hops[0].get("host"))) != host_key(v.host):
            continue
        port = int(hops[0].get("listen_port") or 0)
        row = rows.setdefault(
            port,
            {"port": port, "peers": [], "sessions": 0, "first": None, "last": None, "bytes": 0},
        )
        row["sessions"] += 1
        if tr.get("origin_ip") not in row["peers"]:
            row["peers"].append(tr.get("origin_ip"))
        start = tr.get("start")
        row["first"] = min(filter(None, [row["first"], start]), default=None)
        row["last"] = max(filter(None, [row["last"], start]), default=None)
        row["bytes"] += int(tr.get("bytes_in") or 0) + int(tr.get("bytes_out") or 0)
    return [rows[p] for p in sorted(rows)]


def timeline_points(findings: dict[str, Any]) -> list[dict[str, Any]]:
    """Session points per proxy: the `timeline` extra, else derived from the traces."""
    if findings.get("timeline"):
        return [dict(p) for p in findings["timeline"]]
    points = []
    for tr in findings.get("traces") or []:
        for i, hop in enumerate(tr.get("hops") or []):
            base = {
                "host": hop.get("host"),
                "listen_port": hop.get("listen_port"),
                "ts": tr.get("start"),
            }
            if i == 0:
                points.append({**base, "leg": "inbound", "bytes": tr.get("bytes_in")})
            points.append({**base, "leg": "forwarded", "bytes": tr.get("bytes_out")})
    return points


def trace_path(tr: dict[str, Any]) -> list[str]:
    """Path nodes as text: origin, entry (if NATed), each hop, target."""
    nodes = [_ep(tr.get("origin_ip"), tr.get("origin_port"))]
    if tr.get("entry_ip"):
        nodes.append(_ep(tr.get("entry_ip"), tr.get("entry_port")))
    for hop in tr.get("hops") or []:
        nodes.append(f"{hop.get('host')} ({_ep(hop.get('listen_ip'), hop.get('listen_port'))})")
    nodes.append(_ep(tr.get("target_ip"), tr.get("target_port")))
    return nodes


def _ep(ip: Any, port: Any) -> str:
    ip_text = str(ip) if ip is not None else "?"
    if port is None:
        return ip_text
    return f"[{ip_text}]:{port}" if ":" in ip_text else f"{ip_text}:{port}"


def recommended_actions(v: HostView) -> list[str]:
    """Concrete next steps for a responder, from what was found on the host."""
    acts: list[str] = []
    for pp in v.portproxies:
        listen = f"listenport={pp.get('listen_port')} listenaddress={pp.get('listen_address')}"
        if not pp.get("removed_at"):
            acts.append(
                f"Remove the active port proxy: netsh interface portproxy delete "
                f"{pp.get('family', 'v4tov4')} {listen}"
            )
        acts.append(
            f"Confirm the registry value HKLM\\SYSTEM\\CurrentControlSet\\Services\\PortProxy\\"
            f"{pp.get('family', 'v4tov4')}\\tcp\\{pp.get('listen_address')}/{pp.get('listen_port')}"
            " is gone and look for re-creation"
        )
        users = sorted({str(op.get("user")) for op in pp.get("operations") or [] if op.get("user")})
        if users:
            acts.append(f"Reset credentials and review the logons of: {', '.join(users)}")
    origins = sorted({str(t.get("origin_ip")) for t in v.traces if t.get("origin_ip")})
    if origins:
        acts.append(f"Block and hunt for the relay origins at the perimeter: {', '.join(origins)}")
    for rc in v.rule_changes:
        if rc.get("severity") in ("high", "medium"):
            acts.append(
                f"Review and revert {rc.get('object_type')} '{rc.get('object_name')}' on "
                f"{rc.get('device')} (changed by {rc.get('admin') or 'unknown'} at {rc.get('ts')})"
            )
    if v.hits:
        acts.append("Investigate the IOC hits listed above for lateral movement from this host")
    if acts:
        acts.append("Preserve the host's event logs and firewall logs before remediation")
    return list(dict.fromkeys(acts))
