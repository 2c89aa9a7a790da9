"""Commands in process command lines and netsh scripts: shells and remote execution unwrapped.

cmd /c, PowerShell (-Command, -EncodedCommand, Invoke-Expression, Start-Process, `& netsh`,
script blocks), and remote execution (wmic /node, psexec, Invoke-Command -ComputerName, winrs,
netsh -r) where the proxy lives on the remote machine: its command gets host/remote_via set.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from iocs.netsh import GLOBAL_WITH_VALUE, NetshCommand, parse_words, resolve_context
from iocs.shell import Tok, image_name, lex, match_brace, segments

_PREFIX_WORDS = {"start", "call", ".", "&"}
_LOCAL_NAMES = {".", "localhost", "127.0.0.1", "::1"}


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
    return _parse_tokens(lex(text), _Remote(), 0)


def _parse_text(text: str, remote: _Remote, level: int) -> list[NetshCommand]:
    return _parse_tokens(lex(text), remote, level + 1)


def _parse_tokens(toks: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    if level > 8:  # nested wrappers deeper than any real command line
        return []
    out: list[NetshCommand] = []
    for seg in segments(toks):
        out.extend(_segment(seg, remote, level))
    return out


def _sub(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    """A wrapped command: one quoted argument is re-lexed, several tokens are used as they are."""
    if len(rest) == 1 and rest[0].kind == "word" and (rest[0].quoted or " " in rest[0].text):
        return _parse_text(rest[0].text, remote, level)
    return _parse_tokens(rest, remote, level + 1)


def _segment(seg: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    if seg[0].kind == "lbrace":
        close = match_brace(seg, 0)
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
    image = image_name(seg[idx].text) if seg[idx].kind == "word" else ""
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
            close = match_brace(seg, j)
            out.extend(_parse_tokens(seg[j + 1 : close], remote, level + 1))
            j = close
        j += 1
    return out


def _powershell(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
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


def _wmic(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
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


def _psexec(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
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


def _invoke_command(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    host = ""
    out: list[NetshCommand] = []
    blocks: list[list[Tok]] = []
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
            close = match_brace(rest, j)
            blocks.append(rest[j + 1 : close])
            j = close + 1
            continue
        j += 1
    target = _remote(host, "invoke-command", remote)
    for block in blocks:
        out.extend(_parse_tokens(block, target, level + 1))
    return out


def _is_param(tok: Tok, name: str, shortest: int) -> bool:
    """A PowerShell parameter given by any unambiguous prefix (e.g. -Args for -ArgumentList)."""
    low = tok.text.lower()
    return tok.kind == "word" and len(low) >= shortest and name.startswith(low)


def _start_process(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
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


def _winrs(rest: list[Tok], remote: _Remote, level: int) -> list[NetshCommand]:
    host = ""
    j = 0
    while j < len(rest) and rest[j].kind == "word" and rest[j].text.startswith(("-", "/")):
        m = re.match(r"^[-/](?:r|remote):(.*)$", rest[j].text, re.IGNORECASE)
        if m:
            host = m.group(1)
        j += 1
    return _sub(rest[j:], _remote(host, "winrs", remote), level) if j < len(rest) else []


def _netsh(args: list[Tok], remote: _Remote) -> list[NetshCommand]:
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


def parse_script(lines: Iterable[tuple[int, str]]) -> list[tuple[int, NetshCommand]]:
    """Commands in a netsh script / `dump` output, honouring `pushd interface portproxy` blocks."""
    out: list[tuple[int, NetshCommand]] = []
    stack: list[bool] = []
    in_pp = False
    for line_no, raw in lines:
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        words = [t.text for t in lex(text) if t.kind == "word"]
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
