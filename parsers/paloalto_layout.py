"""PAN-OS syslog field positions (0-based) and the Web UI export column aliases.

Positions follow Palo Alto's "Syslog Field Descriptions" for PAN-OS 8.0 through 11.x: every
version appends fields, so one table serves all (missing trailing fields are null). TRAFFIC is
61 fields in 8.0, 65 in 8.1, 67 in 9.0, 75 in 9.1 and 115 in 10.x/11.0; 11.1+ appends more.
"""

from __future__ import annotations

import re

# TRAFFIC: field key (PAN-OS internal name where one exists) -> position.
TRAFFIC: dict[str, int] = {
    "receive_time": 1,
    "serial": 2,
    "type": 3,
    "subtype": 4,
    "time_generated": 6,
    "src": 7,
    "dst": 8,
    "natsrc": 9,
    "natdst": 10,
    "rule": 11,
    "srcuser": 12,
    "dstuser": 13,
    "app": 14,
    "vsys": 15,
    "from": 16,
    "to": 17,
    "inbound_if": 18,
    "outbound_if": 19,
    "sessionid": 22,
    "repeatcnt": 23,
    "sport": 24,
    "dport": 25,
    "natsport": 26,
    "natdport": 27,
    "proto": 29,
    "action": 30,
    "bytes_sent": 32,
    "bytes_received": 33,
    "packets": 34,
    "start": 35,
    "elapsed": 36,
    "session_end_reason": 46,  # PAN-OS 6.1+
    "device_name": 52,  # 7.1+
    "rule_uuid": 65,  # 9.0+
    "high_res_timestamp": 102,  # 10.0+
}

# THREAT shares positions 0-30 with TRAFFIC; later fields differ.
THREAT: dict[str, int] = {
    **{k: v for k, v in TRAFFIC.items() if v <= 30},
    "device_name": 59,
    "rule_uuid": 76,
}

# CONFIG, default layout: seqno at 14 and action flags (0x..) at 15; 26 fields in 10.x with the
# high-resolution timestamp last. Before/after change detail is either inline at 14/15 (custom
# format; everything after shifts by two) or appended after the high-resolution timestamp.
CONFIG: dict[str, int] = {
    "receive_time": 1,
    "serial": 2,
    "type": 3,
    "subtype": 4,
    "time_generated": 6,
    "host": 7,
    "vsys": 8,
    "cmd": 9,
    "admin": 10,
    "client": 11,
    "result": 12,
    "path": 13,
    "seqno": 14,
    "actionflags": 15,
    "device_name": 21,
    "high_res_timestamp": 25,
    "before_change_detail": 26,
    "after_change_detail": 27,
}
CONFIG_INLINE_SHIFT = 2  # custom layout: fields from seqno on move right by two

SYSTEM: dict[str, int] = {"serial": 2, "type": 3, "subtype": 4, "time_generated": 6}

# Positions read from every syslog line (the union of what the mappers use).
WIDTH = 160  # fields beyond this are ignored (11.1+ appends; nothing we map lives there)
PROJECT: tuple[int, ...] = tuple(
    sorted(
        {0}
        | set(TRAFFIC.values())
        | set(THREAT.values())
        | set(CONFIG.values())
        | {p + CONFIG_INLINE_SHIFT for k, p in CONFIG.items() if p >= CONFIG["seqno"]}
    )
)

# The fast path first reads only what TRAFFIC needs; rows of other mapped types get the rest later.
TRAFFIC_PROJECT: tuple[int, ...] = tuple(sorted({0} | set(TRAFFIC.values())))
NEEDS_ALL_FIELDS = ("THREAT", "CONFIG")

TYPES = (
    "TRAFFIC",
    "THREAT",
    "CONFIG",
    "SYSTEM",
    "HIPMATCH",
    "HIP-MATCH",
    "USERID",
    "GLOBALPROTECT",
    "AUTHENTICATION",
    "DECRYPTION",
    "TUNNEL",
    "IPTAG",
    "CORRELATION",
    "GTP",
    "SCTP",
    "AUDIT",
    "START",
    "END",
)

# Web UI CSV export: display names (several PAN-OS releases) and internal names, per field key.
ALIASES: dict[str, tuple[str, ...]] = {
    "receive_time": ("Receive Time", "receive_time"),
    "serial": ("Serial #", "Serial Number", "Serial", "serial"),
    "type": ("Type", "type"),
    "subtype": ("Threat/Content Type", "Content/Threat Type", "Subtype", "subtype"),
    "time_generated": ("Generate Time", "Generated Time", "time_generated"),
    "src": ("Source address", "Source Address", "Source IP", "src"),
    "dst": ("Destination address", "Destination Address", "Destination IP", "dst"),
    "natsrc": ("NAT Source IP", "natsrc"),
    "natdst": ("NAT Destination IP", "natdst"),
    "rule": ("Rule", "Rule Name", "rule"),
    "srcuser": ("Source User", "srcuser"),
    "dstuser": ("Destination User", "dstuser"),
    "app": ("Application", "app"),
    "vsys": ("Virtual System", "vsys"),
    "from": ("Source Zone", "from"),
    "to": ("Destination Zone", "to"),
    "inbound_if": ("Inbound Interface", "Ingress Interface", "inbound_if"),
    "outbound_if": ("Outbound Interface", "Egress Interface", "outbound_if"),
    "sessionid": ("Session ID", "sessionid"),
    "repeatcnt": ("Repeat Count", "repeatcnt"),
    "sport": ("Source Port", "sport"),
    "dport": ("Destination Port", "dport"),
    "natsport": ("NAT Source Port", "natsport"),
    "natdport": ("NAT Destination Port", "natdport"),
    "proto": ("IP Protocol", "Protocol", "proto"),
    "action": ("Action", "action"),
    "bytes_sent": ("Bytes Sent", "bytes_sent"),
    "bytes_received": ("Bytes Received", "bytes_received"),
    "packets": ("Packets", "packets"),
    "start": ("Start Time", "start"),
    "elapsed": ("Elapsed Time (sec)", "Elapsed Time", "elapsed"),
    "session_end_reason": ("Session End Reason", "session_end_reason"),
    "device_name": ("Device Name", "device_name"),
    "rule_uuid": ("Rule UUID", "rule_uuid"),
    "high_res_timestamp": ("High Resolution Timestamp", "high_res_timestamp"),
    "host": ("Host", "host"),
    "cmd": ("Command", "cmd"),
    "admin": ("Admin", "admin"),
    "client": ("Client", "client"),
    "result": ("Result", "result"),
    "path": ("Configuration Path", "path"),
    "seqno": ("Sequence Number", "seqno"),
    "before_change_detail": ("Before Change Detail", "before-change-detail"),
    "after_change_detail": ("After Change Detail", "after-change-detail"),
}


def norm_name(name: str) -> str:
    """Header cell -> comparison key (case, spaces and punctuation ignored)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


ALIAS_INDEX: dict[str, str] = {norm_name(a): key for key, names in ALIASES.items() for a in names}
