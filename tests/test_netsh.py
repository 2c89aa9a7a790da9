"""The netsh portproxy grammar: a table of real-shaped command lines with exact results."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iocs import services
from iocs.commandline import parse_command_line, parse_script
from iocs.netsh import TAGS_ADD, match_word
from tests.conftest import corpus_file

ADD = "netsh interface portproxy add v4tov4"
ENC = (
    "bgBlAHQAcwBoACAAaQBuAHQAZQByAGYAYQBjAGUAIABwAG8AcgB0AHAAcgBvAHgAeQAgAGEAZABkACAAdgA0AHQAbwB2ADQA"
    "IABsAGkAcwB0AGUAbgBwAG8AcgB0AD0ANAA0ADQANAAgAGMAbwBuAG4AZQBjAHQAYQBkAGQAcgBlAHMAcwA9ADEAMAAuADMA"
    "LgAzAC4AMwAgAGMAbwBuAG4AZQBjAHQAcABvAHIAdAA9ADQANAAzAA=="
)


def E(
    verb: str,
    family: str | None = "v4tov4",
    la: str | None = None,
    lp: int | None = None,
    ca: str | None = None,
    cp: int | None = None,
    reason: str | None = None,
    host: str | None = None,
    via: str | None = None,
) -> tuple[Any, ...]:
    return (verb, family, la, lp, ca, cp, reason is None, reason, host, via)


def got(text: str) -> list[tuple[Any, ...]]:
    return [
        (
            c.verb,
            c.family,
            c.listen_address,
            c.listen_port,
            c.connect_address,
            c.connect_port,
            c.valid,
            c.invalid_reason,
            c.host,
            c.remote_via,
        )
        for c in parse_command_line(text)
    ]


CASES: list[tuple[str, list[tuple[Any, ...]]]] = [
    # --- full and abbreviated forms -----------------------------------------------------------
    (
        f"{ADD} listenport=9999 listenaddress=0.0.0.0 connectport=8443 connectaddress=10.1.36.210",
        [E("add", la="0.0.0.0", lp=9999, ca="10.1.36.210", cp=8443)],
    ),
    (
        "netsh  I p a v l=8001 listena=192.0.2.4 connectp=3389 c=192.0.2.5",
        [E("add", la="192.0.2.4", lp=8001, ca="192.0.2.5", cp=3389)],
    ),
    (
        "netsh int po ad v4tov4 listenp=50100 connecta=10.2.30.1 connectp=1433",
        [E("add", la="*", lp=50100, ca="10.2.30.1", cp=1433)],
    ),
    (
        f"{ADD} listenport=8443 connectaddress=10.1.1.20",
        [E("add", la="*", lp=8443, ca="10.1.1.20", cp=8443)],
    ),
    (
        "NETSH INTERFACE PORTPROXY ADD V4TOV4 LISTENPORT=8080 CONNECTADDRESS=10.0.0.8",
        [E("add", la="*", lp=8080, ca="10.0.0.8", cp=8080)],
    ),
    (
        f"{ADD} connectaddress=10.0.0.7 listenport=2222 connectport=22",
        [E("add", la="*", lp=2222, ca="10.0.0.7", cp=22)],
    ),
    (
        "netsh i po ad v c=10.9.8.7 l=9001 connectp=443 listena=0.0.0.0",
        [E("add", la="0.0.0.0", lp=9001, ca="10.9.8.7", cp=443)],
    ),
    # --- positional binding --------------------------------------------------------------------
    (
        "netsh int portproxy add v4tov4 8082 pivot.example.com 443 0.0.0.0",
        [E("add", la="0.0.0.0", lp=8082, ca="pivot.example.com", cp=443)],
    ),
    (f"{ADD} 3390 10.1.1.5", [E("add", la="*", lp=3390, ca="10.1.1.5", cp=3390)]),
    ("netsh interface portproxy delete v4tov4 2222 0.0.0.0", [E("delete", la="0.0.0.0", lp=2222)]),
    (
        f"{ADD} 1 10.0.0.1 2 0.0.0.0 tcp extra",
        [E("add", la="0.0.0.0", lp=1, ca="10.0.0.1", cp=2, reason="too many arguments: extra")],
    ),
    # --- service names and port ranges --------------------------------------------------------
    (
        f"{ADD} listenport=ms-sql-s connectaddress=10.0.0.9 connectport=ms-sql-s",
        [E("add", la="*", lp=1433, ca="10.0.0.9", cp=1433)],
    ),
    (
        f"{ADD} listenport=MS-WBT-SERVER connectaddress=10.0.0.9 connectport=https",
        [E("add", la="*", lp=3389, ca="10.0.0.9", cp=443)],
    ),
    (
        f"{ADD} listenport=www connectaddress=10.0.0.9 connectport=microsoft-ds",
        [E("add", la="*", lp=80, ca="10.0.0.9", cp=445)],
    ),
    (
        f"{ADD} listenport=rdp connectaddress=10.0.0.9",
        [E("add", la="*", ca="10.0.0.9", reason="unknown port or service name in listenport: rdp")],
    ),
    (
        f"{ADD} listenport=snmp connectaddress=10.0.0.9",  # UDP-only in the services file
        [
            E(
                "add",
                la="*",
                ca="10.0.0.9",
                reason="unknown port or service name in listenport: snmp",
            )
        ],
    ),
    (
        f"{ADD} listenport=0 connectaddress=10.0.0.9 connectport=80",
        [E("add", la="*", ca="10.0.0.9", cp=80, reason="port out of range in listenport: 0")],
    ),
    (
        f"{ADD} listenport=8080 connectaddress=10.0.0.9 connectport=65536",
        [
            E(
                "add",
                la="*",
                lp=8080,
                ca="10.0.0.9",
                reason="port out of range in connectport: 65536",
            )
        ],
    ),
    (
        f"{ADD} listenport=65535 connectaddress=10.0.0.9 connectport=00080",
        [E("add", la="*", lp=65535, ca="10.0.0.9", cp=80)],
    ),
    # --- protocol -----------------------------------------------------------------------------
    (
        f"{ADD} listenport=9999 connectaddress=10.0.0.5 protocol=tcp",
        [E("add", la="*", lp=9999, ca="10.0.0.5", cp=9999)],
    ),
    (
        f"{ADD} listenport=9999 connectaddress=10.0.0.5 p=TCP",
        [E("add", la="*", lp=9999, ca="10.0.0.5", cp=9999)],
    ),
    (
        f"{ADD} listenport=5050 listenaddress=0.0.0.0 connectport=5050 connectaddress=172.17.21.123 protocol=udp",
        [
            E(
                "add",
                la="0.0.0.0",
                lp=5050,
                ca="172.17.21.123",
                cp=5050,
                reason="unsupported protocol: udp",
            )
        ],
    ),
    # --- tags ---------------------------------------------------------------------------------
    (
        f"{ADD} listenport=8080 listenadress=0.0.0.0 connectport=80 connectaddress=172.16.100.60",
        [E("add", la="*", lp=8080, ca="172.16.100.60", cp=80, reason="unknown tag: listenadress")],
    ),
    (
        f"{ADD} connectaddress=10.0.0.1 connectport=80",
        [E("add", la="*", ca="10.0.0.1", cp=80, reason="missing listenport")],
    ),
    (f"{ADD} listenport=22", [E("add", la="*", lp=22, cp=22, reason="missing connectaddress")]),
    (
        f"{ADD} listenport=1 listenport=2 connectaddress=10.0.0.1",
        [E("add", la="*", lp=1, ca="10.0.0.1", cp=1, reason="duplicate tag: listenport")],
    ),
    (
        "netsh interface portproxy delete v4tov4 listenport=80 connectaddress=10.0.0.1",
        [E("delete", la="*", lp=80, reason="unknown tag: connectaddress")],
    ),
    # --- verbs --------------------------------------------------------------------------------
    (
        "netsh interface portproxy set v4tov4 listenport=8080 connectport=81",
        [E("set", la="*", lp=8080, ca=None, cp=81)],
    ),
    (
        "netsh interface portproxy set v4tov4 listenport=8080 connectaddress=10.0.0.2 connectport=81 listenaddress=10.0.0.1",
        [E("set", la="10.0.0.1", lp=8080, ca="10.0.0.2", cp=81)],
    ),
    (
        "netsh interface portproxy delete v4tov4 listenport=8080 listenaddress=0.0.0.0",
        [E("delete", la="0.0.0.0", lp=8080)],
    ),
    ("netsh interface portproxy del v4tov4 listenport=4000", [E("delete", la="*", lp=4000)]),
    ("netsh interface portproxy reset", [E("reset", family=None)]),
    ("netsh int p r", [E("reset", family=None)]),
    ("netsh interface portproxy show all", [E("show", family=None)]),
    ("netsh interface portproxy sh v6tov6", [E("show", family="v6tov6")]),
    # --- families and addresses ---------------------------------------------------------------
    (
        "netsh interface portproxy add v4tov6 listenport=8092 listenaddress=0.0.0.0 connectport=443 connectaddress=2001:DB8::1",
        [E("add", "v4tov6", la="0.0.0.0", lp=8092, ca="2001:db8::1", cp=443)],
    ),
    (
        "netsh interface portproxy add v6tov4 listenport=80 listenaddress=:: connectport=8080 connectaddress=127.0.0.1",
        [E("add", "v6tov4", la="::", lp=80, ca="127.0.0.1", cp=8080)],
    ),
    (
        "netsh interface portproxy add v6tov6 listenport=2223 listenaddress=[::] connectport=2222 connectaddress=[::1]",
        [E("add", "v6tov6", la="::", lp=2223, ca="::1", cp=2222)],
    ),
    (
        "netsh interface portproxy add v6 listenport=80 connectaddress=192.0.2.80",
        [E("add", "v6tov4", la="*", lp=80, ca="192.0.2.80", cp=80)],
    ),
    (
        "netsh interface portproxy add v4tov listenport=80 connectaddress=192.0.2.80",
        [E("add", "v4tov4", la="*", lp=80, ca="192.0.2.80", cp=80)],
    ),
    (
        "netsh interface portproxy add v5tov4 listenport=1 connectaddress=10.0.0.1",
        [E("add", None, reason="unknown type: v5tov4")],
    ),
    ("netsh interface portproxy add", [E("add", None, reason="missing type")]),
    (
        f"{ADD} listenport=7000 connectaddress=::ffff:10.0.0.5",
        [E("add", la="*", lp=7000, ca="10.0.0.5", cp=7000)],
    ),
    (
        f"{ADD} listenaddress=0.0.0.0 listenport=8443 connectport=445 connectaddress=SRV-DC01.corp.example",
        [E("add", la="0.0.0.0", lp=8443, ca="SRV-DC01.corp.example", cp=445)],
    ),
    (
        f"{ADD} listenport=80 connectaddress=10.0.0.300",
        [E("add", la="*", lp=80, cp=80, reason="invalid address in connectaddress: 10.0.0.300")],
    ),
    # --- unresolved expressions and templates -------------------------------------------------
    (
        f"{ADD} listenport=3000 listenaddress=0.0.0.0 connectport=3000 connectaddress=$wslIp",
        [
            E(
                "add",
                la="0.0.0.0",
                lp=3000,
                cp=3000,
                reason="unresolved expression in connectaddress: $wslIp",
            )
        ],
    ),
    (
        f"{ADD} listenport=22 listenaddress=192.168.2.4 connectport=53422 connectaddress=%IP_ADDRESS%",
        [
            E(
                "add",
                la="192.168.2.4",
                lp=22,
                cp=53422,
                reason="unresolved expression in connectaddress: %IP_ADDRESS%",
            )
        ],
    ),
    (
        f"{ADD} listenport=#{{listenport}} connectport=443 connectaddress=10.0.0.1",
        [
            E(
                "add",
                la="*",
                ca="10.0.0.1",
                cp=443,
                reason="unresolved expression in listenport: #{listenport}",
            )
        ],
    ),
    (
        f"{ADD} listenport=8000 connectaddress=(wsl hostname -I) connectport=8000",
        [
            E(
                "add",
                la="*",
                lp=8000,
                cp=8000,
                reason="unresolved expression in connectaddress: (wsl hostname -I)",
            )
        ],
    ),
    (
        f"{ADD} listenport=50100 connectaddress=[C2] connectport=443",
        [
            E(
                "add",
                la="*",
                lp=50100,
                cp=443,
                reason="unresolved expression in connectaddress: [C2]",
            )
        ],
    ),
    (
        f"{ADD} listenport=<port> connectaddress=10.0.0.1",
        [E("add", la="*", ca="10.0.0.1", reason="unresolved expression in listenport: <port>")],
    ),
    (
        f"{ADD} listenaddress=0.0.0.0 listenport=9999 connectaddress= connectport=8443 protocol=tcp",
        [E("add", la="0.0.0.0", lp=9999, cp=8443, reason="empty value for connectaddress")],
    ),
    # --- wrappers and noise -------------------------------------------------------------------
    (
        "cmd  /c netsh interface portproxy add v4tov4 listenport=8080 listenaddress=0.0.0.0 connectport=8000 connectaddress=192.168.1.1",
        [E("add", la="0.0.0.0", lp=8080, ca="192.168.1.1", cp=8000)],
    ),
    (
        'cmd.exe /c "netsh interface portproxy add v4tov4 listenport=8081 connectaddress=10.0.0.3"',
        [E("add", la="*", lp=8081, ca="10.0.0.3", cp=8081)],
    ),
    (
        r'"C:\Windows\system32\netsh.exe" interface portproxy add v4tov4 listenport=1337 connectport=1337 connectaddress=127.0.0.1',
        [E("add", la="*", lp=1337, ca="127.0.0.1", cp=1337)],
    ),
    (
        r"C:\Windows\System32\cmd.exe /Q /c netsh interface portproxy add v4tov4 listenport=9999 connectaddress=10.0.0.5 1> \\127.0.0.1\ADMIN$\__1700000000.12 2>&1",
        [E("add", la="*", lp=9999, ca="10.0.0.5", cp=9999)],
    ),
    (
        'powershell -c "netsh interface portproxy add v4tov4 listenport=8443 connectaddress=10.0.0.6"',
        [E("add", la="*", lp=8443, ca="10.0.0.6", cp=8443)],
    ),
    (
        'powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "netsh interface portproxy delete v4tov4 listenport=8443 | Out-Null"',
        [E("delete", la="*", lp=8443)],
    ),
    (
        'Invoke-Expression "netsh interface portproxy add v4tov4 listenport=7001 connectaddress=10.0.0.7";',
        [E("add", la="*", lp=7001, ca="10.0.0.7", cp=7001)],
    ),
    (
        "& netsh interface portproxy delete v4tov4 listenaddress=0.0.0.0 listenport=7002 *> $null",
        [E("delete", la="0.0.0.0", lp=7002)],
    ),
    (
        '"powershell.exe" & {netsh interface portproxy add v4tov4 listenport=1337 connectport=1337 connectaddress=127.0.0.1}',
        [E("add", la="*", lp=1337, ca="127.0.0.1", cp=1337)],
    ),
    (
        "\u201ccmd.exe /c \u201cnetsh interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=9999 connectaddress=10.2.30.1 connectport=8443 protocol=tcp\u201d\u201d",
        [E("add", la="0.0.0.0", lp=9999, ca="10.2.30.1", cp=8443)],
    ),
    (
        f"{ADD} listenaddress='0.0.0.0' listenport=\"9998\" connectaddress='127.0.0.1' connectport=9880",
        [E("add", la="0.0.0.0", lp=9998, ca="127.0.0.1", cp=9880)],
    ),
    (
        f"{ADD} listenport=81 connectaddress=10.0.0.1 & {ADD} listenport=82 connectaddress=10.0.0.2",
        [
            E("add", la="*", lp=81, ca="10.0.0.1", cp=81),
            E("add", la="*", lp=82, ca="10.0.0.2", cp=82),
        ],
    ),
    (
        "netsh interface portproxy reset && netsh interface portproxy add v4tov4 listenport=83 connectaddress=10.0.0.3",
        [E("reset", family=None), E("add", la="*", lp=83, ca="10.0.0.3", cp=83)],
    ),
    (
        "$T_PORT=8226; netsh interface portproxy add v4tov4 listenport=$T_PORT listenaddress=0.0.0.0 connectport=8226 connectaddress=172.20.1.2",
        [
            E(
                "add",
                la="0.0.0.0",
                cp=8226,
                ca="172.20.1.2",
                reason="unresolved expression in listenport: $T_PORT",
            )
        ],
    ),
    (f"powershell -enc {ENC}", [E("add", la="*", lp=4444, ca="10.3.3.3", cp=443)]),
    # --- remote execution ---------------------------------------------------------------------
    (
        'wmic /node:10.2.30.15 /user:corp\\admin /password:x process call create "cmd.exe /c netsh interface portproxy add v4tov4 listenport=50100 listenaddress=0.0.0.0 connectport=8443 connectaddress=10.2.30.1"',
        [E("add", la="0.0.0.0", lp=50100, ca="10.2.30.1", cp=8443, host="10.2.30.15", via="wmic")],
    ),
    (
        "wmic /node: server-01 /user: dean-admin /password: pw process call create \u201ccmd.exe /c netsh interface portproxy add v4tov4 listenport=50100 listenaddress=0.0.0.0 connectport=8443 connectaddress=10.2.30.1\u201d",
        [E("add", la="0.0.0.0", lp=50100, ca="10.2.30.1", cp=8443, host="server-01", via="wmic")],
    ),
    (
        'wmic /node:localhost process call create "netsh interface portproxy add v4tov4 listenport=5000 connectaddress=10.0.0.4"',
        [E("add", la="*", lp=5000, ca="10.0.0.4", cp=5000)],
    ),
    (
        "netsh -r FS01 -u corp\\admin -p pass interface portproxy add v4tov4 listenport=4455 connectaddress=10.0.0.22 connectport=445",
        [E("add", la="*", lp=4455, ca="10.0.0.22", cp=445, host="FS01", via="netsh -r")],
    ),
    (
        "psexec.exe \\\\WEB02 -accepteula -s netsh interface portproxy add v4tov4 listenport=8888 connectaddress=10.0.0.30 connectport=80",
        [E("add", la="*", lp=8888, ca="10.0.0.30", cp=80, host="WEB02", via="psexec")],
    ),
    (
        'PsExec64.exe \\\\10.0.0.12 -u corp\\svc -p x cmd /c "netsh interface portproxy delete v4tov4 listenport=8888"',
        [E("delete", la="*", lp=8888, host="10.0.0.12", via="psexec")],
    ),
    (
        "Invoke-Command -ComputerName DB01 -ScriptBlock { netsh interface portproxy add v4tov4 listenport=14330 connectaddress=10.0.0.40 connectport=1433 }",
        [E("add", la="*", lp=14330, ca="10.0.0.40", cp=1433, host="DB01", via="invoke-command")],
    ),
    (
        "icm -cn DB02 {netsh int p a v l=3390 c=10.0.0.41 connectp=3389; netsh int p sh all}",
        [
            E("add", la="*", lp=3390, ca="10.0.0.41", cp=3389, host="DB02", via="invoke-command"),
            E("show", family=None, host="DB02", via="invoke-command"),
        ],
    ),
    (
        'netsh -c "interface portproxy" add v4tov4 listenport=1111 connectaddress=10.0.0.11',
        [E("add", la="*", lp=1111, ca="10.0.0.11", cp=1111)],
    ),
    (
        "netsh -c int p delete v4tov4 listenport=1111",
        [E("delete", la="*", lp=1111)],  # context `interface`, then `p delete ...` inside it
    ),
    (
        "winrs -r:APP05 netsh interface portproxy add v4tov4 listenport=2323 connectaddress=10.0.0.23 connectport=23",
        [E("add", la="*", lp=2323, ca="10.0.0.23", cp=23, host="APP05", via="winrs")],
    ),
    ("netsh -f C:\\Users\\Public\\pp.txt", []),
    (
        f"{ADD} 8080 <MACOS_IP_ADDRESS> 8080 0.0.0.0",
        [
            E(
                "add",
                la="0.0.0.0",
                lp=8080,
                cp=8080,
                reason="unresolved expression in connectaddress: <MACOS_IP_ADDRESS>",
            )
        ],
    ),
    (f"{ADD} `", [E("add", la="*", reason="missing listenport; missing connectaddress")]),
    (
        'Start-Process netsh -ArgumentList "interface portproxy add v4tov4 listenport=2222 listenaddress=0.0.0.0 connectaddress=172.20.1.5 connectport=22" -Verb RunAs',
        [E("add", la="0.0.0.0", lp=2222, ca="172.20.1.5", cp=22)],
    ),
    (
        "powershell -Command \"Start-Process -FilePath netsh.exe -ArgumentList 'interface portproxy delete v4tov4 listenport=2222' -Verb runAs\"",
        [E("delete", la="*", lp=2222)],
    ),
    (
        'Start-Process cmd -ArgumentList "/c netsh interface portproxy reset" -WindowStyle Hidden',
        [E("reset", family=None)],
    ),
    # --- not portproxy -------------------------------------------------------------------------
    (
        "netsh advfirewall firewall add rule name=x dir=in action=allow protocol=TCP localport=8080",
        [],
    ),
    ("netsh int ipv4 reset", []),
    ("cmd /c ipconfig /all", []),
    ("netsh i* p*=3389 c*", []),
]


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_variant(text: str, expected: list[tuple[Any, ...]]) -> None:
    assert got(text) == expected


def test_script_context_blocks() -> None:
    lines = [
        "#========================",
        "# Port Proxy configuration",
        "#========================",
        "pushd interface portproxy",
        "",
        "reset",
        "add v4tov4 listenport=1024 connectaddress=192.168.198.200 connectport=1024",
        "popd",
        "add v4tov4 listenport=1 connectaddress=10.0.0.1",  # outside the block: `add helper`
        "netsh interface portproxy delete v4tov4 listenport=1024",
    ]
    out = [
        (n, c.verb, c.listen_port, c.connect_address) for n, c in parse_script(enumerate(lines, 1))
    ]
    assert out == [
        (6, "reset", None, None),
        (7, "add", 1024, "192.168.198.200"),
        (10, "delete", 1024, None),
    ]


def test_services_table() -> None:
    assert services.resolve("ms-sql-s") == 1433
    assert services.resolve("ms-wbt-server") == 3389
    assert services.resolve("WWW-HTTP") == 80
    assert services.resolve("ntp") is None  # UDP only


# --- hypothesis: tag prefix matching -----------------------------------------------------------


@settings(deadline=None)
@given(st.sampled_from(TAGS_ADD).flatmap(lambda t: st.tuples(st.just(t), st.integers(1, len(t)))))
def test_tag_prefix_resolves_to_first_in_netsh_order(tag_len: tuple[str, int]) -> None:
    tag, n = tag_len
    prefix = tag[:n]
    expected = next(t for t in TAGS_ADD if t.startswith(prefix))
    assert match_word(prefix.upper(), TAGS_ADD) == expected
    # a prefix long enough to be unambiguous names exactly its own tag
    if not any(t != tag and t.startswith(prefix) for t in TAGS_ADD):
        assert match_word(prefix, TAGS_ADD) == tag


@settings(deadline=None)
@given(
    lp=st.integers(1, 65535),
    cp=st.integers(1, 65535),
    octet=st.integers(1, 254),
    cut=st.tuples(st.integers(7, 10), st.integers(8, 14), st.integers(8, 11), st.integers(1, 13)),
    order=st.permutations(range(4)),
)
def test_any_unambiguous_tag_prefixes_in_any_order(
    lp: int, cp: int, octet: int, cut: tuple[int, int, int, int], order: list[int]
) -> None:
    # shortest unambiguous prefixes: listena (7), connectp (8); listenport/connectaddress by order
    args = [
        "listenaddress"[: cut[0]] + f"=192.0.2.{octet}",
        "connectport"[: cut[2]] + f"={cp}",
        "connectaddress"[: cut[3] if cut[3] < 8 else 14] + f"=10.0.0.{octet}",
        "listenport"[: min(cut[1], 10)] + f"={lp}",
    ]
    line = "netsh int p a v " + " ".join(args[i] for i in order)
    assert got(line) == [E("add", la=f"192.0.2.{octet}", lp=lp, ca=f"10.0.0.{octet}", cp=cp)]


def test_corpus_examples_all_handled() -> None:
    path = corpus_file("portproxy", "examples.txt")
    lines = [line.split(" ## ", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) >= 240
    found = {}
    for text in lines:
        found[text] = got(text)  # never raises
    parsed = parse_script(enumerate(lines, 1))  # the file as a script: no exceptions either
    assert parsed
    # hand-checked lines
    assert found["netsh  I p a v l=8001 listena=1.2.3.4 connectp=3389 c=1.2.3.5"] == [
        E("add", la="1.2.3.4", lp=8001, ca="1.2.3.5", cp=3389)
    ]
    assert found[
        "netsh interface portproxy add v4tov4 listenport=8080 listenadress=0.0.0.0 connectport=80 connectaddress=172.16.100.60"
    ] == [E("add", la="*", lp=8080, ca="172.16.100.60", cp=80, reason="unknown tag: listenadress")]
    assert found["netsh int portproxy add v4tov4 8082 pivot.sandsoncosta.com 443 0.0.0.0"] == [
        E("add", la="0.0.0.0", lp=8082, ca="pivot.sandsoncosta.com", cp=443)
    ]
    assert found["netsh interface portproxy reset all"] == [E("reset", family=None)]
    wmic = next(t for t in found if t.startswith("wmic /node: server-01"))
    assert found[wmic] == [
        E("add", la="0.0.0.0", lp=50100, ca="10.2.30.1", cp=8443, host="server-01", via="wmic")
    ]
    assert found[
        "netsh interface portproxy add v6tov6 listenport=3390 connectaddress=[::1] connectport=445"
    ] == [E("add", "v6tov6", la="*", lp=3390, ca="::1", cp=445)]


_NOISE = st.text(
    alphabet=st.sampled_from(
        list("netshiaportxyv46=\"'`^&|;{}()<>$%#[]:/\\.*-0123 \t\u201c\u201d")
    ),
    max_size=120,
)


@settings(deadline=None)
@given(_NOISE)
def test_never_raises_on_arbitrary_text(text: str) -> None:
    for cmd in parse_command_line("netsh interface portproxy add v4tov4 " + text):
        assert cmd.valid == (cmd.invalid_reason is None)
    parse_command_line(text)
    parse_script(enumerate(text.split("\t"), 1))
