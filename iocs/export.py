"""Write indicators as STIX 2.1, CSV or plain text (what `fwcorr iocs export` prints)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import polars as pl

from fwcorr.output import neutralise_formulas

_NS = uuid.UUID("6b1c3f8e-2f1e-4a53-9a43-5d8d0c1b7f21")  # fwcorr's namespace for stable ids
_CREATED = "1970-01-01T00:00:00.000Z"  # deterministic output; the bundle documents content only


def _pattern(row: dict[str, Any]) -> str | None:
    kind, ip, port = row["kind"], row.get("ip"), row.get("port")
    if kind == "ip" and ip:
        return f"[{'ipv6' if ':' in ip else 'ipv4'}-addr:value = '{ip}']"
    if kind == "cidr" and row.get("cidr"):
        c = row["cidr"]
        return f"[{'ipv6' if ':' in c else 'ipv4'}-addr:value = '{c}']"
    if kind == "ip_port" and ip and port:
        t = "ipv6-addr" if ":" in ip else "ipv4-addr"
        return (
            f"[network-traffic:dst_ref.type = '{t}' AND network-traffic:dst_ref.value = '{ip}'"
            f" AND network-traffic:dst_port = {int(port)}]"
        )
    return None  # port_on_host has no STIX observable


def to_stix(iocs: pl.DataFrame) -> str:
    """A STIX 2.1 bundle with one indicator per IP / CIDR / IP:port indicator."""
    objects = []
    for row in iocs.to_dicts():
        pattern = _pattern(row)
        if pattern is None:
            continue
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid5(_NS, row['id'])}",
                "created": _CREATED,
                "modified": _CREATED,
                "name": f"{row['role']}: {row['value']}",
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": _CREATED,
                "labels": [row["role"]],
            }
        )
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid5(_NS, 'bundle')}", "objects": objects}
    return json.dumps(bundle, indent=2) + "\n"


def to_csv(iocs: pl.DataFrame) -> str:
    """CSV of the indicators, with spreadsheet formulas neutralised."""
    safe = neutralise_formulas(iocs.select("id", "kind", "value", "role", "source"))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(safe.columns)
    writer.writerows(safe.rows())
    return buf.getvalue()


def to_txt(iocs: pl.DataFrame) -> str:
    """One indicator value per line (the plain-text IOC format iocfiles reads back)."""
    return "".join(f"{v}\n" for v in iocs.get_column("value").to_list())


EXPORTERS = {"stix": to_stix, "csv": to_csv, "txt": to_txt}
