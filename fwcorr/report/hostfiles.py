"""Host names (attacker-controlled) to safe, unique, deterministic file names."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_RESERVED = {
    "con", "prn", "aux", "nul", "clock$",
    *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10)),
}  # fmt: skip
MAX_STEM = 48


def safe_stem(host: str) -> str:
    """A file-name stem: ASCII letters, digits, '_' and '-' only, never a device name.

    A short hash of the exact original name keeps names that sanitise alike (or differ only
    in case, on case-insensitive file systems) apart.
    """
    text = unicodedata.normalize("NFKC", host)
    base = _UNSAFE.sub("_", text).strip("_-")[:MAX_STEM] or "host"
    if base.lower() in _RESERVED or base.lower().split("_", 1)[0] in _RESERVED:
        base = f"host_{base}"
    digest = hashlib.sha256(host.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{base}-{digest[:8]}"


def assign_names(hosts: list[str]) -> dict[str, str]:
    """Map each distinct host name to a unique stem (longer hash on the rare collision)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for host in sorted(set(hosts)):
        stem = safe_stem(host)
        if stem.lower() in used:
            digest = hashlib.sha256(host.encode("utf-8", "surrogatepass")).hexdigest()
            stem = f"{stem.rsplit('-', 1)[0]}-{digest[:20]}"
        used.add(stem.lower())
        out[host] = stem
    return out
