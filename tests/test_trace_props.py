"""Property: trace never pairs legs outside the lag window or outside the proxy's active period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fwcorr.assets import build_assets
from fwcorr.config import config_from_dict
from fwcorr.schema import CONNECTION, PORTPROXY, conform
from fwcorr.trace import trace

T = datetime(2024, 5, 1, tzinfo=UTC)
CONFIG = config_from_dict(
    {"hosts": {"WS01": {"ips": ["10.1.1.10"]}}, "trace": {"max_lag_s": 3, "slack_s": 60}}
)
ASSETS = build_assets(CONFIG)

session = st.tuples(
    st.booleans(),  # inbound (client -> WS01:9999) or outbound (WS01 -> 10.1.2.20:8443)
    st.integers(-400, 400),  # start, seconds (halves allowed below)
    st.booleans(),
    st.sampled_from([None, 100, 105, 300]),  # bytes_out
    st.sampled_from(["allow", "allow", "deny"]),
)


@settings(max_examples=60, deadline=None)
@given(
    sessions=st.lists(session, max_size=25),
    first=st.integers(-200, 100),
    length=st.one_of(st.none(), st.integers(0, 400)),
)
def test_pairs_stay_inside_window_and_active_period(
    sessions: list[tuple[bool, int, bool, int | None, str]], first: int, length: int | None
) -> None:
    rows = []
    for n, (inbound, sec, half, nbytes, action) in enumerate(sessions):
        ts = T + timedelta(seconds=sec + (0.5 if half else 0))
        if inbound:
            ends = {"src_ip": "198.51.100.7", "dst_ip": "10.1.1.10", "dst_port": 9999}
        else:
            ends = {"src_ip": "10.1.1.10", "dst_ip": "10.1.2.20", "dst_port": 8443}
        rows.append(
            ends
            | {"ts": ts, "src_port": 40000 + n, "bytes_out": nbytes, "action": action,
               "device": "FW", "src_file": "fw.log", "src_line": n + 1}
        )  # fmt: skip
    table = conform(pl.DataFrame(rows, schema_overrides={"ts": pl.Datetime("us", "UTC")}) if rows
                    else pl.DataFrame(), CONNECTION).collect()  # fmt: skip
    first_seen = T + timedelta(seconds=first)
    removed = None if length is None else first_seen + timedelta(seconds=length)
    proxy = conform(
        pl.DataFrame(
            [{"proxy_id": "p", "host": "WS01", "listen_address": "0.0.0.0", "listen_port": 9999,
              "connect_address": "10.1.2.20", "connect_port": 8443, "first_seen": first_seen,
              "removed_at": removed}]
        ),
        PORTPROXY,
    ).collect()  # fmt: skip
    result = trace(table, proxy, ASSETS, CONFIG)
    start = first_seen - timedelta(seconds=60)
    for row in result.pairs.iter_rows(named=True):
        lag = (row["out_ts"] - row["in_ts"]).total_seconds()
        assert 0 <= lag <= 3
        assert row["in_ts"] >= start
        assert removed is None or row["in_ts"] < removed
        if row["in_bytes"] is not None and row["out_bytes"] is not None:
            assert abs(row["in_bytes"] - row["out_bytes"]) <= 0.10 * max(
                row["in_bytes"], row["out_bytes"]
            )
    # each leg is used at most once, and blocked sessions never become legs
    assert result.pairs.get_column("leg_id").is_unique().all()
    assert result.pairs.get_column("leg_id_out").is_unique().all()
    allowed = sum(1 for s in sessions if s[4] == "allow")
    assert result.legs.height <= allowed
    assert len(result.traces) == result.pairs.height
