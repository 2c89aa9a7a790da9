"""TCP service names Windows resolves ports from (%SystemRoot%\\System32\\drivers\\etc\\services).

netsh accepts a service name wherever a port is expected and resolves it through this file.
The table lists the TCP entries of the file Windows ships (names and aliases), as data.
"""

from __future__ import annotations

# name  port  aliases...   (TCP entries only; UDP-only names such as ntp or snmp do not resolve)
_TABLE = """
echo 7
discard 9 sink null
systat 11 users
daytime 13
qotd 17 quote
chargen 19 ttytst source
ftp-data 20
ftp 21
ssh 22
telnet 23
smtp 25 mail
time 37 timserver
nameserver 42 name
nicname 43 whois
domain 53
gopher 70
finger 79
http 80 www www-http
hosts2-ns 81
kerberos 88 krb5 kerberos-sec
hostname 101 hostnames
iso-tsap 102
rtelnet 107
pop2 109 postoffice
pop3 110
sunrpc 111 rpcbind portmap
auth 113 ident tap
uucp-path 117
sqlserv 118
nntp 119 usenet
epmap 135 loc-srv
netbios-ns 137 nbname
netbios-ssn 139 nbsession
imap 143 imap4
sql-net 150
sqlsrv 156
pcmail-srv 158
print-srv 170
bgp 179
irc 194
rtsps 322
mftp 349
ldap 389
https 443 MCom
microsoft-ds 445
kpasswd 464
crs 507
exec 512
login 513
cmd 514 shell
printer 515 spooler
efs 520
ulp 522
tempo 526 newdate
irc-serv 529
courier 530 rpc
conference 531 chat
netnews 532 readnews
uucp 540 uucpd
klogin 543
kshell 544 krcmd
dhcpv6-client 546
dhcpv6-server 547
afpovertcp 548
rtsp 554
remotefs 556 rfs rfs_server
nntps 563 snntp
whoami 565
ms-shuttle 568
ms-rome 569
http-rpc-epmap 593
hmmp-ind 612
hmmp-op 613
ldaps 636 sldap
doom 666
msexch-routing 691
kerberos-adm 749
mdbs_daemon 800
ftps-data 989
ftps 990
telnets 992
imaps 993
ircs 994
pop3s 995 spop3
activesync 1034
kpop 1109
nfsd-status 1110
nfa 1155
opsmgr 1270
ms-sql-s 1433
ms-sql-m 1434
ms-sna-server 1477
ms-sna-base 1478
wins 1512
ingreslock 1524 ingres
stt 1607
pptconference 1711
pptp 1723
msiccp 1731
remote-winsock 1745
ms-streaming 1755
msmq 1801
msnp 1863
ssdp 1900
close-combat 1944
knetd 2053
mzap 2106
qwave 2177
directplay 2234
ms-olap3 2382
ms-olap4 2383
ms-olap1 2393
ms-olap2 2394
ms-theater 2460
wlbs 2504
ms-v-worlds 2525
sms-rcinfo 2701
sms-xfer 2702
sms-chat 2703
sms-remctrl 2704
msolap-ptp2 2725
icslap 2869
cifs 3020
xbox 3074
ms-dotnetster 3126
ms-rule-engine 3132
msft-gc 3268
msft-gc-ssl 3269
ms-cluster-net 3343
ms-wbt-server 3389
ms-la 3535
pnrp-port 3540
teredo 3544
p2pgroup 3587
ws-discovery 3702
dvcprov-port 3776
msfw-control 3847
msdts1 3882
sdp-portmapper 3935
net-device 4350
ipsec-msft 4500
llmnr 5355
wsd 5357
rrac 5678
dccm 5679
ms-licensing 5720
directplay8 6073
ms-do 7680
man 9535
rasadv 9753
imip-channels 11320
directplaysrvr 47624
"""


def _build() -> dict[str, int]:
    table: dict[str, int] = {}
    for row in _TABLE.strip().splitlines():
        name, port, *aliases = row.split()
        for key in (name, *aliases):
            table.setdefault(key.lower(), int(port))
    return table


TCP_SERVICES: dict[str, int] = _build()
"""Lower-case service name or alias -> TCP port."""


def resolve(name: str) -> int | None:
    """TCP port of a Windows service name (case-insensitive), or None when unknown."""
    return TCP_SERVICES.get(name.strip().lower())
