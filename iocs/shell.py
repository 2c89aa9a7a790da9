"""Shell text (cmd.exe and PowerShell) as tokens: words, operators, brace groups.

Enough of both shells' quoting to find the commands in a process command line: double and
single quotes, cmd `^` escapes, PowerShell backticks, `&`/`&&`/`||`/`;`/`|` separators,
redirections (dropped), `{ ... }` blocks, and words holding `(...)`, `#{...}` or `<...>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SMART = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})
_REDIR = re.compile(r'[0-9*]?(?:>>?|<)(?:&[0-9]|\s*(?:"[^"]*"|[^\s&|;"]+))?')
_PLACEHOLDER = re.compile(r"<[^<>\s]+>(?=\s|$)")


@dataclass(frozen=True)
class Tok:
    """A word (quotes removed, `raw` as written), an operator or a brace."""

    text: str  # quotes removed
    raw: str  # as written
    kind: str = "word"  # word|op|lbrace|rbrace
    quoted: bool = False


def lex(text: str) -> list[Tok]:
    """Split shell text into tokens; quotes grouped, operators and redirections separated."""
    text = text.translate(_SMART)
    toks: list[Tok] = []
    i, n = 0, len(text)
    buf: list[str] = []
    raw_start = -1
    quoted = False
    depth = 0  # parentheses inside a word, e.g. connectaddress=(wsl hostname -I)
    wdepth = 0  # braces opened inside a word

    def flush(end: int) -> None:
        nonlocal buf, raw_start, quoted
        if raw_start >= 0:
            toks.append(Tok("".join(buf), text[raw_start:end], "word", quoted))
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
            toks.append(Tok(op, op, "op"))
            i += len(op)
            continue
        if ch == "{" and buf:  # a template inside a word: #{listenport}, ={{ip}}
            wdepth += 1
        elif ch == "}" and wdepth:
            wdepth -= 1
        elif ch in "{}":
            flush(i)
            toks.append(Tok(ch, ch, "lbrace" if ch == "{" else "rbrace"))
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


def segments(toks: list[Tok]) -> list[list[Tok]]:
    """Split on command separators at brace depth 0."""
    out: list[list[Tok]] = [[]]
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


def match_brace(seg: list[Tok], start: int) -> int:
    """Index of the brace closing the one at `start` (len(seg) when unbalanced)."""
    depth = 0
    for j in range(start, len(seg)):
        if seg[j].kind == "lbrace":
            depth += 1
        elif seg[j].kind == "rbrace":
            depth -= 1
            if depth == 0:
                return j
    return len(seg)


def image_name(word: str) -> str:
    """Program name of a command word: `C:\\Windows\\system32\\NETSH.EXE` -> `netsh`."""
    base = re.split(r"[\\/]", word.strip())[-1].lower()
    for ext in (".exe", ".com"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base
