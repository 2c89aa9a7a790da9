"""fwcorr: correlate firewall logs with Windows port-proxy evidence."""

from __future__ import annotations

__version__ = "0.1.0"
