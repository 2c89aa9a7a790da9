"""FortiGate field tables: key aliases, protocol numbers, actions, config logids and paths.

Vendor names as data (checked against fwcorr.schema by tests), kept apart from the parsing code.
"""

from __future__ import annotations

import re

# Keys read from every key=value line (FortiOS 5.x-7.x names).
TRAFFIC_KEYS: tuple[str, ...] = (
    "type",
    "subtype",
    "logid",
    "devname",
    "devid",
    "vd",
    "eventtime",
    "srcip",
    "srcport",
    "srcintf",
    "srcintfrole",
    "dstip",
    "dstport",
    "dstintf",
    "dstintfrole",
    "sessionid",
    "proto",
    "action",
    "policyid",
    "policyname",
    "poluuid",
    "service",
    "trandisp",
    "transip",
    "transport",
    "tranip",
    "tranport",
    "duration",
    "sentbyte",
    "rcvdbyte",
    "sentpkt",
    "rcvdpkt",
    "app",
    "user",
)

# Keys read only for lines that lack eventtime (older firmware, FortiAnalyzer exports).
TIME_KEYS: tuple[str, ...] = ("date", "time", "tz", "timestamp")

# Keys read only for configuration-change candidates (type=event subtype=system).
CONFIG_KEYS: tuple[str, ...] = ("ui", "cfgtid", "cfgpath", "cfgobj", "cfgattr", "msg", "tz")

# FortiOS 4.3 key names -> current names (read only where the current key is absent).
LEGACY_ALIASES: dict[str, tuple[str, ...]] = {
    "logid": ("log_id",),
    "srcip": ("src",),
    "dstip": ("dst",),
    "srcport": ("src_port",),
    "dstport": ("dst_port",),
    "srcintf": ("src_int",),
    "dstintf": ("dst_int",),
    "sentbyte": ("sent",),
    "rcvdbyte": ("rcvd",),
    "sentpkt": ("sent_pkt",),
    "rcvdpkt": ("rcvd_pkt",),
    "trandisp": ("tran_disp",),
    "transip": ("tran_sip",),
    "transport": ("tran_sport",),
    "tranip": ("tran_ip",),
    "tranport": ("tran_port",),
    "devid": ("device_id",),
    "action": ("status",),
}

# CEF extension keys (FortiOS "format cef") -> FortiOS names. FTNTFGT<key> maps to <key>.
CEF_ALIASES: dict[str, tuple[str, ...]] = {
    "srcip": ("src",),
    "dstip": ("dst",),
    "srcport": ("spt",),
    "dstport": ("dpt",),
    "srcintf": ("deviceInboundInterface",),
    "dstintf": ("deviceOutboundInterface",),
    "sessionid": ("externalId",),
    "action": ("act",),
    "sentbyte": ("out",),
    "rcvdbyte": ("in",),
    "transip": ("sourceTranslatedAddress",),
    "transport": ("sourceTranslatedPort",),
    "tranip": ("destinationTranslatedAddress",),
    "tranport": ("destinationTranslatedPort",),
    "devid": ("deviceExternalId",),
    "devname": ("dvchost",),
    "user": ("suser", "duser"),
    "policyid": ("cs5",),  # cs5Label=Policy Id on 5.6
    "duration": ("cn1",),  # cn1Label=Duration on 5.6
    "sentpkt": ("cn2",),  # cn2Label=Packets Sent on 5.6
    "rcvdpkt": ("cn3",),  # cn3Label=Packets Received on 5.6
}

# IANA protocol numbers seen in firewall logs.
PROTO_NAMES: dict[str, str] = {
    "0": "hopopt",
    "1": "icmp",
    "2": "igmp",
    "4": "ipip",
    "6": "tcp",
    "17": "udp",
    "33": "dccp",
    "41": "ipv6",
    "47": "gre",
    "50": "esp",
    "51": "ah",
    "58": "ipv6-icmp",
    "88": "eigrp",
    "89": "ospf",
    "103": "pim",
    "112": "vrrp",
    "115": "l2tp",
    "132": "sctp",
    "136": "udplite",
}
ICMP_PROTOS: tuple[str, ...] = ("icmp", "ipv6-icmp")

# FortiGate traffic `action` is the session status; only deny/drop/block are blocked sessions.
ACTIONS: dict[str, str] = {
    "accept": "allow",
    "start": "allow",
    "close": "allow",
    "timeout": "allow",
    "client-rst": "allow",
    "server-rst": "allow",
    "ip-conn": "allow",
    "deny": "deny",
    "block": "deny",
    "blocked": "deny",
    "drop": "drop",
    "dropped": "drop",
}
# Session-status values that mean the log was written at session end (ts = eventtime - duration).
SESSION_END: tuple[str, ...] = ("accept", "close", "timeout", "client-rst", "server-rst")

# Configuration-change log ids (type=event subtype=system).
CONFIG_LOGIDS: dict[str, str] = {
    "0100044544": "path configured",
    "0100044545": "object configured",
    "0100044546": "attribute configured",
    "0100044547": "object attribute configured",
    "0100044548": "action performed",
    "0100044549": "object attribute configured by maintainer",
    "0100044550": "object configured by maintainer",
    "0100044551": "attribute configured by maintainer",
    "0100044552": "path configured by maintainer",
    "0100032099": "configuration changed information",
    "0100032102": "configuration changed",
    "0100032104": "configuration changed",
}

# FortiGate `action` on config logs -> RULE_CHANGE.operation.
OPERATIONS: dict[str, str] = {
    "add": "add",
    "clone": "add",
    "edit": "modify",
    "set": "modify",
    "unset": "modify",
    "delete": "delete",
    "purge": "delete",
    "move": "move",
    "rename": "rename",
}

# cfgpath -> RULE_CHANGE.object_type, first match wins.
OBJECT_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^firewall\.(?:policy(?:6|46|64)?|security-policy|local-in-policy6?|"
            r"multicast-policy6?|proxy-policy|interface-policy6?|dos-policy6?)(?:\.|$)"
        ),
        "security_rule",
    ),
    (re.compile(r"^firewall\.vip(?:6|46|64)?(?:\.|$)"), "vip"),
    (re.compile(r"^firewall\.vipgrp(?:6|46|64)?(?:\.|$)"), "vip"),
    (re.compile(r"^firewall\.(?:central-snat-map6?|ippool6?)(?:\.|$)"), "nat_rule"),
    (re.compile(r"^firewall\.(?:address|addrgrp|multicast-address)"), "address"),
    (re.compile(r"^firewall\.service\."), "service"),
    (re.compile(r"^system\.admin(?:\.|$)"), "admin"),
)


def object_type(cfgpath: str | None) -> str:
    """RULE_CHANGE.object_type for a FortiGate configuration path."""
    if not cfgpath:
        return "other"
    for pattern, kind in OBJECT_TYPES:
        if pattern.search(cfgpath):
            return kind
    return "other"
