"""Exact on-the-wire formats for the example case: PAN-OS, FortiGate, pfirewall.log, Windows events.

Field orders follow the vendors' documentation:
- PAN-OS 10.2 "Traffic Log Fields" (115 comma-separated fields, High Resolution Timestamp at 103)
  and "Config Log Fields" (default format; before/after change detail appended as the custom
  format of the reference samples does), each behind a BSD syslog header in device local time.
- FortiOS 7.x key=value logs (eventtime in ns, tz), behind an RFC 3339 syslog-server prefix.
- Windows Firewall pfirewall.log W3C extended format (17 fields, 18 with `pid` on Windows 10+).
- Windows event XML (Event Viewer "Save as XML": <Events><Event xmlns=...>), Winlogbeat ECS.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from case_render import Col, Token, join, merge

PA_TRAFFIC_FIELDS = (
    "future1", "receive_time", "serial", "type", "subtype", "config_ver", "time_generated",
    "src", "dst", "natsrc", "natdst", "rule", "srcuser", "dstuser", "app", "vsys", "from",
    "to", "inbound_if", "outbound_if", "logset", "future2", "sessionid", "repeatcnt", "sport",
    "dport", "natsport", "natdport", "flags", "proto", "action", "bytes", "bytes_sent",
    "bytes_received", "packets", "start", "elapsed", "category", "future3", "seqno",
    "actionflags", "srcloc", "dstloc", "future4", "pkts_sent", "pkts_received",
    "session_end_reason", "dg1", "dg2", "dg3", "dg4", "vsys_name", "device_name",
    "action_source", "src_uuid", "dst_uuid", "tunnelid", "monitortag", "parent_session_id",
    "parent_start_time", "tunnel", "assoc_id", "chunks", "chunks_sent", "chunks_received",
    "rule_uuid", "http2", "link_change_count", "policy_id", "link_switches", "sdwan_cluster",
    "sdwan_device_type", "sdwan_cluster_type", "sdwan_site", "dynusergroup", "xff",
    "src_category", "src_profile", "src_model", "src_vendor", "src_osfamily", "src_osversion",
    "src_host", "src_mac", "dst_category", "dst_profile", "dst_model", "dst_vendor",
    "dst_osfamily", "dst_osversion", "dst_host", "dst_mac", "container_id", "pod_namespace",
    "pod_name", "src_edl", "dst_edl", "hostid", "user_serial", "src_dag", "dst_dag",
    "session_owner", "high_res_timestamp", "nssai_sst", "nssai_sd", "subcategory_of_app",
    "category_of_app", "technology_of_app", "risk_of_app", "characteristic_of_app",
    "container_of_app", "tunneled_app", "is_saas_of_app", "sanctioned_state_of_app",
    "offloaded",
)  # fmt: skip

PA_TRAFFIC_DEFAULTS = {
    "future1": "1", "type": "TRAFFIC", "config_ver": "2561", "srcuser": "", "dstuser": "",
    "vsys": "vsys1", "logset": "default", "future2": "", "repeatcnt": "1", "proto": "tcp",
    "category": "any", "future3": "0", "actionflags": "0x8000000000000000", "future4": "0",
    "dg1": "0", "dg2": "0", "dg3": "0", "dg4": "0", "vsys_name": "", "action_source": "from-policy",
    "tunnelid": "0", "monitortag": "", "parent_session_id": "0", "parent_start_time": "",
    "tunnel": "N/A", "assoc_id": "0", "chunks": "0", "chunks_sent": "0", "chunks_received": "0",
    "http2": "0", "link_change_count": "0", "offloaded": "0", "session_owner": "",
    "tunneled_app": "untunneled", "is_saas_of_app": "no", "sanctioned_state_of_app": "no",
    "characteristic_of_app": "", "container_of_app": "",
}  # fmt: skip


def pa_traffic_tokens(device: str, serial: str, fixed: dict[str, str]) -> list[Token]:
    """BSD syslog header + 115-field TRAFFIC CSV; fields not in defaults/fixed come from columns."""
    values = {**PA_TRAFFIC_DEFAULTS, "serial": serial, "device_name": device, **fixed}
    fields: list[Token] = [
        values[name] if name in values else Col(name) for name in PA_TRAFFIC_FIELDS
    ]
    return merge([Col("syslog_ts"), f" {device} ", *join(",", fields)])


def pa_config_line(
    syslog_ts: str,
    device: str,
    serial: str,
    local_ts: str,
    hrt: str,
    host: str,
    cmd: str,
    admin: str,
    client: str,
    path: str,
    seqno: int,
    before: str | None = None,
    after: str | None = None,
) -> str:
    """CONFIG log: default field order; before/after change detail appended when given."""
    fields = [
        "1", local_ts, serial, "CONFIG", "0", "2561", local_ts, host, "", cmd, admin, client,
        "Succeeded" if cmd != "commit" else "Submitted", path, str(seqno), "0x0",
        "0", "0", "0", "0", "", device, "0", "", "0", hrt,
    ]  # fmt: skip
    if before is not None or after is not None:
        fields += [_csv_quote(before or ""), _csv_quote(after or "")]
    return f"{syslog_ts} {device} " + ",".join(fields)


def _csv_quote(text: str) -> str:
    if not text:
        return ""
    return '"' + text.replace('"', '""') + '"'


FG_TRAFFIC_KEYS = (
    ("date", "date"), ("time", "time"), ("devname", None), ("devid", None),
    ("eventtime", "eventtime"), ("tz", None), ("logid", "logid"), ("type", None),
    ("subtype", "subtype"), ("level", "level"), ("vd", None), ("srcip", "srcip"),
    ("srcport", "srcport"), ("srcintf", "srcintf"), ("srcintfrole", "srcintfrole"),
    ("dstip", "dstip"), ("dstport", "dstport"), ("dstintf", "dstintf"),
    ("dstintfrole", "dstintfrole"), ("srccountry", "srccountry"), ("dstcountry", None),
    ("sessionid", "sessionid"), ("proto", None), ("action", "action"),
    ("policyid", "policyid"), ("policytype", None), ("poluuid", "poluuid"),
    ("policyname", "policyname"), ("service", "service"), ("trandisp", "trandisp"),
)  # fmt: skip
_FG_QUOTED = {
    "devname", "devid", "tz", "logid", "type", "subtype", "level", "vd", "srcintf",
    "srcintfrole", "dstintf", "dstintfrole", "srccountry", "dstcountry", "action",
    "policytype", "poluuid", "policyname", "service", "trandisp", "appcat",
}  # fmt: skip


def fg_traffic_tokens(
    devname: str, devid: str, tz: str, relay_ip: str, dnat: bool = False, deny: bool = False
) -> list[Token]:
    """RFC 3339 syslog prefix + FortiOS 7.x traffic log (forward), key=value.

    Implicit-deny logs (policy 0) carry no policy name or uuid, as FortiOS omits empty fields.
    """
    consts = {
        "devname": devname, "devid": devid, "tz": tz, "type": "traffic", "vd": "root",
        "dstcountry": "Reserved", "proto": "6", "policytype": "policy",
    }  # fmt: skip
    toks: list[Token] = [Col("syslog_ts"), f" {relay_ip} "]
    for i, (key, col) in enumerate(FG_TRAFFIC_KEYS):
        if deny and key in ("poluuid", "policyname"):
            continue
        toks.append(("" if i == 0 else " ") + key + "=")
        q = '"' if key in _FG_QUOTED else ""
        toks += [q, consts[key] if col is None else Col(col), q]
    if dnat:
        toks += [" tranip=", Col("tranip"), " tranport=", Col("tranport")]
    toks += [
        " duration=", Col("duration"), " sentbyte=", Col("sentbyte"), " rcvdbyte=",
        Col("rcvdbyte"), " sentpkt=", Col("sentpkt"), " rcvdpkt=", Col("rcvdpkt"),
        ' appcat="unscanned"',
    ]  # fmt: skip
    return merge(toks)


def fg_event_line(prefix: str, head: dict[str, str | int], body: dict[str, str | int]) -> str:
    """A FortiOS key=value event line (strings quoted, numbers bare)."""
    parts = []
    for key, value in {**head, **body}.items():
        if isinstance(value, int) or key in {"date", "time", "eventtime", "cfgtid"}:
            parts.append(f"{key}={value}")
        else:
            parts.append(f'{key}="{value}"')
    return prefix + " ".join(parts)


PFW_FIELDS_17 = (
    "date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack "
    "tcpwin icmptype icmpcode info path"
)


def pfirewall_header(with_pid: bool) -> list[str]:
    fields = PFW_FIELDS_17 + (" pid" if with_pid else "")
    return [
        "#Version: 1.5",
        "#Software: Microsoft Windows Firewall",
        "#Time Format: Local",
        f"#Fields: {fields}",
        "",
    ]


def pfirewall_tokens(with_pid: bool) -> list[Token]:
    """date time action protocol src dst sport dport size - 0 0 0 - - - path [pid]."""
    toks: list[Token] = [
        Col("date"), " ", Col("time"), " ", Col("action"), " ", Col("protocol"), " ",
        Col("src"), " ", Col("dst"), " ", Col("sport"), " ", Col("dport"), " ", Col("size"),
        " - 0 0 0 - - - ", Col("path"),
    ]  # fmt: skip
    if with_pid:
        toks += [" ", Col("pid")]
    return merge(toks)


EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
SYSMON_GUID = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"
SECURITY_GUID = "{54849625-5478-4994-a5ba-3e3b0328c30d}"


def event_xml(
    provider: str,
    guid: str,
    event_id: int,
    version: int,
    task: int,
    keywords: str,
    system_time: str,
    record_id: int,
    channel: str,
    computer: str,
    data: list[tuple[str, str]],
    pid: int,
    tid: int,
    user_sid: str | None,
) -> str:
    """One <Event> element on one line, as Event Viewer's "Save as XML" writes it."""
    sec = f"<Security UserID='{user_sid}'/>" if user_sid else "<Security/>"
    body = "".join(
        f"<Data Name='{name}'>{escape(value)}</Data>" if value else f"<Data Name='{name}'/>"
        for name, value in data
    )
    return (
        f"<Event xmlns='{EVENT_NS}'><System><Provider Name='{provider}' Guid='{guid}'/>"
        f"<EventID>{event_id}</EventID><Version>{version}</Version><Level>{4 if guid == SYSMON_GUID else 0}</Level>"
        f"<Task>{task}</Task><Opcode>0</Opcode><Keywords>{keywords}</Keywords>"
        f"<TimeCreated SystemTime='{system_time}'/><EventRecordID>{record_id}</EventRecordID>"
        f"<Correlation/><Execution ProcessID='{pid}' ThreadID='{tid}'/><Channel>{channel}</Channel>"
        f"<Computer>{computer}</Computer>{sec}</System><EventData>{body}</EventData></Event>"
    )


def events_document(events: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Events>\n'
        + "\n".join(events)
        + "\n</Events>\n"
    )


def ecs_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


SHOW_ALL_TEMPLATE = (
    "PS C:\\Windows\\system32> netsh interface portproxy show all\r\n"
    "\r\n"
    "Listen on ipv4:             Connect to ipv4:\r\n"
    "\r\n"
    "Address         Port        Address         Port\r\n"
    "--------------- ----------  --------------- ----------\r\n"
    "{rows}"
    "\r\n"
    "PS C:\\Windows\\system32> \r\n"
)


def show_all(rows: list[tuple[str, int, str, int]]) -> str:
    """`netsh interface portproxy show all` console capture (fixed-width columns)."""
    text = "".join(f"{la:<15} {lp:<10}  {ca:<15} {cp}\r\n" for la, lp, ca, cp in rows)
    return SHOW_ALL_TEMPLATE.format(rows=text)
