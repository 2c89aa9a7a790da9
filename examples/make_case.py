#!/usr/bin/env python3
"""Generate the fwcorr example incident case (modelled on CISA AA23-144A, Volt Typhoon).

Deterministic: the same --seed and --scale give byte-identical files. --scale N multiplies
the benign background traffic (N=1 is a ~3 MB case; N=400 is about 1 GB) for benchmarks.
See examples/README.md for the topology, the planted activity and which device logs what.

    python examples/make_case.py --out examples/case [--seed 7] [--scale 1]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from case_background import (
    BG_PER_SCALE,
    fg_background,
    pa_background,
    pfw_background,
)
from case_formats import (
    ecs_json,
    events_document,
    fg_event_line,
    fg_traffic_tokens,
    pa_config_line,
    pa_traffic_tokens,
    pfirewall_header,
    pfirewall_tokens,
    show_all,
)
from case_render import US, epoch_us, fmt, iso, render, ts_col
from case_windows import PP_KEY, HostLog

# ---- the site ---------------------------------------------------------------------------------

PA = {"name": "PA-EDGE-01", "serial": "013201004711", "zone": "America/New_York"}
FG = {"name": "FG-CORE-01", "devid": "FG100FTK21004567", "tz": "-0500", "relay": "10.10.0.2"}
FG_ZONE = "-05:00"
DOMAIN = "corp.example.com"
HOSTS = {
    "WEB01": "10.10.20.15",
    "APP02": "10.10.30.21",
    "APP03": "10.10.30.22",
    "DB01": "10.10.40.5",
    "DEV01": "10.10.50.31",
    "ADM-WS01": "10.10.50.10",
    "DC01": "10.10.30.5",
}
HOST_ZONE = "America/New_York"
PA_PUBLIC_WEB = "203.0.113.10"
PA_SNAT = "203.0.113.2"
FG_VIP_IP = "203.0.113.80"
ATTACKER_A = "198.51.100.23"
ATTACKER_B = "198.51.100.77"
CASE_START = epoch_us("2026-02-02T00:00:00Z")
CASE_END = epoch_us("2026-02-12T18:00:00Z")
SVCHOST_PID = {"WEB01": 2876, "APP02": 2412, "APP03": 3044, "DB01": 1968}


SITE_YAML = """\
# Site configuration for the fwcorr example case (CONTRACT.md format).
internal_networks: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
devices:
  PA-EDGE-01:
    serial: "013201004711"
    timezone: America/New_York     # PAN-OS writes local time; its HRT field carries the offset
    perimeter: true
    untrusted_zones: [untrust]
  FG-CORE-01:
    timezone: America/New_York     # FortiOS also writes tz="-0500" and a UTC eventtime
    perimeter: true                # core firewall with a direct internet breakout on wan1
    untrusted_interfaces: [wan1]
hosts:
  WEB01: {ips: [10.10.20.15], timezone: America/New_York}
  APP02: {ips: [10.10.30.21], timezone: America/New_York}
  APP03: {ips: [10.10.30.22], timezone: America/New_York}
  DB01: {ips: [10.10.40.5], timezone: America/New_York}
  DEV01: {ips: [10.10.50.31], timezone: America/New_York}
  ADM-WS01: {ips: [10.10.50.10], timezone: America/New_York}
  DC01: {ips: [10.10.30.5], timezone: America/New_York}
allowlist:
  admins: [alice, bob.ops]
  portproxies:
    - {host: DEV01, listen_port: 3000, connect_address: 172.24.141.7}
change_windows:
  - {days: [sat], start: "20:00", end: "23:59", timezone: America/New_York}
trace:
  max_lag_s: 5.0
  byte_tolerance: 0.10
"""


@dataclass
class Stream:
    """One output file: planted lines (with optional ground-truth tags) plus background."""

    rel: str
    header: list[str] = field(default_factory=list)
    planted: list[tuple[int, str, str | None]] = field(default_factory=list)
    newline: str = "\n"

    def add(self, us: int, line: str, tag: str | None = None) -> None:
        self.planted.append((us, line, tag))


def one(tokens: list, **cols: object) -> str:
    """Render a single line from a template and scalar column values."""
    return render(tokens, pl.DataFrame({k: [v] for k, v in cols.items()}))[0]


# ---- device line builders -----------------------------------------------------------------------


def pa_times(us: int) -> dict[str, str]:
    frame = pl.DataFrame({"t": ts_col("t", [us])})
    row = frame.select(
        syslog=fmt(pl.col("t"), PA["zone"], "%b %e %H:%M:%S"),
        local=fmt(pl.col("t"), PA["zone"], "%Y/%m/%d %H:%M:%S"),
        hrt=fmt(pl.col("t"), PA["zone"], "%Y-%m-%dT%H:%M:%S%.3f%:z"),
    ).row(0, named=True)
    return row


PA_TRAFFIC = pa_traffic_tokens(PA["name"], PA["serial"], {})


def pa_session(
    start_us: int, dur: int, src: str, sport: int, dst: str, dport: int, natdst: str,
    natdport: int, rule: str, app: str, bsent: int, brecv: int, sid: int,
    zones: tuple[str, str], ifs: tuple[str, str],
) -> tuple[int, str]:  # fmt: skip
    """A TRAFFIC end log for a session (logged when it ends, Start Time = session start)."""
    end_us = start_us + dur * US + 183_000
    t_end, t_start = pa_times(end_us), pa_times(start_us)
    pkts_s, pkts_r = max(3, bsent // 900), max(3, brecv // 1300)
    line = one(
        PA_TRAFFIC, syslog_ts=t_end["syslog"], receive_time=t_end["local"], subtype="end",
        time_generated=t_end["local"], src=src, dst=dst, natsrc="0.0.0.0", natdst=natdst,
        rule=rule, app=app, **{"from": zones[0], "to": zones[1]}, inbound_if=ifs[0],
        outbound_if=ifs[1], sessionid=sid, sport=sport, dport=dport, natsport=0,
        natdport=natdport, flags="0x400053", action="allow", bytes=bsent + brecv,
        bytes_sent=bsent, bytes_received=brecv, packets=pkts_s + pkts_r,
        start=t_start["local"], elapsed=dur, seqno=7_300_000_000_000_000 + end_us // 1000,
        srcloc="United States", dstloc="10.0.0.0-10.255.255.255", pkts_sent=pkts_s,
        pkts_received=pkts_r, session_end_reason="tcp-fin", src_uuid="", dst_uuid="",
        rule_uuid="8f2b6a4e-93c1-4d55-b0a2-5e1f7c9d3a61", policy_id="", link_switches="",
        sdwan_cluster="", sdwan_device_type="", sdwan_cluster_type="", sdwan_site="",
        dynusergroup="", xff="", src_category="", src_profile="", src_model="",
        src_vendor="", src_osfamily="", src_osversion="", src_host="", src_mac="",
        dst_category="", dst_profile="", dst_model="", dst_vendor="", dst_osfamily="",
        dst_osversion="", dst_host="", dst_mac="", container_id="", pod_namespace="",
        pod_name="", src_edl="", dst_edl="", hostid="", user_serial="", src_dag="",
        dst_dag="", high_res_timestamp=t_end["hrt"], nssai_sst="", nssai_sd="",
        subcategory_of_app="database", category_of_app="business-systems",
        technology_of_app="client-server", risk_of_app="4",
    )  # fmt: skip
    return end_us, line


def pa_config(us: int, host: str, cmd: str, admin: str, path: str, after: str | None = None,
              before: str | None = None) -> tuple[int, str]:  # fmt: skip
    t = pa_times(us)
    line = pa_config_line(
        t["syslog"], PA["name"], PA["serial"], t["local"], t["hrt"], host, cmd, admin, "Web",
        path, 7_100_000_000_000_000 + us // 1000, before=before, after=after,
    )  # fmt: skip
    return us, line


FG_FWD = fg_traffic_tokens(FG["name"], FG["devid"], FG["tz"], FG["relay"])
FG_DNAT = fg_traffic_tokens(FG["name"], FG["devid"], FG["tz"], FG["relay"], dnat=True)


def fg_prefix(us: int) -> dict[str, str]:
    frame = pl.DataFrame({"t": ts_col("t", [us])})
    return frame.select(
        syslog=fmt(pl.col("t"), "UTC", "%Y-%m-%dT%H:%M:%S%.6f+00:00"),
        date=fmt(pl.col("t"), FG_ZONE, "%Y-%m-%d"),
        time=fmt(pl.col("t"), FG_ZONE, "%H:%M:%S"),
    ).row(0, named=True)


def fg_session(
    start_us: int, dur: int, src: str, sport: int, dst: str, dport: int, intfs: tuple[str, str],
    roles: tuple[str, str], policy: tuple[int, str, str], service: str, sent: int, rcvd: int,
    sid: int, tran: tuple[str, int] | None = None, country: str = "Reserved",
) -> tuple[int, str]:  # fmt: skip
    """A FortiGate forward-traffic close log: eventtime = start + duration (ns)."""
    end_us = start_us + dur * US
    t = fg_prefix(end_us + 41_000)
    ns = start_us * 1000 + dur * 1_000_000_000 + 417
    cols = dict(
        syslog_ts=t["syslog"], date=t["date"], time=t["time"], eventtime=ns, logid="0000000013",
        subtype="forward", level="notice", srcip=src, srcport=sport, srcintf=intfs[0],
        srcintfrole=roles[0], dstip=dst, dstport=dport, dstintf=intfs[1], dstintfrole=roles[1],
        srccountry=country, sessionid=sid, action="close", policyid=policy[0],
        poluuid=policy[2], policyname=policy[1], service=service,
        trandisp="dnat" if tran else "noop", duration=dur, sentbyte=sent, rcvdbyte=rcvd,
        sentpkt=max(3, sent // 900), rcvdpkt=max(3, rcvd // 1300),
    )  # fmt: skip
    if tran:
        cols.update(tranip=tran[0], tranport=tran[1])
    return end_us, one(FG_DNAT if tran else FG_FWD, **cols)


def fg_config(us: int, user: str, ui_ip: str, action: str, cfgpath: str, cfgobj: str,
              cfgattr: str | None, tid: int) -> tuple[int, str]:  # fmt: skip
    t = fg_prefix(us)
    head = {
        "date": t["date"], "time": t["time"], "devname": FG["name"], "devid": FG["devid"],
        "eventtime": us * 1000 + 733, "tz": FG["tz"], "logid": "0100044547", "type": "event",
        "subtype": "system", "level": "information", "vd": "root",
        "logdesc": "Object attribute configured", "user": user, "ui": f"https({ui_ip})",
        "action": action, "cfgtid": tid, "cfgpath": cfgpath, "cfgobj": cfgobj,
    }  # fmt: skip
    body: dict[str, str | int] = {}
    if cfgattr is not None:
        body["cfgattr"] = cfgattr
    body["msg"] = f"{action} {cfgpath} {cfgobj}"
    return us, fg_event_line(f"{t['syslog']} {FG['relay']} ", head, body)


PFW18 = pfirewall_tokens(True)
PFW17 = pfirewall_tokens(False)


def pfw(us: int, action: str, src: str, dst: str, sport: int, dport: int, path: str,
        pid: int | None) -> tuple[int, str]:  # fmt: skip
    frame = pl.DataFrame({"t": ts_col("t", [us])})
    d = frame.select(
        date=fmt(pl.col("t"), HOST_ZONE, "%Y-%m-%d"), time=fmt(pl.col("t"), HOST_ZONE, "%H:%M:%S")
    ).row(0, named=True)
    cols = dict(date=d["date"], time=d["time"], action=action, protocol="TCP", src=src, dst=dst,
                sport=sport, dport=dport, size=0, path=path)  # fmt: skip
    if pid is None:
        return us, one(PFW17, **cols)
    return us, one(PFW18, pid=pid, **cols)


# ---- the scenario -------------------------------------------------------------------------------


class Case:
    """Builds every planted record and the ground truth."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.streams: dict[str, Stream] = {}
        self.truth: dict = {
            "scenario": "CISA AA23-144A style port-proxy relay (fwcorr example case)",
            "seed": seed,
            "portproxies": [],
            "sessions": [],
            "rule_changes": [],
            "benign": [],
            "malformed": [],
            "unknown_files": [],
            "timezones": {PA["name"]: PA["zone"], FG["name"]: FG["tz"], "hosts": HOST_ZONE},
        }
        self.hosts = {
            h: HostLog(h, f"{h}.{DOMAIN}", random.Random(f"{seed}-{h}"))
            for h in ("WEB01", "APP02", "APP03", "DEV01")
        }

    def stream(self, rel: str, **kw: object) -> Stream:
        if rel not in self.streams:
            self.streams[rel] = Stream(rel, **kw)  # type: ignore[arg-type]
        return self.streams[rel]

    @property
    def pa(self) -> Stream:
        return self.stream("firewalls/pa-edge-01.log")

    @property
    def fg(self) -> Stream:
        return self.stream("firewalls/fg-core-01.log")

    def pfw(self, host: str) -> Stream:
        with_pid = host != "APP02"  # APP02 is Server 2016: 17 fields, no pid
        return self.stream(
            f"hosts/{host}/Windows/System32/LogFiles/Firewall/pfirewall.log",
            header=pfirewall_header(with_pid),
            newline="\r\n",
        )

    def sid(self) -> int:
        return self.rng.randrange(100_000, 999_999)

    def eph(self) -> int:
        return self.rng.randrange(49_152, 65_535)

    # -- port proxies ------------------------------------------------------------------------

    def proxies(self) -> None:
        rng = self.rng
        web, app2, app3, dev = (self.hosts[h] for h in ("WEB01", "APP02", "APP03", "DEV01"))
        actor = "CORP\\svc_backup"

        # WEB01: abbreviated form through cmd /c, hands-on-keyboard as a stolen service account.
        t = epoch_us("2026-02-03T08:12:40.318Z")
        shell = web.proc("cmd", '"C:\\Windows\\system32\\cmd.exe"')
        abbrev = "i p a v l=9999 listena=0.0.0.0 connectp=50100 c=10.10.30.21"
        c1 = web.proc("cmd", f"cmd.exe /c netsh {abbrev}")
        n1 = web.proc("netsh", f"netsh  {abbrev}")
        web.process(t, c1, shell, actor, "0x3a81f2")
        web.process(t + 31_000, n1, c1, actor, "0x3a81f2")
        web.registry(t + 52_000, n1, "CreateKey", PP_KEY, None, actor)
        web.registry(
            t + 53_000, n1, "SetValue", f"{PP_KEY}\\0.0.0.0/9999", "10.10.30.21/50100", actor
        )
        web_add = t

        # APP02: positional form, launched remotely from WEB01 with wmic /node:.
        t = epoch_us("2026-02-03T08:19:05.552Z")
        remote = "netsh interface portproxy add v4tov4 50100 10.10.40.5 1433 0.0.0.0"
        w = web.proc("wmic", f'wmic /node:10.10.30.21 process call create "cmd.exe /c {remote}"')
        web.process(t, w, shell, actor, "0x3a81f2")
        prv = app2.proc("wmiprvse", "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding")
        c2 = app2.proc("cmd", f"cmd.exe /c {remote}")
        n2 = app2.proc("netsh", "netsh  " + remote.removeprefix("netsh "))
        app2.process(t + 812_000, c2, prv, actor, "0x91c3e0")
        app2.process(t + 858_000, n2, c2, actor, "0x91c3e0")
        app2.registry(t + 871_000, n2, "CreateKey", PP_KEY, None, actor)
        app2.registry(
            t + 872_000, n2, "SetValue", f"{PP_KEY}\\0.0.0.0/50100", "10.10.40.5/1433", actor
        )
        app2_add = t + 812_000

        # APP03: full form from PowerShell (Winlogbeat, after the ingest pipeline).
        t = epoch_us("2026-02-04T06:58:31.207Z")
        ps = app3.proc(
            "powershell", '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"'
        )
        full = (
            "interface portproxy add v4tov4 listenport=8080 listenaddress=0.0.0.0 "
            "connectport=1433 connectaddress=10.10.40.5"
        )
        n3 = app3.proc("netsh", f'"C:\\Windows\\system32\\netsh.exe" {full}')
        app3.process(t, n3, ps, actor, "0x5d2210")
        app3.registry(
            t + 24_000, n3, "SetValue", f"{PP_KEY}\\0.0.0.0/8080", "10.10.40.5/1433", actor
        )
        app3_add = t

        # Deletes: WEB01 full form, APP03 abbreviated positional form.
        t = epoch_us("2026-02-10T06:03:18.940Z")
        dl = "interface portproxy delete v4tov4 listenport=9999 listenaddress=0.0.0.0"
        c4 = web.proc("cmd", f"cmd.exe /c netsh {dl}")
        n4 = web.proc("netsh", f"netsh  {dl}")
        web.process(t, c4, shell, actor, "0x4b0c77")
        web.process(t + 29_000, n4, c4, actor, "0x4b0c77")
        web.registry(t + 47_000, n4, "DeleteValue", f"{PP_KEY}\\0.0.0.0/9999", None, actor)
        web_del = t
        t = epoch_us("2026-02-11T02:14:51.006Z")
        n5 = app3.proc("netsh", "netsh i p d v 8080 0.0.0.0")
        app3.process(t, n5, ps, actor, "0x6e9a01")
        app3.registry(t + 18_000, n5, "DeleteValue", f"{PP_KEY}\\0.0.0.0/8080", None, actor)
        app3_del = t

        # Benign: a developer's WSL proxy on DEV01 (raw Winlogbeat output), created interactively.
        t = epoch_us("2026-02-05T15:22:10.481Z")
        dev_user = "CORP\\dana.dev"
        dps = dev.proc(
            "powershell", '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" '
        )
        dps_parent = dev.proc("explorer", "C:\\Windows\\Explorer.EXE")
        dev.process(t - 40 * US, dps, dps_parent, dev_user, "0x2f4411")
        wsl = (
            "interface portproxy add v4tov4 listenport=3000 listenaddress=0.0.0.0 "
            "connectport=3000 connectaddress=172.24.141.7"
        )
        n6 = dev.proc("netsh", f'"C:\\Windows\\system32\\netsh.exe" {wsl}')
        dev.process(t, n6, dps, dev_user, "0x2f4411")
        dev.registry(
            t + 22_000, n6, "SetValue", f"{PP_KEY}\\0.0.0.0/3000", "172.24.141.7/3000", dev_user
        )

        # Benign: the responder lists proxies on APP02 (read-only netsh) and runs ipconfig.
        t = epoch_us("2026-02-12T15:40:02.115Z")
        ir = "CORP\\alice"
        ips = app2.proc(
            "powershell", '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"'
        )
        app2.process(
            t - 95 * US, ips, app2.proc("explorer", "C:\\Windows\\Explorer.EXE"), ir, "0x7a0c51"
        )
        app2.process(
            t,
            app2.proc("netsh", '"C:\\Windows\\system32\\netsh.exe" interface portproxy show all'),
            ips,
            ir,
            "0x7a0c51",
        )
        app2.process(
            t + 6 * US,
            app2.proc("ipconfig", '"C:\\Windows\\system32\\ipconfig.exe" /all'),
            ips,
            ir,
            "0x7a0c51",
        )
        _ = rng

        self.truth["portproxies"] = [
            self._pp("WEB01", 9999, "10.10.30.21", 50100, web_add, web_del, "abbreviated"),
            self._pp("APP02", 50100, "10.10.40.5", 1433, app2_add, None, "positional via wmic /node: from WEB01"),
            self._pp("APP03", 8080, "10.10.40.5", 1433, app3_add, app3_del, "full"),
        ]  # fmt: skip
        self.truth["benign"].append(
            {
                "kind": "portproxy",
                "host": "DEV01",
                "family": "v4tov4",
                "listen_address": "0.0.0.0",
                "listen_port": 3000,
                "connect_address": "172.24.141.7",
                "connect_port": 3000,
                "note": "WSL developer proxy, allowlisted in site.yaml; must not be high",
            }
        )
        self.truth["benign"].append(
            {"kind": "netsh_show", "host": "APP02", "note": "responder ran 'portproxy show all'"}
        )

    @staticmethod
    def _pp(host: str, lport: int, caddr: str, cport: int, add: int, rem: int | None,
            form: str) -> dict:  # fmt: skip
        return {
            "host": host,
            "host_ip": HOSTS[host],
            "family": "v4tov4",
            "listen_address": "0.0.0.0",
            "listen_port": lport,
            "connect_address": caddr,
            "connect_port": cport,
            "first_seen": iso(add - add % 1000),
            "removed_at": iso(rem - rem % 1000) if rem else None,
            "command_form": form,
        }

    # -- firewall configuration --------------------------------------------------------------

    def rule_changes(self) -> None:
        pa, fg, truth = self.pa, self.fg, self.truth["rule_changes"]
        odd = HOSTS["WEB01"]  # a DMZ web server administering the perimeter firewall
        t = epoch_us("2026-02-03T08:39:51.000Z")
        pa.add(
            *pa_config(
                t,
                odd,
                "set",
                "admin",
                " vsys  vsys1 service  svc-tcp-9443",
                after="svc-tcp-9443 { protocol { tcp { port 9443; override no; } } } ",
            )
        )
        nat_after = (
            "tmp-nat-9443 4c1e8a27-0f6d-4b8e-9a53-7d2c91e0b6f4 { destination-translation { "
            "translated-port 9999; translated-address 10.10.20.15; } to untrust; from untrust; "
            "source any; destination 203.0.113.10; service svc-tcp-9443; to-interface "
            "ethernet1/1; nat-type ipv4; } "
        )
        sec_after = (
            "tmp-allow-9443 9d7f3b12-5a4c-4e0b-8f61-2b9e6c0a7d35 { to dmz; from untrust; "
            "source any; destination 203.0.113.10; source-user any; category any; application "
            "any; service svc-tcp-9443; source-hip any; destination-hip any; action allow; "
            "log-end yes; rule-type universal; } "
        )
        t_nat = epoch_us("2026-02-03T08:41:07.000Z")
        pa.add(
            *pa_config(
                t_nat,
                odd,
                "set",
                "admin",
                " vsys  vsys1 rulebase nat rules  tmp-nat-9443",
                after=nat_after,
            )
        )
        t_sec = epoch_us("2026-02-03T08:41:55.000Z")
        pa.add(
            *pa_config(
                t_sec,
                odd,
                "set",
                "admin",
                " vsys  vsys1 rulebase security rules  tmp-allow-9443",
                after=sec_after,
            )
        )
        pa.add(*pa_config(epoch_us("2026-02-03T08:42:30.000Z"), odd, "commit", "admin", ""))
        truth += [
            {"device": PA["name"], "ts": iso(t_nat), "object_type": "nat_rule", "object_name": "tmp-nat-9443",
             "admin": "admin", "client_ip": odd, "expect_high": True,
             "exposes": {"public": f"{PA_PUBLIC_WEB}:9443", "internal": "10.10.20.15:9999"}},
            {"device": PA["name"], "ts": iso(t_sec), "object_type": "security_rule", "object_name": "tmp-allow-9443",
             "admin": "admin", "client_ip": odd, "expect_high": True,
             "exposes": {"public": f"{PA_PUBLIC_WEB}:9443", "internal": "10.10.20.15:9999"}},
            {"device": PA["name"], "ts": iso(t), "object_type": "service", "object_name": "svc-tcp-9443",
             "admin": "admin", "client_ip": odd, "expect_high": False, "note": "supporting object; any severity"},
        ]  # fmt: skip

        t_vip = epoch_us("2026-02-04T07:17:52.000Z")
        vip_attr = (
            "uuid[5be0f7a2-9c3d-51ef-2a7b-0c4d1e6f8a90]extip[203.0.113.80]extport[4443]"
            "mappedip[10.10.30.22]mappedport[8080]portforward[enable]extintf[wan1]"
        )
        fg.add(
            *fg_config(
                t_vip,
                "fgadmin",
                odd,
                "Add",
                "firewall.vip",
                "vip-app03-4443",
                vip_attr,
                201_338_114,
            )
        )
        t_pol = epoch_us("2026-02-04T07:19:10.000Z")
        pol_attr = (
            "name[tmp-ops]uuid[6d1a0b3c-9c3d-51ef-8e44-31f0a9d2c7b5]srcintf[wan1]dstintf[servers]"
            "action[accept]srcaddr[all]dstaddr[vip-app03-4443]schedule[always]service[ALL]"
            "logtraffic[all]"
        )
        fg.add(
            *fg_config(t_pol, "fgadmin", odd, "Add", "firewall.policy", "31", pol_attr, 201_338_131)
        )
        truth += [
            {"device": FG["name"], "ts": iso(t_vip), "object_type": "vip", "object_name": "vip-app03-4443",
             "admin": "fgadmin", "client_ip": odd, "expect_high": True,
             "exposes": {"public": f"{FG_VIP_IP}:4443", "internal": "10.10.30.22:8080"}},
            {"device": FG["name"], "ts": iso(t_pol), "object_type": "security_rule", "object_name": "31",
             "policy_name": "tmp-ops", "admin": "fgadmin", "client_ip": odd, "expect_high": True},
        ]  # fmt: skip

        # Routine edits inside the Saturday change window (21:00-23:59 New York = Sunday UTC).
        adm = HOSTS["ADM-WS01"]
        t = epoch_us("2026-02-08T02:05:14.000Z")
        pa.add(
            *pa_config(
                t,
                adm,
                "edit",
                "alice",
                " vsys  vsys1 address  srv-web01",
                before='srv-web01 { ip-netmask 10.10.20.15; description "web"; } ',
                after='srv-web01 { ip-netmask 10.10.20.15; description "public web server (CHG-2211)"; } ',
            )
        )
        t2 = epoch_us("2026-02-08T02:07:40.000Z")
        pa.add(
            *pa_config(
                t2,
                adm,
                "edit",
                "alice",
                " vsys  vsys1 rulebase security rules  web-dmz-in",
                before='web-dmz-in { description "inbound web"; } ',
                after='web-dmz-in { description "inbound web - reviewed 2026-02 (CHG-2211)"; } ',
            )
        )
        pa.add(*pa_config(epoch_us("2026-02-08T02:09:02.000Z"), adm, "commit", "alice", ""))
        t3 = epoch_us("2026-02-08T02:20:33.000Z")
        fg.add(
            *fg_config(
                t3,
                "alice",
                adm,
                "Edit",
                "firewall.policy",
                "12",
                "comments[legacy DMZ access - review CHG-2212]",
                201_512_007,
            )
        )
        t4 = epoch_us("2026-02-08T02:24:05.000Z")
        fg.add(
            *fg_config(
                t4,
                "bob.ops",
                adm,
                "Edit",
                "firewall.address",
                "grp-dba-ws",
                "subnet[10.10.50.0 255.255.255.0]",
                201_512_019,
            )
        )
        for dev, ts, otype, name, who in (
            (PA["name"], t, "address", "srv-web01", "alice"),
            (PA["name"], t2, "security_rule", "web-dmz-in", "alice"),
            (FG["name"], t3, "security_rule", "12", "alice"),
            (FG["name"], t4, "address", "grp-dba-ws", "bob.ops"),
        ):
            self.truth["benign"].append(
                {"kind": "rule_change", "device": dev, "ts": iso(ts), "object_type": otype,
                 "object_name": name, "admin": who, "note": "routine edit in change window; not high"}
            )  # fmt: skip

    # -- forwarded sessions ------------------------------------------------------------------

    def sessions(self) -> None:
        rng = self.rng
        starts_a = [
            "2026-02-03T09:30:12Z",
            "2026-02-04T14:05:40Z",
            "2026-02-06T01:12:03Z",
            "2026-02-09T03:40:27Z",
        ]
        starts_b = ["2026-02-04T10:02:44Z", "2026-02-05T22:31:09Z", "2026-02-08T04:15:55Z"]
        for text in starts_a:
            self._chain_a(epoch_us(text), rng)
        for text in starts_b:
            self._chain_b(epoch_us(text), rng)

    def _bytes(self, rng: random.Random) -> tuple[int, int, int]:
        return (
            rng.randrange(120, 900),
            rng.randrange(18_000, 400_000),
            rng.randrange(150_000, 6_000_000),
        )

    @staticmethod
    def _near(value: int, rng: random.Random) -> int:
        return int(value * (1 + rng.uniform(-0.02, 0.02)))

    def _chain_a(self, t0: int, rng: random.Random) -> None:
        """198.51.100.23 -> PA 203.0.113.10:9443 -> WEB01:9999 -> APP02:50100 -> DB01:1433."""
        dur, bs, br = self._bytes(rng)
        sp = self.eph()
        web, app2, db = HOSTS["WEB01"], HOSTS["APP02"], HOSTS["DB01"]
        self.pa.add(*pa_session(t0, dur, ATTACKER_A, sp, PA_PUBLIC_WEB, 9443, web, 9999,
                                "tmp-allow-9443", "mssql-db", bs, br, self.sid(),
                                ("untrust", "dmz"), ("ethernet1/1", "ethernet1/2")))  # fmt: skip
        t1 = t0 + rng.randrange(50_000, 2_000_000)
        e1 = self.eph()
        self.fg.add(*fg_session(t1, dur - 1, web, e1, app2, 50100, ("dmz", "servers"), ("dmz", "lan"),
                                (12, "dmz-to-servers-legacy", "1f6c2a9e-9c3d-51ef-0b1d-9e7c4a2f5d10"),
                                "tcp/50100", self._near(bs, rng), self._near(br, rng), self.sid()))  # fmt: skip
        t2 = t1 + rng.randrange(50_000, 2_000_000)
        e2 = self.eph()
        self.fg.add(*fg_session(t2, dur - 2, app2, e2, db, 1433, ("servers", "db"), ("lan", "lan"),
                                (20, "app-to-db-sql", "2a7d3b0f-9c3d-51ef-6c2e-af8d5b306e21"),
                                "MS-SQL", self._near(bs, rng), self._near(br, rng), self.sid()))  # fmt: skip
        self.pfw("WEB01").add(
            *pfw(t0 + 120_000, "ALLOW", ATTACKER_A, web, sp, 9999, "RECEIVE", SVCHOST_PID["WEB01"])
        )
        self.pfw("WEB01").add(*pfw(t1, "ALLOW", web, app2, e1, 50100, "SEND", SVCHOST_PID["WEB01"]))
        self.pfw("APP02").add(*pfw(t1 + 900, "ALLOW", web, app2, e1, 50100, "RECEIVE", None))
        self.pfw("APP02").add(*pfw(t2, "ALLOW", app2, db, e2, 1433, "SEND", None))
        self.pfw("DB01").add(
            *pfw(t2 + 700, "ALLOW", app2, db, e2, 1433, "RECEIVE", SVCHOST_PID["DB01"] + 1124)
        )
        self.truth["sessions"].append({
            "chain": "A", "origin_ip": ATTACKER_A, "origin_port": sp, "entry_ip": PA_PUBLIC_WEB,
            "entry_port": 9443, "entry_device": PA["name"],
            "hops": [
                {"host": "WEB01", "listen_ip": web, "listen_port": 9999, "connect_ip": app2, "connect_port": 50100},
                {"host": "APP02", "listen_ip": app2, "listen_port": 50100, "connect_ip": db, "connect_port": 1433},
            ],
            "target_ip": db, "target_port": 1433, "start": iso(t0),
            "legs": [{"start": iso(t0), "bytes_out": bs, "bytes_in": br},
                     {"start": iso(t1), "src_port": e1}, {"start": iso(t2), "src_port": e2}],
        })  # fmt: skip

    def _chain_b(self, t0: int, rng: random.Random) -> None:
        """198.51.100.77 -> FG VIP 203.0.113.80:4443 -> APP03:8080 -> DB01:1433."""
        dur, bs, br = self._bytes(rng)
        sp = self.eph()
        app3, db = HOSTS["APP03"], HOSTS["DB01"]
        self.fg.add(*fg_session(t0, dur, ATTACKER_B, sp, FG_VIP_IP, 4443, ("wan1", "servers"), ("wan", "lan"),
                                (31, "tmp-ops", "6d1a0b3c-9c3d-51ef-8e44-31f0a9d2c7b5"), "ALL",
                                bs, br, self.sid(), tran=(app3, 8080), country="Reserved"))  # fmt: skip
        t1 = t0 + rng.randrange(50_000, 2_000_000)
        e1 = self.eph()
        self.fg.add(*fg_session(t1, dur - 1, app3, e1, db, 1433, ("servers", "db"), ("lan", "lan"),
                                (20, "app-to-db-sql", "2a7d3b0f-9c3d-51ef-6c2e-af8d5b306e21"),
                                "MS-SQL", self._near(bs, rng), self._near(br, rng), self.sid()))  # fmt: skip
        self.pfw("APP03").add(
            *pfw(t0 + 90_000, "ALLOW", ATTACKER_B, app3, sp, 8080, "RECEIVE", SVCHOST_PID["APP03"])
        )
        self.pfw("APP03").add(*pfw(t1, "ALLOW", app3, db, e1, 1433, "SEND", SVCHOST_PID["APP03"]))
        self.pfw("DB01").add(
            *pfw(t1 + 650, "ALLOW", app3, db, e1, 1433, "RECEIVE", SVCHOST_PID["DB01"] + 1124)
        )
        self.truth["sessions"].append({
            "chain": "B", "origin_ip": ATTACKER_B, "origin_port": sp, "entry_ip": FG_VIP_IP,
            "entry_port": 4443, "entry_device": FG["name"],
            "hops": [{"host": "APP03", "listen_ip": app3, "listen_port": 8080, "connect_ip": db, "connect_port": 1433}],
            "target_ip": db, "target_port": 1433, "start": iso(t0),
            "legs": [{"start": iso(t0), "bytes_out": bs, "bytes_in": br}, {"start": iso(t1), "src_port": e1}],
        })  # fmt: skip

    def benign_traffic(self) -> None:
        """Admin RDP to the attackers' target (DB01) and to WEB01, from the admin workstation."""
        adm, db = HOSTS["ADM-WS01"], HOSTS["DB01"]
        for text, dur in (("2026-02-05T14:00:31Z", 1860), ("2026-02-10T16:20:07Z", 955)):
            t = epoch_us(text)
            sp = self.eph()
            self.fg.add(*fg_session(t, dur, adm, sp, db, 3389, ("users", "db"), ("lan", "lan"),
                                    (40, "admins-rdp", "4c9e5d21-9c3d-51ef-1f70-c2a6e8b9d043"),
                                    "RDP", 2_400_000, 31_000_000, self.sid()))  # fmt: skip
            self.pfw("DB01").add(*pfw(t + 800, "ALLOW", adm, db, sp, 3389, "RECEIVE", 1104))
            self.truth["benign"].append(
                {"kind": "session", "src_ip": adm, "dst_ip": db, "dst_port": 3389, "start": iso(t),
                 "note": "admin RDP to the same target; must not be traced"}
            )  # fmt: skip

    # -- imperfections -----------------------------------------------------------------------

    def malformed(self) -> None:
        """Truncated lines, as a syslog relay or a full disk writes them."""
        t = epoch_us("2026-02-05T12:00:00Z")
        _, good = pa_session(t, 30, "10.10.50.77", 50111, "192.0.2.44", 443, "0.0.0.0", 0,
                             "users-web-out", "ssl", 2200, 9800, 400_001,
                             ("trust", "untrust"), ("ethernet1/3", "ethernet1/1"))  # fmt: skip
        self.pa.add(t + 30 * US, good[:231], "truncated TRAFFIC line")
        self.pa.add(t + 95 * US, good[:67].rstrip(","), "truncated TRAFFIC line (header only)")
        _, fgline = fg_session(t + 3600 * US, 12, "10.10.50.33", 51333, HOSTS["APP02"], 8443,
                               ("users", "servers"), ("lan", "lan"),
                               (15, "users-to-app", "7b2e1c4d-9c3d-51ef-3a18-5f0d2e7c6b19"),
                               "HTTPS", 1300, 6100, 400_002)  # fmt: skip
        self.fg.add(
            t + 3613 * US, fgline[: fgline.index(" srcport=") + 11], "truncated FortiGate line"
        )
        _, pline = pfw(
            t + 7200 * US, "ALLOW", HOSTS["ADM-WS01"], HOSTS["DB01"], 50220, 3389, "RECEIVE", 1104
        )
        self.pfw("DB01").add(
            t + 7200 * US, " ".join(pline.split(" ")[:6]), "truncated pfirewall line"
        )
        # Not malformed: a recognised "events lost" notice (a gap to report, not a reject).
        lost = pfw(t + 9000 * US, "ALLOW", "-", "-", 0, 0, "-", None)[1].split(" ")[:2]
        self.pfw("DB01").add(
            t + 9000 * US, " ".join([*lost, "INFO-EVENTS-LOST", *["-"] * 12, "37", "-", "-"])
        )

    # -- Windows event files -----------------------------------------------------------------

    def windows_files(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for name in ("WEB01", "APP02"):
            log = self.hosts[name]
            for channel, events in (("Microsoft-Windows-Sysmon%4Operational", log.sysmon_xml()),
                                    ("Security", log.security_xml())):  # fmt: skip
                body = [x for _, x in sorted(events, key=lambda e: e[0])]
                out[f"hosts/{name}/EventLogs/{channel}.xml"] = events_document(body).encode()
        for name, pipeline in (("APP03", True), ("DEV01", False)):
            docs = self.hosts[name].ecs_docs(pipeline)
            text = "".join(ecs_json(d) + "\n" for _, d in docs)
            out[f"hosts/{name}/EventLogs/winlogbeat-{name.lower()}.ndjson"] = text.encode()
        show = show_all([("0.0.0.0", 50100, "10.10.40.5", 1433)])
        out["hosts/APP02/netsh/portproxy_show_all.txt"] = b"\xff\xfe" + show.encode("utf-16-le")
        out["notes/chain_of_custody.txt"] = (
            b"Collection notes (case 2026-014)\n"
            b"Collected 2026-02-12 by IR team; firewall syslog exported from the SIEM relay.\n"
            b"KAPE targets: !SANS_Triage on WEB01, APP02, APP03, DB01; Winlogbeat export for APP03, DEV01.\n"
        )
        self.truth["unknown_files"].append("notes/chain_of_custody.txt")
        return out


# ---- writing ------------------------------------------------------------------------------------


def write_stream(path: Path, stream: Stream, background, n_bg: int, rng: random.Random,
                 chunks: int) -> list[tuple[int, str]]:  # fmt: skip
    """Header, then planted + background lines in time order, chunk by chunk; returns tagged lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    planted = pl.DataFrame(
        {
            "ts": [p[0] for p in stream.planted],
            "line": [p[1] for p in stream.planted],
            "tag": [p[2] for p in stream.planted],
        },
        schema={"ts": pl.Int64, "line": pl.String, "tag": pl.String},
    )
    tagged: list[tuple[int, str]] = []
    nl = stream.newline
    line_no = len(stream.header)
    span = (CASE_END - CASE_START) // chunks
    with path.open("wb") as fh:
        if stream.header:
            fh.write(nl.join(stream.header).encode() + nl.encode())
        for i in range(chunks):
            lo = CASE_START + i * span
            hi = CASE_END if i == chunks - 1 else lo + span
            share = n_bg // chunks + (1 if i < n_bg % chunks else 0)
            parts = [planted.filter((pl.col("ts") >= lo) & (pl.col("ts") < hi))]
            if background is not None and share:
                parts.append(
                    background(rng, share, lo, hi).with_columns(tag=pl.lit(None, pl.String))
                )
            frame = pl.concat(parts).sort("ts", maintain_order=True)
            for idx, tag in (
                frame.select(pl.int_range(pl.len()).alias("i"), "tag")
                .filter(pl.col("tag").is_not_null())
                .iter_rows()
            ):
                tagged.append((line_no + idx + 1, tag))
            if frame.height:
                fh.write((nl.join(frame["line"].to_list()) + nl).encode())
            line_no += frame.height
    return tagged


def generate(out: Path, seed: int = 7, scale: int = 1) -> dict:
    """Write the whole case under `out` and return the ground truth."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    case = Case(seed)
    case.proxies()
    case.rule_changes()
    case.sessions()
    case.benign_traffic()
    case.malformed()
    bg = {
        case.pa.rel: pa_background,
        case.fg.rel: fg_background,
    }
    for host in ("WEB01", "APP02", "APP03", "DB01"):
        bg[case.pfw(host).rel] = pfw_background(host, HOSTS, HOST_ZONE, host != "APP02")
    chunks = max(1, scale)
    for rel in sorted(case.streams):
        stream = case.streams[rel]
        fn = bg.get(rel)
        kind = "pfirewall" if "pfirewall" in rel else ("pa" if "pa-edge" in rel else "fg")
        n = BG_PER_SCALE[kind] * scale
        rng = random.Random(f"{seed}-{rel}")
        for line, tag in write_stream(out / rel, stream, fn, n, rng, chunks):
            case.truth["malformed"].append({"path": rel, "line": line, "reason": tag})
    for rel, data in case.windows_files().items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    (out / "site.yaml").write_text(SITE_YAML)
    case.truth["scale"] = scale
    case.truth["malformed"].sort(key=lambda m: (m["path"], m["line"]))
    (out / "ground_truth.json").write_text(json.dumps(case.truth, indent=2) + "\n")
    return case.truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "case")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1, help="background traffic multiplier (>=1)")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be >= 1")
    truth = generate(args.out, args.seed, args.scale)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(
        f"wrote {args.out} ({size / 1e6:.1f} MB): {len(truth['portproxies'])} planted proxies, "
        f"{len(truth['sessions'])} forwarded sessions, "
        f"{sum(r['expect_high'] for r in truth['rule_changes'])} malicious rule changes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
