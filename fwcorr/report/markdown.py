"""findings.md: a Markdown summary to paste into a ticket."""

from __future__ import annotations

from typing import Any

from fwcorr.report.model import SEVERITY_RANK, HostView, trace_path

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~"} | {"\n": " ", "\r": " "})


def md(value: Any) -> str:
    """Escape Markdown and inline HTML so log text renders as text in a ticket system."""
    return ("" if value is None else str(value)).translate(_MD_SPECIAL)


def code(value: Any) -> str:
    text = (
        ("" if value is None else str(value)).replace("`", "'").replace("\n", " ").replace("|", "/")
    )
    return f"`{text}`"


def findings_markdown(findings: dict[str, Any], views: list[HostView]) -> str:
    inputs = findings.get("inputs") or []
    proxies = findings.get("portproxies") or []
    traces = findings.get("traces") or []
    changes = sorted(
        (c for c in findings.get("rule_changes") or [] if c.get("severity") in ("high", "medium")),
        key=lambda c: (SEVERITY_RANK.get(str(c.get("severity")), 9), str(c.get("ts"))),
    )
    rejected = sum(int(i.get("rejected") or 0) for i in inputs)
    unknown = [i for i in inputs if i.get("format") == "unknown"]
    out = [
        "# fwcorr findings",
        "",
        f"- Evidence files: {len(inputs)} ({len(unknown)} of unknown format), "
        f"records: {sum(int(i.get('records') or 0) for i in inputs)}, rejected lines: {rejected}",
        f"- Port proxies: {len(proxies)}; traced relayed sessions: {len(traces)}; "
        f"high-severity rule changes: {sum(1 for c in changes if c.get('severity') == 'high')}",
        "",
        "## Port proxies",
        "",
    ]
    if proxies:
        out += [
            "| Host | Listen | Connect | First seen | Removed | Risk |",
            "|---|---|---|---|---|---|",
        ]
        for pp in sorted(proxies, key=lambda p: (str(p.get("first_seen")), str(p.get("host")))):
            listen = f"{pp.get('listen_address')}:{pp.get('listen_port')}"
            connect = f"{pp.get('connect_address')}:{pp.get('connect_port')}"
            out.append(
                f"| {md(pp.get('host'))} | {code(listen)} | {code(connect)} "
                f"| {md(pp.get('first_seen'))} | {md(pp.get('removed_at') or 'active')} | {md(pp.get('risk'))} |"
            )
    else:
        out.append("None found.")
    out += ["", "## Traced flows", ""]
    if traces:
        for tr in sorted(traces, key=lambda t: (str(t.get("start")), str(t.get("id")))):
            path = " -> ".join(trace_path(tr))
            out.append(
                f"- {md(tr.get('start'))}: {code(path)} (confidence {float(tr.get('confidence') or 0):.2f})"
            )
    else:
        out.append("None traced.")
    out += ["", "## Rule changes (high and medium)", ""]
    if changes:
        for c in changes:
            out.append(
                f"- **{md(c.get('severity'))}** {md(c.get('ts'))} {md(c.get('device'))}: "
                f"{md(c.get('operation'))} {md(c.get('object_type'))} {code(c.get('object_name'))} "
                f"by {md(c.get('admin') or 'unknown')} — {md('; '.join(map(str, c.get('reasons') or [])))}"
            )
    else:
        out.append("None.")
    out += [
        "",
        "## Hosts by exposure",
        "",
        "| Host | IPs | Exposure | Proxies | Traces | Rule changes |",
        "|---|---|---|---|---|---|",
    ]
    for v in views:
        out.append(
            f"| {md(v.host)} | {md(', '.join(v.ips))} | {md(v.exposure)} | {len(v.portproxies)} "
            f"| {len(v.traces)} | {len(v.rule_changes)} |"
        )
    out.append("")
    return "\n".join(out)
