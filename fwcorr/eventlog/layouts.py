"""EventData names for Get-WinEvent exports, whose Properties carry values without names."""

from __future__ import annotations

# EventData field order for Get-WinEvent exports, whose Properties carry values without names.
# Keyed by (provider, EventID, number of values): a layout is used only when the count matches
# (event versions add fields at the end or in the middle); otherwise values are Data1..DataN.
_SEC = "Microsoft-Windows-Security-Auditing"
_SYSMON = "Microsoft-Windows-Sysmon"
_WFP = (
    "ProcessID",
    "Application",
    "Direction",
    "SourceAddress",
    "SourcePort",
    "DestAddress",
    "DestPort",
    "Protocol",
    "FilterRTID",
    "LayerName",
    "LayerRTID",
    "RemoteUserID",
    "RemoteMachineID",
)
_4688 = (
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "NewProcessId",
    "NewProcessName",
    "TokenElevationType",
    "ProcessId",
    "CommandLine",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "ParentProcessName",
    "MandatoryLabel",
)
_SYSMON1 = (
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "CommandLine",
    "CurrentDirectory",
    "User",
    "LogonGuid",
    "LogonId",
    "TerminalSessionId",
    "IntegrityLevel",
    "Hashes",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentImage",
    "ParentCommandLine",
)
_SYSMON_REG = ("RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image")
_FW = "Microsoft-Windows-Windows Firewall With Advanced Security"
# Rule events, in manifest order (the message's %4 ApplicationPath ... %22 ModifyingUser,
# %23 ModifyingApplication confirm the positions).
_FW_RULE = (
    "RuleId",
    "RuleName",
    "Origin",
    "ApplicationPath",
    "ServiceName",
    "Direction",
    "Protocol",
    "LocalPorts",
    "RemotePorts",
    "Action",
    "Profiles",
    "LocalAddresses",
    "RemoteAddresses",
    "RemoteMachineAuthorizationList",
    "RemoteUserAuthorizationList",
    "EmbeddedContext",
    "Flags",
    "Active",
    "EdgeTraversal",
    "LooseSourceMapped",
    "SecurityOptions",
    "ModifyingUser",
    "ModifyingApplication",
    "SchemaVersion",
    "RuleStatus",
    "LocalOnlyMapped",
)
_FW_DELETE = ("RuleId", "RuleName", "ModifyingUser", "ModifyingApplication")
PROPERTY_LAYOUTS: dict[tuple[str, int], tuple[tuple[str, ...], ...]] = {
    **{(_FW, eid): (_FW_RULE,) for eid in (2004, 2005)},
    **{(_FW, eid): ((*_FW_RULE, "ErrorCode"),) for eid in (2071, 2073)},
    **{(_FW, eid): ((*_FW_RULE, "PolicyAppId", "ErrorCode"),) for eid in (2097, 2099)},
    (_FW, 2006): (_FW_DELETE,),
    (_FW, 2052): ((*_FW_DELETE, "ErrorCode"),),
    **{(_SEC, eid): (("ProfileChanged", "RuleId", "RuleName"),) for eid in (4946, 4947, 4948)},
    (_SEC, 4950): (("ProfileChanged", "SettingType", "SettingValue"),),
    (_SEC, 5156): (_WFP, _WFP[:11]),
    (_SEC, 5157): (_WFP, _WFP[:11]),
    (_SEC, 4688): (_4688[:8], _4688[:9], _4688),  # event versions 0, 1, 2
    (_SYSMON, 1): (
        _SYSMON1,  # Sysmon 8-9
        (*_SYSMON1[:9], "OriginalFileName", *_SYSMON1[9:]),  # Sysmon 10+
        (*_SYSMON1[:9], "OriginalFileName", *_SYSMON1[9:], "ParentUser"),  # Sysmon 13.30+
    ),
    (_SYSMON, 12): ((*_SYSMON_REG, "TargetObject"), (*_SYSMON_REG, "TargetObject", "User")),
    (_SYSMON, 13): (
        (*_SYSMON_REG, "TargetObject", "Details"),
        (*_SYSMON_REG, "TargetObject", "Details", "User"),
    ),
    (_SYSMON, 14): (
        (*_SYSMON_REG, "TargetObject", "NewName"),
        (*_SYSMON_REG, "TargetObject", "NewName", "User"),
    ),
}


def property_names(provider: str | None, event_id: int, count: int) -> tuple[str, ...] | None:
    """The EventData names for `count` positional values, when the layout is known."""
    for names in PROPERTY_LAYOUTS.get((provider or "", event_id), ()):
        if len(names) == count:
            return names
    return None
