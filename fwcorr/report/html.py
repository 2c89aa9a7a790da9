"""HTML pages: the case overview (index.html) and one page per host.

Self-contained: inline CSS and SVG, no JavaScript, no external resources, and a strict
Content-Security-Policy as defence in depth. All log-derived text goes through `e()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fwcorr.report.model import SEVERITY_RANK, HostView, timeline_points, trace_path
from fwcorr.report.svg import e, flow_svg, timeline_svg

DASH = "\u2014"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--high:#c0392b;--medium:#d68910;
--low:#2e86c1;--none:#7f8c8d;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header{background:#102a43;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header .sub{color:#bcccdc;font-size:13px;margin-top:4px}
header a{color:#9fb3c8}
main{max-width:1180px;margin:0 auto;padding:20px 32px 60px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;
margin:18px 0;overflow-x:auto}
td .mono{word-break:break-all}
h2{font-size:17px;margin:0 0 12px;color:#102a43}
h3{font-size:15px;margin:16px 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f0f4f8;color:#334e68;font-weight:600;white-space:nowrap}
tr.warn td{background:#fff8e6}
tr.bad td{background:#fdecea}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.mono{font-family:"SFMono-Regular",Consolas,"Liberation Mono",monospace;font-size:12px}
pre{background:#f0f4f8;border:1px solid var(--line);border-radius:4px;padding:6px 8px;margin:4px 0;
white-space:pre-wrap;word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;
font-weight:600;text-transform:uppercase;letter-spacing:.02em}
.b-high{background:var(--high)}.b-medium{background:var(--medium)}.b-low{background:var(--low)}
.b-info,.b-none{background:var(--none)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 4px}
.card{flex:1 1 140px;background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:10px 14px}
.card .n{font-size:24px;font-weight:600}.card .l{color:var(--muted);font-size:12px}
.card.alert .n{color:var(--high)}
.path{font-family:"SFMono-Regular",Consolas,monospace;font-size:12px}
.path .arrow{color:var(--muted);padding:0 4px}
.muted{color:var(--muted)}
ul.gaps li{margin:2px 0}
.chart{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px;background:#fff}
details summary{cursor:pointer;color:#334e68;margin:6px 0}
nav.toc a{margin-right:14px;color:#334e68}
"""


def badge(level: Any) -> str:
    lvl = str(level or "none")
    safe = lvl if lvl in ("high", "medium", "low", "info", "none") else "none"
    return f'<span class="badge b-{safe}">{e(lvl)}</span>'


def page(title: str, subtitle: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{e(title)}</h1><div class="sub">{subtitle}</div></header>'
        f"<main>{body}</main></body></html>\n"
    )


def table(headers: list[str], rows: Iterable[list[str]], classes: list[str] | None = None) -> str:
    """Rows are pre-escaped HTML cells; a header starting with '#' is right-aligned."""
    head = "".join(
        f'<th class="num">{e(h[1:])}</th>' if h.startswith("#") else f"<th>{e(h)}</th>"
        for h in headers
    )
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(
            f'<td class="num">{c}</td>' if headers[j].startswith("#") else f"<td>{c}</td>"
            for j, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        return '<p class="muted">None.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def ts(text: Any) -> str:
    return e(str(text).replace("T", " ")) if text else '<span class="muted">\u2014</span>'


def num(value: Any) -> str:
    return f"{int(value):,}" if isinstance(value, int | float) else e(value)


def path_html(tr: dict[str, Any]) -> str:
    arrow = '<span class="arrow">\u2192</span>'
    return f'<span class="path">{arrow.join(e(n) for n in trace_path(tr))}</span>'


def host_link(host: str, names: dict[str, str], prefix: str = "hosts/") -> str:
    stem = names.get(host)
    if stem is None:
        return e(host)
    return f'<a href="{e(prefix + stem)}.html">{e(host)}</a>'


# ---- index.html ---------------------------------------------------------------------------------


def index_page(findings: dict[str, Any], views: list[HostView], names: dict[str, str]) -> str:
    inputs = findings.get("inputs") or []
    proxies = findings.get("portproxies") or []
    traces = findings.get("traces") or []
    changes = sorted(
        findings.get("rule_changes") or [],
        key=lambda c: (SEVERITY_RANK.get(str(c.get("severity")), 9), str(c.get("ts"))),
    )
    high = [c for c in changes if c.get("severity") == "high"]
    records = sum(int(i.get("records") or 0) for i in inputs)
    rejected = sum(int(i.get("rejected") or 0) for i in inputs)
    exposed = [v for v in views if v.exposure in ("high", "medium")]
    cards = "".join(
        f'<div class="card{" alert" if alert else ""}"><div class="n">{num(n)}</div>'
        f'<div class="l">{e(label)}</div></div>'
        for n, label, alert in (
            (len(inputs), "evidence files", False),
            (records, "records parsed", False),
            (rejected, "lines rejected", rejected > 0),
            (len(proxies), "port proxies", bool(proxies)),
            (len(traces), "traced relayed sessions", bool(traces)),
            (len(high), "high-severity rule changes", bool(high)),
            (len(exposed), "hosts exposed (high/medium)", bool(exposed)),
        )
    )
    tool = findings.get("tool") or {}
    sub = (
        f"{e(tool.get('name', 'fwcorr'))} {e(tool.get('version', ''))} \u00b7 "
        f"generated {e(findings.get('generated_at', ''))} \u00b7 schema {e(findings.get('schema_version'))}"
    )
    toc = (
        '<nav class="toc"><a href="#inventory">Evidence</a><a href="#timeline">Port proxies</a>'
        '<a href="#flows">Traced flows</a><a href="#changes">Rule changes</a>'
        '<a href="#hosts">Hosts</a><a href="#iocs">IOC hits</a></nav>'
    )
    body = [
        f'<div class="cards">{cards}</div>',
        toc,
        _inventory(inputs),
        _timeline(findings, proxies, changes, names),
        _flows(traces, names),
        _changes(changes),
        _hosts(views, names),
        _iocs(findings),
    ]
    return page("fwcorr case report", sub, "".join(body))


def _inventory(inputs: list[dict[str, Any]]) -> str:
    rows, classes = [], []
    gaps: list[str] = []
    for i in sorted(inputs, key=lambda i: str(i.get("path"))):
        fmt_ = str(i.get("format") or "unknown")
        rej = int(i.get("rejected") or 0)
        lost = i.get("events_lost")
        warns = [str(w) for w in i.get("warnings") or []]
        rows.append(
            [
                f'<span class="mono">{e(i.get("path"))}</span>',
                e(fmt_),
                e(i.get("device") or ""),
                num(i.get("records") or 0),
                num(rej),
                ts(i.get("first_ts")),
                ts(i.get("last_ts")),
                num(i.get("bytes") or 0),
                f'<span class="mono" title="{e(i.get("sha256"))}">{e(str(i.get("sha256") or "")[:12])}</span>',
            ]
        )
        classes.append("bad" if fmt_ == "unknown" else ("warn" if rej or lost or warns else ""))
        if fmt_ == "unknown":
            gaps.append(f"<li>Unknown format (not parsed): <code>{e(i.get('path'))}</code></li>")
        if rej:
            gaps.append(
                f"<li>{num(rej)} rejected line(s) in <code>{e(i.get('path'))}</code> (see rejects.jsonl)</li>"
            )
        if lost:
            gaps.append(
                f"<li>{num(lost)} event(s) lost by the logger in <code>{e(i.get('path'))}</code></li>"
            )
        gaps += [f"<li>Warning for <code>{e(i.get('path'))}</code>: {e(w)}</li>" for w in warns]
    table_html = table(
        [
            "File",
            "Format",
            "Device/host",
            "#Records",
            "#Rejected",
            "First",
            "Last",
            "#Bytes",
            "SHA-256",
        ],
        rows,
        classes,
    )
    ranges = _time_ranges(inputs)
    gap_html = (
        f'<ul class="gaps">{"".join(gaps)}</ul>'
        if gaps
        else '<p class="muted">No gaps recorded.</p>'
    )
    return (
        f'<section id="inventory"><h2>Evidence inventory</h2>{table_html}'
        f"<h3>Gaps</h3>{gap_html}<h3>Time range per device</h3>{ranges}</section>"
    )


def _time_ranges(inputs: list[dict[str, Any]]) -> str:
    spans: dict[str, list[str]] = {}
    for i in inputs:
        if not i.get("first_ts"):
            continue
        key = str(i.get("device") or i.get("path"))
        lo, hi = str(i["first_ts"]), str(i.get("last_ts") or i["first_ts"])
        cur = spans.setdefault(key, [lo, hi])
        cur[0], cur[1] = min(cur[0], lo), max(cur[1], hi)
    rows = [[e(k), ts(v[0]), ts(v[1])] for k, v in sorted(spans.items())]
    return table(["Device / file", "First", "Last"], rows)


def _timeline(findings: dict[str, Any], proxies: list, changes: list, names: dict[str, str]) -> str:
    chart = timeline_svg(proxies, timeline_points(findings), changes)
    marked = [c for c in changes if c.get("severity") in ("high", "medium")]
    legend = ""
    if marked and chart:
        legend = (
            '<p class="muted">'
            + " \u00b7 ".join(
                f"R{n}: {e(c.get('device'))} {e(c.get('object_type'))} {e(c.get('object_name'))}"
                for n, c in enumerate(marked, 1)
            )
            + "</p>"
        )
    rows = []
    for pp in sorted(proxies, key=lambda p: (str(p.get("first_seen")), str(p.get("host")))):
        rows.append(
            [
                host_link(str(pp.get("host")), names),
                e(pp.get("family")),
                f'<span class="mono">{e(pp.get("listen_address"))}:{e(pp.get("listen_port"))}</span>',
                f'<span class="mono">{e(pp.get("connect_address"))}:{e(pp.get("connect_port"))}</span>',
                ts(pp.get("first_seen")),
                ts(pp.get("removed_at")) if pp.get("removed_at") else "<b>still active</b>",
                badge(pp.get("risk")),
                "<br>".join(e(r) for r in pp.get("risk_reasons") or []),
            ]
        )
    return (
        f'<section id="timeline"><h2>Port-proxy timeline</h2>{chart}{legend}'
        + table(
            ["Host", "Family", "Listen", "Connect", "First seen", "Removed", "Risk", "Reasons"],
            rows,
        )
        + "</section>"
    )


def _flows(traces: list[dict[str, Any]], names: dict[str, str]) -> str:
    rows = []
    for tr in sorted(traces, key=lambda t: (str(t.get("start")), str(t.get("id")))):
        rows.append(
            [
                f'<span class="mono">{e(tr.get("id"))}</span>',
                ts(tr.get("start")),
                path_html(tr),
                str(len(tr.get("hops") or [])),
                num(tr.get("bytes_out")) if tr.get("bytes_out") is not None else "",
                num(tr.get("bytes_in")) if tr.get("bytes_in") is not None else "",
                f"{float(tr.get('confidence') or 0):.2f}",
                "<br>".join(
                    f'<span class="mono">{e(ev.get("path"))}:{e(ev.get("line"))}</span>'
                    for ev in (tr.get("evidence") or [])[:6]
                ),
            ]
        )
    return (
        f'<section id="flows"><h2>Traced flows</h2>{flow_svg(traces)}'
        + table(
            [
                "Trace",
                "Start",
                "Path (origin \u2192 entry \u2192 hops \u2192 target)",
                "#Hops",
                "#Bytes out",
                "#Bytes in",
                "#Conf.",
                "Evidence",
            ],
            rows,
        )
        + "</section>"
    )


def _usage(rc: dict[str, Any]) -> str:
    usage = rc.get("usage")
    if not isinstance(usage, dict):
        return '<span class="muted">\u2014</span>'
    peers = ", ".join(str(p) for p in (usage.get("peers") or [])[:8])
    text = f"{num(usage.get('sessions') or 0)} session(s), {num(usage.get('bytes') or 0)} bytes"
    if usage.get("first"):
        text += f"<br>{ts(usage.get('first'))} {DASH} {ts(usage.get('last'))}"
    if peers:
        text += f"<br>peers: {e(peers)}"
    return text


def change_rows(changes: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            ts(c.get("ts")),
            badge(c.get("severity")),
            e(c.get("device")),
            e(c.get("admin") or "\u2014")
            + (f'<br><span class="muted">{e(c.get("client"))}</span>' if c.get("client") else ""),
            e(c.get("operation")),
            e(c.get("object_type")),
            f'<span class="mono">{e(c.get("object_name"))}</span>',
            "<br>".join(e(r) for r in c.get("reasons") or []),
            _usage(c),
            f'<span class="mono">{e((c.get("evidence") or {}).get("path"))}:{e((c.get("evidence") or {}).get("line"))}</span>',
        ]
        for c in changes
    ]


CHANGE_HEADERS = [
    "When",
    "Severity",
    "Device",
    "Admin",
    "Op",
    "Type",
    "Object",
    "Reasons",
    "Traffic that used it",
    "Evidence",
]


def _changes(changes: list[dict[str, Any]]) -> str:
    top = [c for c in changes if c.get("severity") in ("high", "medium")]
    rest = [c for c in changes if c.get("severity") not in ("high", "medium")]
    more = ""
    if rest:
        more = (
            f"<details><summary>{len(rest)} low/info change(s)</summary>"
            f"{table(CHANGE_HEADERS, change_rows(rest))}</details>"
        )
    return (
        '<section id="changes"><h2>Rule changes (high and medium)</h2>'
        f"{table(CHANGE_HEADERS, change_rows(top))}{more}</section>"
    )


def _hosts(views: list[HostView], names: dict[str, str]) -> str:
    rows = [
        [
            host_link(v.host, names),
            e(", ".join(v.ips)),
            badge(v.exposure),
            str(len(v.portproxies)),
            str(len(v.traces)),
            str(len(v.rule_changes)),
            str(v.ioc_hits),
        ]
        for v in views
    ]
    return (
        '<section id="hosts"><h2>Hosts ranked by exposure</h2>'
        + table(
            ["Host", "IPs", "Exposure", "#Proxies", "#Traces", "#Rule changes", "#IOC hits"], rows
        )
        + "</section>"
    )


def _iocs(findings: dict[str, Any]) -> str:
    iocs = {str(i.get("id")): i for i in findings.get("iocs") or []}
    rows = []
    for h in sorted(
        findings.get("hits_summary") or [],
        key=lambda h: (-int(h.get("hits") or 0), str(h.get("ioc_id"))),
    ):
        ioc = iocs.get(str(h.get("ioc_id")), {})
        rows.append(
            [
                f'<span class="mono">{e(h.get("ioc_id"))}</span>',
                e(ioc.get("role") or ""),
                num(h.get("hits") or 0),
                ts(h.get("first_seen")),
                ts(h.get("last_seen")),
                e(", ".join(map(str, h.get("devices") or []))),
                e(", ".join(map(str, (h.get("peers") or [])[:10]))),
            ]
        )
    return (
        '<section id="iocs"><h2>IOC hits</h2>'
        + table(["IOC", "Role", "#Hits", "First", "Last", "Devices", "Peers"], rows)
        + "</section>"
    )


# ---- hosts/<host>.html --------------------------------------------------------------------------


def host_page(v: HostView, names: dict[str, str]) -> str:
    sub = f'<a href="../index.html">\u2190 case overview</a> \u00b7 exposure {badge(v.exposure)}'
    parts = [
        f"<section><h2>Identity</h2>{table(['Host', 'IPs'], [[e(v.host), e(', '.join(v.ips)) or '<span class=muted>unknown</span>']])}</section>"
    ]
    pp_html = []
    for pp in v.portproxies:
        ops = ", ".join(
            f"{op.get('op')} {op.get('ts')}" + (f" by {op.get('user')}" if op.get("user") else "")
            for op in pp.get("operations") or []
        )
        ev_rows = [
            [
                e(ev.get("kind")),
                f'<span class="mono">{e(ev.get("path"))}:{e(ev.get("line"))}</span>',
                f"<pre>{e(ev.get('raw'))}</pre>",
            ]
            for ev in pp.get("evidence") or []
        ]
        pp_html.append(
            f"<h3>{e(pp.get('family'))} {e(pp.get('listen_address'))}:{e(pp.get('listen_port'))} \u2192 "
            f"{e(pp.get('connect_address'))}:{e(pp.get('connect_port'))} {badge(pp.get('risk'))}</h3>"
            f"<p>First seen {ts(pp.get('first_seen'))}; removed {ts(pp.get('removed_at')) if pp.get('removed_at') else '<b>still active</b>'}."
            f"<br>Operations: {e(ops) or DASH}<br>Reasons: "
            f"{e('; '.join(map(str, pp.get('risk_reasons') or []))) or DASH}</p>"
            + table(["Evidence", "Citation", "Raw text"], ev_rows)
        )
    parts.append(
        f"<section><h2>Port proxies</h2>{''.join(pp_html) or '<p class=muted>None.</p>'}</section>"
    )
    inbound_rows = [
        [
            str(r.get("port")),
            e(", ".join(map(str, r.get("peers") or []))),
            num(r.get("sessions") or 0),
            ts(r.get("first")),
            ts(r.get("last")),
            num(r.get("bytes") or 0),
        ]
        for r in v.inbound
    ]
    parts.append(
        "<section><h2>Inbound exposure from untrusted networks</h2>"
        + table(["Port", "Peers", "#Sessions", "First", "Last", "#Bytes"], inbound_rows)
        + "</section>"
    )
    tr_rows = [
        [
            f'<span class="mono">{e(t.get("id"))}</span>',
            ts(t.get("start")),
            path_html(t),
            f"{float(t.get('confidence') or 0):.2f}",
        ]
        for t in sorted(v.traces, key=lambda t: str(t.get("start")))
    ]
    parts.append(
        f"<section><h2>Traces through this host</h2>{flow_svg(v.traces)}"
        + table(["Trace", "Start", "Path", "#Conf."], tr_rows)
        + "</section>"
    )
    parts.append(
        "<section><h2>Rule changes exposing this host</h2>"
        + table(CHANGE_HEADERS, change_rows(v.rule_changes))
        + "</section>"
    )
    hit_rows = [
        [
            f'<span class="mono">{e(h.get("ioc_id"))}</span>',
            num(h.get("hits") or 0),
            ts(h.get("first_seen")),
            ts(h.get("last_seen")),
            e(", ".join(map(str, h.get("devices") or []))),
        ]
        for h in v.hits
    ]
    parts.append(
        f"<section><h2>IOC hits</h2><p>{num(v.ioc_hits)} hit(s) involving this host.</p>"
        + table(["IOC", "#Hits", "First", "Last", "Devices"], hit_rows)
        + "</section>"
    )
    acts = "".join(f"<li>{e(a)}</li>" for a in v.actions())
    parts.append(
        f"<section><h2>Recommended actions</h2><ol>{acts or '<li>No action needed.</li>'}</ol></section>"
    )
    _ = names
    return page(f"Host {v.host}", sub, "".join(parts))
