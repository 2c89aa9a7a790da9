"""Inline SVG pictures: the port-proxy session timeline and the traced-flow diagram.

Every piece of text is escaped (it comes from logs); no scripts, no external references.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from fwcorr.report.model import host_key, trace_path

COLORS = {"high": "#c0392b", "medium": "#d68910", "low": "#2e86c1", "info": "#7f8c8d"}
INBOUND, FORWARDED = "#8e44ad", "#16a085"


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def parse_ts(text: Any) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _fmt_tick(ts: float, span: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%m-%d %H:%M" if span < 3 * 86400 else "%Y-%m-%d")


def timeline_svg(
    proxies: list[dict[str, Any]],
    points: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    width: int = 1100,
) -> str:
    """One lane per proxy: active span, add/delete markers, inbound (top) and forwarded
    (bottom) sessions; high/medium rule changes as numbered vertical lines."""
    if not proxies:
        return ""
    lane_h, top, left, right = 46, 34, 250, 20
    marked = [c for c in changes if c.get("severity") in ("high", "medium")]
    times = [
        t
        for t in (
            *[parse_ts(p.get("first_seen")) for p in proxies],
            *[parse_ts(p.get("removed_at")) for p in proxies],
            *[parse_ts(p.get("ts")) for p in points],
            *[parse_ts(c.get("ts")) for c in marked],
        )
        if t is not None
    ]
    if not times:
        return ""
    t0, t1 = min(times), max(times)
    span = max(t1 - t0, 3600.0)
    t0, t1 = t0 - span * 0.03, t1 + span * 0.03
    plot_w = width - left - right
    height = top + lane_h * len(proxies) + 44

    def x(ts: float) -> float:
        return left + (ts - t0) / (t1 - t0) * plot_w

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="Port-proxy session timeline" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i in range(7):  # time axis
        ts = t0 + (t1 - t0) * i / 6
        xi = x(ts)
        out.append(
            f'<line x1="{xi:.1f}" y1="{top - 6}" x2="{xi:.1f}" y2="{height - 36}" stroke="#e5e8ec"/>'
            f'<text x="{xi:.1f}" y="{height - 20}" font-size="11" '
            f'text-anchor="{"end" if i == 6 else ("start" if i == 0 else "middle")}" '
            f'fill="#555">{e(_fmt_tick(ts, t1 - t0))}</text>'
        )
    for i, pp in enumerate(proxies):
        y = top + i * lane_h
        mid = y + lane_h / 2
        label = f"{pp.get('host')} :{pp.get('listen_port')} \u2192 {pp.get('connect_address')}:{pp.get('connect_port')}"
        fill = "#f7f9fb" if i % 2 == 0 else "#ffffff"
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{lane_h}" fill="{fill}"/>')
        out.append(
            f'<text x="8" y="{mid + 4:.1f}" font-size="12" fill="#222">'
            f"<title>{e(label)}</title>{e(label[:38])}</text>"
        )
        start, end = parse_ts(pp.get("first_seen")), parse_ts(pp.get("removed_at"))
        if start is not None:
            xe = x(end) if end is not None else left + plot_w
            color = COLORS.get(str(pp.get("risk")), "#7f8c8d")
            out.append(
                f'<rect x="{x(start):.1f}" y="{mid - 3:.1f}" width="{max(xe - x(start), 1):.1f}" '
                f'height="6" rx="3" fill="{color}" opacity="0.35"/>'
                f'<path d="M{x(start):.1f},{mid - 9:.1f} l6,9 l-6,9 z" fill="#27ae60">'
                f"<title>added {e(pp.get('first_seen'))}</title></path>"
            )
            if end is not None:
                out.append(
                    f'<path d="M{xe - 5:.1f},{mid - 5:.1f} l10,10 m0,-10 l-10,10" stroke="#c0392b" '
                    f'stroke-width="2.5"><title>deleted {e(pp.get("removed_at"))}</title></path>'
                )
        key = (host_key(str(pp.get("host"))), str(pp.get("listen_port")))
        for p in points:
            if (host_key(str(p.get("host"))), str(p.get("listen_port"))) != key:
                continue
            ts = parse_ts(p.get("ts"))
            if ts is None:
                continue
            inbound = p.get("leg") == "inbound"
            cy = mid - 12 if inbound else mid + 12
            color = INBOUND if inbound else FORWARDED
            out.append(
                f'<circle cx="{x(ts):.1f}" cy="{cy:.1f}" r="4.5" fill="{color}">'
                f"<title>{e(p.get('leg'))} {e(p.get('ts'))} bytes {e(p.get('bytes'))}</title></circle>"
            )
    for n, c in enumerate(marked, 1):
        ts = parse_ts(c.get("ts"))
        if ts is None:
            continue
        color = COLORS.get(str(c.get("severity")), "#7f8c8d")
        out.append(
            f'<line x1="{x(ts):.1f}" y1="{top - 4}" x2="{x(ts):.1f}" y2="{height - 36}" '
            f'stroke="{color}" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x(ts):.1f}" y="{top - 10}" font-size="11" text-anchor="middle" '
            f'fill="{color}"><title>{e(c.get("device"))}: {e(c.get("object_type"))} '
            f"{e(c.get('object_name'))}</title>R{n}</text>"
        )
    ly = height - 6
    out.append(
        f'<g font-size="11" fill="#333"><circle cx="{left}" cy="{ly - 4}" r="4.5" fill="{INBOUND}"/>'
        f'<text x="{left + 8}" y="{ly}">inbound to proxy</text>'
        f'<circle cx="{left + 130}" cy="{ly - 4}" r="4.5" fill="{FORWARDED}"/>'
        f'<text x="{left + 138}" y="{ly}">forwarded by proxy</text>'
        f'<path d="M{left + 270},{ly - 10} l6,7 l-6,7 z" fill="#27ae60"/>'
        f'<text x="{left + 282}" y="{ly}">proxy added</text>'
        f'<path d="M{left + 365},{ly - 8} l8,8 m0,-8 l-8,8" stroke="#c0392b" stroke-width="2"/>'
        f'<text x="{left + 380}" y="{ly}">proxy deleted</text>'
        f'<line x1="{left + 470}" y1="{ly - 10}" x2="{left + 470}" y2="{ly + 2}" stroke="#c0392b" '
        f'stroke-dasharray="3 2"/><text x="{left + 476}" y="{ly}">rule change (R#)</text></g>'
    )
    out.append("</svg>")
    return "".join(out)


def flow_svg(traces: list[dict[str, Any]], width: int = 1100) -> str:
    """Distinct traced paths as boxes and arrows, with the number of sessions on each."""
    paths: dict[tuple[str, ...], int] = {}
    for tr in traces:
        nodes = tuple(trace_path({**tr, "origin_port": None}))
        paths[nodes] = paths.get(nodes, 0) + 1
    if not paths:
        return ""
    cols = max(len(p) for p in paths)
    row_h, box_h, gap = 78, 44, 26
    box_w = min(230, (width - 20 - gap * (cols - 1)) // cols)
    height = 16 + row_h * len(paths)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="Traced flows" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#34495e"/>'
        "</marker></defs>",
    ]
    for r, (nodes, count) in enumerate(sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))):
        y = 10 + r * row_h
        for i, node in enumerate(nodes):
            x = 10 + i * (box_w + gap)
            kind = "origin" if i == 0 else ("target" if i == len(nodes) - 1 else "hop")
            fill = {"origin": "#fdecea", "target": "#eaf2fb", "hop": "#fef5e7"}[kind]
            stroke = {"origin": "#c0392b", "target": "#2e86c1", "hop": "#d68910"}[kind]
            label = node if len(node) <= 30 else node[:29] + "\u2026"
            out.append(
                f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="{fill}" '
                f'stroke="{stroke}"/><text x="{x + box_w / 2:.1f}" y="{y + box_h / 2 + 4:.1f}" '
                f'font-size="12" text-anchor="middle" fill="#222"><title>{e(node)}</title>'
                f"{e(label)}</text>"
            )
            if i:
                out.append(
                    f'<line x1="{x - gap + 1}" y1="{y + box_h / 2:.1f}" x2="{x - 2}" '
                    f'y2="{y + box_h / 2:.1f}" stroke="#34495e" stroke-width="1.6" '
                    'marker-end="url(#arrow)"/>'
                )
        out.append(
            f'<text x="10" y="{y + box_h + 16}" font-size="11" fill="#555">'
            f"{count} session{'s' if count != 1 else ''}</text>"
        )
    out.append("</svg>")
    return "".join(out)
