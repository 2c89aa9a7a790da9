"""`.reg` exports of the PortProxy key (regedit / `reg export`)."""

from __future__ import annotations

from iocs.src_registry_text import parse_regfile as parse
from iocs.src_registry_text import sniff_regfile as sniff

NAME = "regfile"
__all__ = ["NAME", "parse", "sniff"]
