"""The `netsh interface portproxy` grammar, parsed the way netsh parses it.

netsh matches context words, verbs, types and parameter tags by case-insensitive prefix, taking
the first candidate in its own order when a prefix is ambiguous (`l` = listenport, `c` =
connectaddress, `v` = v4tov4). Untagged values bind by position. Shell wrappers and remote
execution around a netsh call are unwrapped in iocs.commandline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import netaddr

from iocs import services

FAMILIES = ("v4tov4", "v4tov6", "v6tov4", "v6tov6")
# netsh's order of candidates in each context (first match of a prefix wins). Inherited global
# commands (pushd, popd, ...) come after the context's own words, which is why `p` under
# `interface` is portproxy.
ROOT_WORDS = ("interface",)  # the only root context we follow; other prefixes are not portproxy
INTERFACE_WORDS = (  # `netsh interface ?` as documented: subcontexts and commands, alphabetical
    "6to4",
    "clat",
    "dump",
    "fl48",
    "fl68",
    "help",
    "httpstunnel",
    "ipv4",
    "ipv6",
    "isatap",
    "portproxy",
    "set",
    "show",
    "tcp",
    "teredo",
    "udp",
)
VERBS = ("add", "delete", "dump", "help", "reset", "set", "show")
SHOW_TYPES = ("all", *FAMILIES)
TAGS_ADD = ("listenport", "connectaddress", "connectport", "listenaddress", "protocol")
TAGS_DELETE = ("listenport", "listenaddress", "protocol")
GLOBAL_WITH_VALUE = {"-a", "-c", "-r", "-u", "-p", "-f"}

_UNRESOLVED = re.compile(r"[$%]|#\{|\{\{|^\(|^<.*>$|^\[[^\]:]*\]$|^\{.*\}$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$"
)


@dataclass(frozen=True)
class NetshCommand:
    """One netsh portproxy command as netsh would execute it.

    host/remote_via are set when a remote-execution wrapper ran it on another machine.
    """

    verb: str  # add|set|delete|reset|show|dump|help
    family: str | None = None
    listen_address: str | None = None
    listen_port: int | None = None
    connect_address: str | None = None
    connect_port: int | None = None
    protocol: str | None = None
    valid: bool = True
    invalid_reason: str | None = None
    host: str | None = None
    remote_via: str | None = None
    text: str = ""


def match_word(word: str, candidates: Iterable[str]) -> str | None:
    """netsh's prefix match: the first candidate (in netsh's order) that starts with `word`."""
    low = word.lower()
    if not low:
        return None
    for cand in candidates:
        if cand.startswith(low):
            return cand
    return None


def resolve_context(words: list[str]) -> int | None:
    """How many leading words select the `interface portproxy` context, or None if they don't."""
    if len(words) < 2:
        return None
    if match_word(words[0], ROOT_WORDS) != "interface":
        return None
    if match_word(words[1], INTERFACE_WORDS) != "portproxy":
        return None
    return 2


def parse_words(words: list[str], in_context: bool = False) -> NetshCommand | None:
    """A portproxy command from netsh words (after global options); None if not portproxy.

    `in_context` means the words are relative to `interface portproxy` (pushd block, dump).
    """
    text = " ".join(words)
    if not in_context:
        skip = resolve_context(words)
        if skip is None:
            return None
        words = words[skip:]
    if not words:
        return None
    verb = match_word(words[0], VERBS)
    if verb is None:
        return None
    args = words[1:]
    if verb in ("dump", "help"):
        return NetshCommand(verb=verb, text=text)
    if verb == "reset":
        return NetshCommand(verb="reset", protocol="tcp", text=text)
    if not args:
        return _invalid(verb, None, "missing type", text)
    if verb == "show":
        kind = match_word(args[0], SHOW_TYPES)
        if kind is None:
            return _invalid(verb, None, f"unknown type: {args[0]}", text)
        return NetshCommand(verb="show", family=None if kind == "all" else kind, text=text)
    family = match_word(args[0], FAMILIES)
    if family is None:
        return _invalid(verb, None, f"unknown type: {args[0]}", text)
    return _bind(verb, family, args[1:], text)


def _invalid(verb: str, family: str | None, reason: str, text: str, **kw: object) -> NetshCommand:
    return NetshCommand(
        verb=verb, family=family, valid=False, invalid_reason=reason, text=text, **kw
    )  # type: ignore[arg-type]


def _bind(verb: str, family: str, args: list[str], text: str) -> NetshCommand:
    tags = TAGS_DELETE if verb == "delete" else TAGS_ADD
    values: dict[str, str] = {}
    problem: str | None = None
    for pos, arg in enumerate(args):
        tag_text, sep, value = arg.partition("=")
        if sep:
            tag = match_word(tag_text, tags)
            if tag is None:
                problem = problem or f"unknown tag: {tag_text or '(empty)'}"
                continue
        else:
            if pos >= len(tags):
                problem = problem or f"too many arguments: {arg}"
                continue
            tag, value = tags[pos], arg
        if tag in values:
            problem = problem or f"duplicate tag: {tag}"
            continue
        values[tag] = value
    v6_listen, v6_connect = family[1] == "6", family[-1] == "6"
    fields: dict[str, object] = {}
    reasons: list[str] = [problem] if problem else []
    lp = values.get("listenport")
    if lp is None:
        reasons.append("missing listenport")
    else:
        port, why = _port(lp, "listenport")
        fields["listen_port"] = port
        if why:
            reasons.append(why)
    la = values.get("listenaddress")
    if la is None:
        fields["listen_address"] = "*"
    else:
        addr, why = _address(la, "listenaddress", v6_listen)
        fields["listen_address"] = addr
        if why:
            reasons.append(why)
    proto = values.get("protocol")
    fields["protocol"] = "tcp" if proto is None else proto.lower()
    if proto is not None and proto.lower() != "tcp":
        reasons.append(f"unsupported protocol: {proto}")
    if verb in ("add", "set"):
        ca = values.get("connectaddress")
        if ca is None:
            if verb == "add":
                reasons.append("missing connectaddress")
        else:
            addr, why = _address(ca, "connectaddress", v6_connect)
            fields["connect_address"] = addr
            if why:
                reasons.append(why)
        cp = values.get("connectport")
        if cp is None:
            fields["connect_port"] = fields.get("listen_port")
        else:
            port, why = _port(cp, "connectport")
            fields["connect_port"] = port
            if why:
                reasons.append(why)
    reason = "; ".join(dict.fromkeys(r for r in reasons if r)) or None
    return NetshCommand(
        verb=verb,
        family=family,
        valid=reason is None,
        invalid_reason=reason,
        text=text,
        **fields,  # type: ignore[arg-type]
    )


def _unresolved(value: str) -> bool:
    return bool(_UNRESOLVED.search(value))


def _port(value: str, tag: str) -> tuple[int | None, str | None]:
    v = value.strip()
    if not v:
        return None, f"empty value for {tag}"
    if _unresolved(v):
        return None, f"unresolved expression in {tag}: {v}"
    if v.isdigit():
        port = int(v)
        if 1 <= port <= 65535:
            return port, None
        return None, f"port out of range in {tag}: {v}"
    resolved = services.resolve(v)
    if resolved is None:
        return None, f"unknown port or service name in {tag}: {v}"
    return resolved, None


def canonical_address(value: str) -> str | None:
    """Canonical text of an IPv4/IPv6 address (bracketed v6 accepted), else None."""
    v = value.strip()
    if v.startswith("[") and v.endswith("]"):
        v = v[1:-1]
    if "%" in v:
        return None
    try:
        if ":" in v:
            ip = netaddr.IPAddress(v, 6)
            if ip.is_ipv4_mapped():
                return str(ip.ipv4())
            return str(ip).lower()
        if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", v):
            return str(netaddr.IPAddress(v, 4))
    except (netaddr.AddrFormatError, ValueError):
        return None
    return None


def _address(value: str, tag: str, v6: bool) -> tuple[str | None, str | None]:
    v = value.strip()
    if not v:
        return None, f"empty value for {tag}"
    if v == "*":
        return "*", None
    ip = canonical_address(v)
    if ip is not None:
        return ip, None
    if _unresolved(v):
        return None, f"unresolved expression in {tag}: {v}"
    if re.fullmatch(r"[0-9.]+", v) or not _HOSTNAME.match(v):
        return None, f"invalid address in {tag}: {v}"
    return v, None
