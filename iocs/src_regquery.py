"""`reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\PortProxy /s` captures."""

from __future__ import annotations

from iocs.src_registry_text import parse_regquery as parse
from iocs.src_registry_text import sniff_regquery as sniff

NAME = "reg_query"
__all__ = ["NAME", "parse", "sniff"]
