"""The `netsh interface portproxy` grammar, parsed the way netsh parses it.

netsh matches context words, verbs, types and parameter tags by case-insensitive prefix, taking
the first candidate in its own order when a prefix is ambiguous (`l` = listenport, `c` =
connectaddress, `v` = v4tov4). Untagged values bind by position. This module also unwraps the
shells and remote-execution tools around a netsh call (cmd /c, PowerShell, wmic /node, psexec,
Invoke-Command, netsh -r), so a command line from a process event yields what netsh did and where.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import netaddr

from iocs import services

FAMILIES = ("v4tov4", "v4tov6", "v6tov4", "v6tov6")
# netsh's order of candidates in each context (first match of a prefix wins). Inherited global
# commands (pushd, popd, ...) come after the context's own words, which is why `p` under
# `interface` is portproxy.
ROOT_WORDS = ("interface",)  # the only root context we follow; other prefixes are not portproxy
INTERFACE_WORDS = (
    "6to4",
    "httpstunnel",
    "ipv4",
    "ipv6",
    "isatap",
    "portproxy",
    "tcp",
    "teredo",
)
VERBS = ("add", "delete", "dump", "help", "reset", "set", "show")
SHOW_TYPES = ("all", *FAMILIES)
TAGS_ADD = ("listenport", "connectaddress", "connectport", "listenaddress", "protocol")
TAGS_DELETE = ("listenport", "listenaddress", "protocol")
GLOBAL_WITH_VALUE = {"-a", "-c", "-r", "-u", "-p", "-f"}
STATE_VERBS = {"add", "set", "delete", "reset"}

_SMART = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})
_UNRESOLVED = re.compile(r"[$%]|#\{|\{\{|^\(|^<.*>$|^\[[^\]:]*\]$|^\{.*\}$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$"
)
_REDIR = re.compile(r'[0-9*]?(?:>>?|<)(?:&[0-9]|\s*(?:"[^"]*"|[^\s&|;"]+))?')
_PLACEHOLDER = re.compile(r"<[^<>\s]+>(?=\s|$)")
_PREFIX_WORDS = {"start", "call", ".", "&"}
_LOCAL_NAMES = {".", "localhost", "127.0.0.1", "::1"}


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


# ---------------------------------------------------------------------------------------------
# Lexing shell text (cmd / PowerShell) into words, operators and brace groups.


@dataclass(frozen=True)
class _Tok:
    text: str  # quotes removed
    raw: str  # as written
    kind: str = "word"  # word|op|lbrace|rbrace
    quoted: bool = False


def _lex(text: str) -> list[_Tok]:
    """Split shell text into tokens; quotes grouped, operators and redirections separated."""
    text = text.translate(_SMART)
    toks: list[_Tok] = []
    i, n = 0, len(text)
    buf: list[str] = []
    raw_start = -1
    quoted = False
    depth = 0  # parentheses inside a word, e.g. connectaddress=(wsl hostname -I)
    wdepth = 0  # braces opened inside a word

    def flush(end: int) -> None:
        nonlocal buf, raw_start, quoted
        if raw_start >= 0:
            toks.append(_Tok("".join(buf), text[raw_start:end], "word", quoted))
        buf, raw_start, quoted = [], -1, False

    while i < n:
        ch = text[i]
        if ch in "\"'":
            close = text.find(ch, i + 1)
            if close < 0:  # unbalanced quote: take the rest literally
                if raw_start < 0:
                    raw_start = i
                buf.append(text[i + 1 :])
                quoted = True
                i = n
                continue
            if raw_start < 0:
                raw_start = i
            buf.append(text[i + 1 : close])
            quoted = True
            i = close + 1
            continue
        if ch == "^" and i + 1 < n:  # cmd escape
            if raw_start < 0:
                raw_start = i
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == "(" and raw_start >= 0:
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        if depth:
            buf.append(ch)
            i += 1
            continue
        if ch.isspace():
            flush(i)
            wdepth = 0
            i += 1
            continue
        if ch == "<" and not buf and (ph := _PLACEHOLDER.match(text, i)):
            raw_start = i  # a <placeholder> from a template, not an input redirection
            buf.append(ph.group(0))
            i = ph.end()
            continue
        if (ch in "<>" and not buf) or (
            ch in "0123456789*" and not buf and text[i + 1 : i + 2] == ">"
        ):
            flush(i)
            m = _REDIR.match(text, i)
            i = m.end() if m else i + 1
            continue
        if ch in "&|;":
            flush(i)
            op = text[i : i + 2] if text[i : i + 2] in ("&&", "||") else ch
            toks.append(_Tok(op, op, "op"))
            i += len(op)
            continue
        if ch == "{" and buf:  # a template inside a word: #{listenport}, ={{ip}}
            wdepth += 1
        elif ch == "}" and wdepth:
            wdepth -= 1
        elif ch in "{}":
            flush(i)
            toks.append(_Tok(ch, ch, "lbrace" if ch == "{" else "rbrace"))
            i += 1
            continue
        if ch == "`":  # PowerShell escape / line continuation
            i += 2 if i + 1 >= n or text[i + 1].isspace() else 1
            continue
        if raw_start < 0:
            raw_start = i
        buf.append(ch)
        i += 1
    flush(n)
    return toks


def _segments(toks: list[_Tok]) -> list[list[_Tok]]:
    """Split on command separators at brace depth 0."""
    out: list[list[_Tok]] = [[]]
    depth = 0
    for tok in toks:
        if tok.kind == "lbrace":
            depth += 1
        elif tok.kind == "rbrace":
            depth = max(0, depth - 1)
        if tok.kind == "op" and depth == 0:
            out.append([])
        else:
            out[-1].append(tok)
    return [seg for seg in out if seg]


def _image(word: str) -> str:
    base = re.split(r"[\\/]", word.strip())[-1].lower()
    for ext in (".exe", ".com"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base


@dataclass(frozen=True)
class _Remote:
    host: str | None = None
    via: str | None = None


def _remote(host: str, via: str, current: _Remote) -> _Remote:
    host = host.strip().strip("\"'").lstrip("\\")
    if not host or host.lower() in _LOCAL_NAMES:
        return current
    return _Remote(host, via)


def parse_command_line(text: str) -> list[NetshCommand]:
    """Every netsh portproxy command in a process command line (through any wrappers)."""
    low = text.lower() if text else ""
    if "netsh" not in low and "-e" not in low:
        return []
    return _parse_tokens(_lex(text), _Remote(), 0)


def _parse_text(text: str, remote: _Remote, level: int) -> list[NetshCommand]:
    return _parse_tokens(_lex(text), remote, level + 1)


def _parse_tokens(toks: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    if level > 8:  # nested wrappers deeper than any real command line
        return []
    out: list[NetshCommand] = []
    for seg in _segments(toks):
        out.extend(_segment(seg, remote, level))
    return out


def _sub(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    """A wrapped command: one quoted argument is re-lexed, several tokens are used as they are."""
    if len(rest) == 1 and rest[0].kind == "word" and (rest[0].quoted or " " in rest[0].text):
        return _parse_text(rest[0].text, remote, level)
    return _parse_tokens(rest, remote, level + 1)


def _segment(seg: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    if seg[0].kind == "lbrace":
        close = _match_brace(seg, 0)
        return _parse_tokens(seg[1:close], remote, level + 1)
    words = [t for t in seg if t.kind == "word"]
    if not words:
        return []
    first = seg[0]
    if first.kind == "word" and first.quoted and " " in first.text.strip():
        # `"cmd.exe /c "netsh ...""`: quotes that do not delimit an image path
        head = first.text.strip()
        if not re.match(r"^[A-Za-z]:\\|^\\\\", head) or not head.lower().endswith(".exe"):
            joined = head + " " + " ".join(t.raw for t in seg[1:])
            return _parse_text(joined, remote, level)
    idx = 0
    if len(seg) > 2 and seg[0].text.startswith("$") and seg[1].text == "=":
        idx = 2  # $x = <command>
    while idx < len(seg) and seg[idx].kind == "word" and seg[idx].text.lower() in _PREFIX_WORDS:
        idx += 1
    if idx >= len(seg):
        return []
    image = _image(seg[idx].text) if seg[idx].kind == "word" else ""
    rest = seg[idx + 1 :]
    if image == "netsh" and not any(_is_param(t, "-argumentlist", 4) for t in rest):
        return _netsh(rest, remote)
    if image == "cmd":
        for j, tok in enumerate(rest):
            low = tok.text.lower()
            if tok.kind == "word" and re.fullmatch(r"(/[a-z](:\S*)?)*/[ck]", low):
                return _sub(rest[j + 1 :], remote, level)
            if tok.kind == "word" and re.match(r"^/[ck]\S", low):
                return _parse_text(
                    tok.text[2:] + " " + " ".join(t.raw for t in rest[j + 1 :]), remote, level
                )
            if not low.startswith("/"):
                break
        return []
    if image in ("powershell", "pwsh"):
        return _powershell(rest, remote, level)
    if image in ("invoke-expression", "iex"):
        rest = [t for t in rest if not (t.kind == "word" and t.text.lower().startswith("-c"))]
        return _sub(rest, remote, level)
    if image == "wmic":
        return _wmic(rest, remote, level)
    if image in ("psexec", "psexec64", "paexec"):
        return _psexec(rest, remote, level)
    if image in ("invoke-command", "icm"):
        return _invoke_command(rest, remote, level)
    if image == "winrs":
        return _winrs(rest, remote, level)
    if image in ("start-process", "saps") or (
        image == "netsh" and any(_is_param(t, "-argumentlist", 4) for t in rest)
    ):
        return _start_process(seg[idx:] if image == "netsh" else rest, remote, level)
    # any other command: look inside brace groups (foreach/if blocks, script blocks) and quoted
    # arguments holding a netsh command (a CSV/JSON field, Start-Process -ArgumentList)
    out: list[NetshCommand] = []
    j = 0
    while j < len(seg):
        tok = seg[j]
        if tok.kind == "word" and tok.quoted and " " in tok.text and "netsh" in tok.text.lower():
            out.extend(_parse_text(tok.text.rstrip(",;"), remote, level))
        if seg[j].kind == "lbrace":
            close = _match_brace(seg, j)
            out.extend(_parse_tokens(seg[j + 1 : close], remote, level + 1))
            j = close
        j += 1
    return out


def _match_brace(seg: list[_Tok], start: int) -> int:
    depth = 0
    for j in range(start, len(seg)):
        if seg[j].kind == "lbrace":
            depth += 1
        elif seg[j].kind == "rbrace":
            depth -= 1
            if depth == 0:
                return j
    return len(seg)


def _powershell(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    with_value = ("-executionpolicy", "-windowstyle", "-version", "-inputformat", "-outputformat")
    j = 0
    while j < len(rest):
        tok = rest[j]
        low = tok.text.lower()
        if tok.kind != "word" or not low.startswith("-") or low == "-":
            break
        if low in ("-e", "-ec") or (len(low) >= 3 and "-encodedcommand".startswith(low)):
            if j + 1 < len(rest):
                return _parse_text(_decode_b64(rest[j + 1].text), remote, level)
            return []
        if low == "-c" or (len(low) >= 3 and "-command".startswith(low)):
            return _sub(rest[j + 1 :], remote, level)
        if low in ("-ep", "-ex", "-w") or any(
            w.startswith(low) and len(low) >= 3 for w in with_value
        ):
            j += 2
            continue
        j += 1
    return _sub(rest[j:], remote, level) if j < len(rest) else []


def _decode_b64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode("utf-16-le", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _wmic(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    hosts: list[str] = []
    j = 0
    while j < len(rest):
        low = rest[j].text.lower()
        if low.startswith("/node:"):
            value = rest[j].text[6:]
            if not value and j + 1 < len(rest):
                value = rest[j + 1].text
                j += 1
            hosts = [h for h in re.split(r"[,\s]+", value.strip("\"'")) if h]
        if low == "create":
            out: list[NetshCommand] = []
            for h in hosts or [""]:
                out.extend(_sub(rest[j + 1 :], _remote(h, "wmic", remote), level))
            return out
        j += 1
    return []


def _psexec(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    with_value = {"-u", "-p", "-w", "-n", "-r", "-a", "-priority"}
    host = ""
    j = 0
    while j < len(rest):
        tok = rest[j]
        low = tok.text.lower()
        if tok.kind != "word":
            break
        if low.startswith("\\\\"):
            host = tok.text[2:].split(",")[0]
            j += 1
            continue
        if low in with_value:
            j += 2
            continue
        if low == "-i" and j + 1 < len(rest) and rest[j + 1].text.isdigit():
            j += 2
            continue
        if low.startswith("-") or low.startswith("/"):
            j += 1
            continue
        break
    if j >= len(rest):
        return []
    return _sub(rest[j:], _remote(host, "psexec", remote), level)


def _invoke_command(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    host = ""
    out: list[NetshCommand] = []
    blocks: list[list[_Tok]] = []
    j = 0
    while j < len(rest):
        tok = rest[j]
        low = tok.text.lower()
        if tok.kind == "word" and (
            low == "-cn" or (len(low) >= 3 and "-computername".startswith(low))
        ):
            if j + 1 < len(rest):
                host = rest[j + 1].text.split(",")[0]
            j += 2
            continue
        if tok.kind == "lbrace":
            close = _match_brace(rest, j)
            blocks.append(rest[j + 1 : close])
            j = close + 1
            continue
        j += 1
    target = _remote(host, "invoke-command", remote)
    for block in blocks:
        out.extend(_parse_tokens(block, target, level + 1))
    return out


def _is_param(tok: _Tok, name: str, shortest: int) -> bool:
    """A PowerShell parameter given by any unambiguous prefix (e.g. -Args for -ArgumentList)."""
    low = tok.text.lower()
    return tok.kind == "word" and len(low) >= shortest and name.startswith(low)


def _start_process(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    """`Start-Process [-FilePath] netsh [-ArgumentList] "interface portproxy ..." [-Verb RunAs]`."""
    words = [t for t in rest if t.kind == "word"]
    file_path: str | None = None
    arguments: list[str] = []
    positional: list[str] = []
    j = 0
    while j < len(words):
        tok = words[j]
        if _is_param(tok, "-filepath", 3):
            file_path = words[j + 1].text if j + 1 < len(words) else None
            j += 2
        elif _is_param(tok, "-argumentlist", 4):
            if j + 1 < len(words):
                arguments.extend(a.strip() for a in words[j + 1].text.split(",") if a.strip())
            j += 2
        elif tok.text.startswith("-"):
            j += 2 if j + 1 < len(words) and not words[j + 1].text.startswith("-") else 1
        else:
            positional.append(tok.text)
            j += 1
    if file_path is None and positional:
        file_path = positional.pop(0)
    if not arguments and positional:
        arguments = positional[:1]
    if file_path is None:
        return []
    inner = " ".join([f'"{file_path}"', *arguments])
    return _parse_text(inner, remote, level)


def _winrs(rest: list[_Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    host = ""
    j = 0
    while j < len(rest) and rest[j].kind == "word" and rest[j].text.startswith(("-", "/")):
        m = re.match(r"^[-/](?:r|remote):(.*)$", rest[j].text, re.IGNORECASE)
        if m:
            host = m.group(1)
        j += 1
    return _sub(rest[j:], _remote(host, "winrs", remote), level) if j < len(rest) else []


# ---------------------------------------------------------------------------------------------
# netsh itself


def _netsh(args: list[_Tok], remote: _Remote) -> list[NetshCommand]:
    words = [t.text for t in args if t.kind == "word"]
    context: list[str] = []
    j = 0
    while j < len(words) and words[j].startswith("-") and words[j].lower() in GLOBAL_WITH_VALUE:
        flag = words[j].lower()
        value = words[j + 1] if j + 1 < len(words) else ""
        if flag == "-r":
            remote = _remote(value, "netsh -r", remote)
        elif flag == "-c":
            context = value.split()
        elif flag == "-f":
            return []  # a script file: its lines are not in the command line
        j += 2
    cmd = parse_words(context + words[j:])
    if cmd is None:
        return []
    cmd = replace(cmd, text=" ".join(["netsh", *words]))
    if remote.host:
        cmd = replace(cmd, host=remote.host, remote_via=remote.via)
    return [cmd]


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
        if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", v):
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


# ---------------------------------------------------------------------------------------------
# netsh scripts and dump output: context-relative lines inside pushd/popd


def parse_script(lines: Iterable[tuple[int, str]]) -> list[tuple[int, NetshCommand]]:
    """Commands in a netsh script / `dump` output, honouring `pushd interface portproxy` blocks."""
    out: list[tuple[int, NetshCommand]] = []
    stack: list[bool] = []
    in_pp = False
    for line_no, raw in lines:
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        words = [t.text for t in _lex(text) if t.kind == "word"]
        if not words:
            continue
        head = words[0].lower()
        if head == "pushd":
            stack.append(in_pp)
            in_pp = in_pp if len(words) == 1 else resolve_context(words[1:]) is not None
            continue
        if head == "popd":
            in_pp = stack.pop() if stack else False
            continue
        if in_pp:
            cmd = parse_words(words, in_context=True)
        elif resolve_context(words) is not None:  # `interface portproxy ...` in a netsh -f script
            cmd = parse_words(words)
        else:
            out.extend((line_no, c) for c in parse_command_line(text))
            continue
        if cmd is not None:
            out.append((line_no, cmd))
    return out
