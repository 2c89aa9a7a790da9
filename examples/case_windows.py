"""Windows host evidence for the example case: Sysmon 1/12/13 and Security 4688 events.

Each builder returns (utc_micros, record) so the writer can order and number them; XML records
are Event Viewer "Save as XML" elements, ECS records are Winlogbeat documents (dicts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from case_formats import SECURITY_GUID, SYSMON_GUID, event_xml
from case_render import US, iso

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
PP_KEY = "HKLM\\System\\CurrentControlSet\\Services\\PortProxy\\v4tov4\\tcp"
IMAGES = {
    "cmd": "C:\\Windows\\System32\\cmd.exe",
    "netsh": "C:\\Windows\\System32\\netsh.exe",
    "wmic": "C:\\Windows\\System32\\wbem\\WMIC.exe",
    "wmiprvse": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    "powershell": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "explorer": "C:\\Windows\\explorer.exe",
    "svchost": "C:\\Windows\\System32\\svchost.exe",
    "ipconfig": "C:\\Windows\\System32\\ipconfig.exe",
}
_PE = {
    "cmd": ("10.0.17763.1 (WinBuild.160101.0800)", "Windows Command Processor", "Cmd.Exe"),
    "netsh": ("10.0.17763.1 (WinBuild.160101.0800)", "Network Command Shell", "netsh.exe"),
    "wmic": ("10.0.17763.1 (WinBuild.160101.0800)", "WMI Commandline Utility", "wmic.exe"),
    "powershell": (
        "10.0.17763.1 (WinBuild.160101.0800)",
        "Windows PowerShell",
        "PowerShell.EXE",
    ),
    "ipconfig": ("10.0.17763.1 (WinBuild.160101.0800)", "IP Configuration Utility", "ipconfig.exe"),
}


def utc_time(us: int) -> str:
    """Sysmon UtcTime: 'YYYY-MM-DD HH:MM:SS.mmm'."""
    secs, frac = divmod(us, US)
    return f"{iso(secs * US)[:-1].replace('T', ' ')}.{frac // 1000:03d}"


def system_time(us: int, extra_ticks: int) -> str:
    """Event SystemTime with 100 ns precision, a little after the sensor's own time."""
    secs, frac = divmod(us, US)
    base = iso(secs * US)[:-1]
    return f"{base}.{frac * 10 + extra_ticks:07d}Z"


@dataclass
class Proc:
    """A process as Sysmon and 4688 see it."""

    key: str  # IMAGES key
    cmdline: str
    pid: int
    guid: str
    cwd: str = "C:\\Windows\\system32\\"


@dataclass
class HostLog:
    """Everything one Windows host logged, with per-channel record counters."""

    name: str
    fqdn: str
    rng: random.Random
    sysmon_rec: int = 40000
    security_rec: int = 900000
    sysmon: list[tuple[int, dict]] = field(default_factory=list)
    security: list[tuple[int, dict]] = field(default_factory=list)

    def guid(self) -> str:
        r = self.rng
        return (
            f"{{{r.getrandbits(32):08x}-{r.getrandbits(16):04x}-{r.getrandbits(16):04x}-"
            f"0000-00{r.getrandbits(40):010x}}}"
        )

    def proc(self, key: str, cmdline: str) -> Proc:
        return Proc(key, cmdline, self.rng.randrange(1200, 9800, 4), self.guid())

    def process(self, us: int, child: Proc, parent: Proc, user: str, logon_id: str) -> None:
        """Sysmon EID 1 and Security 4688 for one process start."""
        ver, desc, orig = _PE.get(child.key, ("10.0.17763.1", "", ""))
        self.sysmon_rec += 1
        self.sysmon.append(
            (
                us,
                {
                    "eid": 1,
                    "version": 5,
                    "task": 1,
                    "rec": self.sysmon_rec,
                    "data": [
                        ("RuleName", "-"),
                        ("UtcTime", utc_time(us)),
                        ("ProcessGuid", child.guid),
                        ("ProcessId", str(child.pid)),
                        ("Image", IMAGES[child.key]),
                        ("FileVersion", ver),
                        ("Description", desc),
                        ("Product", "Microsoft\u00ae Windows\u00ae Operating System"),
                        ("Company", "Microsoft Corporation"),
                        ("OriginalFileName", orig),
                        ("CommandLine", child.cmdline),
                        ("CurrentDirectory", child.cwd),
                        ("User", user),
                        ("LogonGuid", self.guid()),
                        ("LogonId", logon_id),
                        ("TerminalSessionId", "0"),
                        ("IntegrityLevel", "High"),
                        ("Hashes", f"SHA256={self.rng.getrandbits(256):064X}"),
                        ("ParentProcessGuid", parent.guid),
                        ("ParentProcessId", str(parent.pid)),
                        ("ParentImage", IMAGES[parent.key]),
                        ("ParentCommandLine", parent.cmdline),
                        ("ParentUser", user),
                    ],
                },
            )
        )
        domain, _, account = user.partition("\\")
        self.security_rec += 1
        self.security.append(
            (
                us + 2500,
                {
                    "eid": 4688,
                    "version": 2,
                    "task": 13312,
                    "rec": self.security_rec,
                    "data": [
                        ("SubjectUserSid", "S-1-5-21-3623811015-3361044348-30300820-1108"),
                        ("SubjectUserName", account),
                        ("SubjectDomainName", domain),
                        ("SubjectLogonId", logon_id),
                        ("NewProcessId", hex(child.pid)),
                        ("NewProcessName", IMAGES[child.key]),
                        ("TokenElevationType", "%%1937"),
                        ("ProcessId", hex(parent.pid)),
                        ("CommandLine", child.cmdline),
                        ("TargetUserSid", "S-1-0-0"),
                        ("TargetUserName", "-"),
                        ("TargetDomainName", "-"),
                        ("TargetLogonId", "0x0"),
                        ("ParentProcessName", IMAGES[parent.key]),
                        ("MandatoryLabel", "S-1-16-12288"),
                    ],
                },
            )
        )

    def registry(
        self, us: int, proc: Proc, event_type: str, target: str, details: str | None, user: str
    ) -> None:
        """Sysmon EID 12 (CreateKey/DeleteValue/DeleteKey) or 13 (SetValue)."""
        self.sysmon_rec += 1
        eid = 13 if event_type == "SetValue" else 12
        data = [
            ("RuleName", "-"),
            ("EventType", event_type),
            ("UtcTime", utc_time(us)),
            ("ProcessGuid", proc.guid),
            ("ProcessId", str(proc.pid)),
            ("Image", IMAGES[proc.key].replace("System32", "system32")),
            ("TargetObject", target),
        ]
        if details is not None:
            data.append(("Details", details))
        data.append(("User", user))
        self.sysmon.append(
            (us, {"eid": eid, "version": 2, "task": eid, "rec": self.sysmon_rec, "data": data})
        )

    # ---- renderings -------------------------------------------------------------------------

    def sysmon_xml(self) -> list[tuple[int, str]]:
        return [
            (
                us,
                event_xml(
                    "Microsoft-Windows-Sysmon", SYSMON_GUID, ev["eid"], ev["version"], ev["task"],
                    "0x8000000000000000", system_time(us, 3 + ev["rec"] % 7), ev["rec"],
                    SYSMON_CHANNEL, self.fqdn, ev["data"], 3120, 4412, "S-1-5-18",
                ),
            )
            for us, ev in self.sysmon
        ]  # fmt: skip

    def security_xml(self) -> list[tuple[int, str]]:
        return [
            (
                us,
                event_xml(
                    "Microsoft-Windows-Security-Auditing", SECURITY_GUID, ev["eid"], ev["version"],
                    ev["task"], "0x8020000000000000", system_time(us, 1 + ev["rec"] % 9),
                    ev["rec"], "Security", self.fqdn, ev["data"], 4, 7804, None,
                ),
            )
            for us, ev in self.security
        ]  # fmt: skip

    def ecs_docs(self, pipeline: bool) -> list[tuple[int, dict]]:
        """Winlogbeat documents: after the ingest pipeline (ES export) or raw file output."""
        docs = []
        for us, ev in sorted(self.sysmon + self.security, key=lambda item: item[0]):
            docs.append((us, ecs_doc(self.fqdn, us, ev, pipeline)))
        return docs


def ecs_doc(fqdn: str, us: int, ev: dict, pipeline: bool) -> dict:
    data = dict(ev["data"])
    sysmon = ev["eid"] in (1, 12, 13)
    provider = "Microsoft-Windows-Sysmon" if sysmon else "Microsoft-Windows-Security-Auditing"
    secs, frac = divmod(us, US)
    ts = f"{iso(secs * US)[:-1]}.{frac // 1000:03d}Z"
    winlog = {
        "api": "wineventlog",
        "channel": SYSMON_CHANNEL if sysmon else "Security",
        "computer_name": fqdn,
        "event_id": str(ev["eid"]),
        "provider_guid": SYSMON_GUID if sysmon else SECURITY_GUID,
        "provider_name": provider,
        "record_id": ev["rec"],
        "version": ev["version"],
        "event_data": data,
    }
    doc: dict = {
        "@timestamp": ts,
        "agent": {"type": "winlogbeat", "version": "8.15.3"},
        "ecs": {"version": "8.11.0"},
        "event": {"code": str(ev["eid"]), "kind": "event", "provider": provider},
        "host": {"name": fqdn.lower()},
        "log": {"level": "information"},
        "winlog": winlog,
    }
    if not pipeline:
        return doc
    doc["event"]["module"] = "sysmon" if sysmon else "security"
    if ev["eid"] in (1, 4688):
        key_cmd, key_img = "CommandLine", "Image" if sysmon else "NewProcessName"
        cmd = data.pop(key_cmd)
        image = data.pop(key_img)
        parent = data.pop("ParentImage" if sysmon else "ParentProcessName")
        doc["event"].update(category=["process"], type=["start"])
        doc["process"] = {
            "command_line": cmd,
            "executable": image,
            "name": image.rsplit("\\", 1)[-1],
            "parent": {"executable": parent, "name": parent.rsplit("\\", 1)[-1]},
        }
        if sysmon:
            doc["process"]["pid"] = int(data.pop("ProcessId"))
            doc["process"]["entity_id"] = data.pop("ProcessGuid")
            doc["process"]["parent"]["command_line"] = data.pop("ParentCommandLine")
            domain, _, name = data.pop("User").partition("\\")
            doc["user"] = {"domain": domain, "name": name}
        else:
            doc["process"]["pid"] = int(data.pop("NewProcessId"), 16)
            doc["user"] = {"domain": data["SubjectDomainName"], "name": data["SubjectUserName"]}
    else:
        target = data.pop("TargetObject")
        hive, _, key = target.partition("\\")
        doc["event"].update(category=["configuration", "registry"], type=["change"])
        doc["registry"] = {
            "hive": hive,
            "key": key,
            "path": target,
            "value": key.rsplit("\\", 1)[-1],
        }
        if "Details" in data:
            doc["registry"]["data"] = {"strings": [data.pop("Details")], "type": "SZ"}
        doc["process"] = {"executable": data.pop("Image"), "pid": int(data.pop("ProcessId"))}
        domain, _, name = data.pop("User").partition("\\")
        doc["user"] = {"domain": domain, "name": name}
    return doc
