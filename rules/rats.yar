/*
   Remote access tools seen in fraud: legitimate remote-support tools used in
   "bank security team"/refund scams (low scores: presence is a lead, not
   proof), and malicious RATs used for account takeover (high scores).
   Binary rules require a PE header (MZ) so threat-intel reports and web
   pages that merely mention the strings do not match.
*/

rule rat_anydesk_binary
{
    meta:
        author = "triage project"
        description = "AnyDesk remote-desktop executable (often the portable build a scammer asks the victim to run)"
        reference = "https://attack.mitre.org/techniques/T1219/"
        date = "2026-11-28"
        score = 40

    strings:
        $c1 = "AnyDesk Software GmbH" ascii wide
        $c2 = "philandro Software GmbH" ascii wide
        $s1 = "anydesk.com" ascii wide nocase
        $s2 = "ad.anynet.id" ascii wide
        $s3 = "AnyDesk.exe" ascii wide nocase
        $s4 = "ad.security.interactive_access" ascii wide
        $s5 = "boot.net.anydesk.com" ascii wide nocase
        $s6 = "ad_svc.trace" ascii wide nocase

    condition:
        uint16(0) == 0x5A4D and 1 of ($c*) and 2 of ($s*)
}

rule rat_teamviewer_binary
{
    meta:
        author = "triage project"
        description = "TeamViewer / TeamViewer QuickSupport executable (remote support tool abused in scams)"
        reference = "https://attack.mitre.org/techniques/T1219/"
        date = "2026-11-28"
        score = 40

    strings:
        $c1 = "TeamViewer Germany GmbH" ascii wide
        $c2 = "TeamViewer GmbH" ascii wide
        $s1 = "TeamViewer QuickSupport" ascii wide
        $s2 = "TeamViewer_Service.exe" ascii wide nocase
        $s3 = "TeamViewer_Desktop.exe" ascii wide nocase
        $s4 = "master.teamviewer.com" ascii wide nocase
        $s5 = "TeamViewer_Resource" ascii wide nocase
        $s6 = "tvqs" ascii wide

    condition:
        uint16(0) == 0x5A4D and 1 of ($c*) and 2 of ($s*)
}

rule rat_screenconnect_client
{
    meta:
        author = "triage project"
        description = "ConnectWise ScreenConnect client/installer, with a relay connection string (h=/p=/k=) baked in"
        reference = "https://attack.mitre.org/techniques/T1219/"
        date = "2026-11-28"
        score = 45

    strings:
        $s1 = "ScreenConnect.ClientService.exe" ascii wide nocase
        $s2 = "ScreenConnect.WindowsClient.exe" ascii wide nocase
        $s3 = "ScreenConnect.Core" ascii wide
        $s4 = "ScreenConnect Client" ascii wide
        $s5 = "ConnectWise" ascii wide
        $relay = /\?e=(Access|Support)&y=Guest&h=[a-z0-9.-]{3,100}&p=[0-9]{2,5}/ ascii wide nocase

    condition:
        (uint16(0) == 0x5A4D or uint32(0) == 0xE011CFD0) and 3 of ($s*) and $relay
}

rule rat_njrat
{
    meta:
        author = "triage project"
        description = "njRAT/Bladabindi client by its well-known command and self-deletion strings"
        reference = "https://attack.mitre.org/software/S0385/"
        date = "2026-11-28"
        score = 90

    strings:
        $s1 = "netsh firewall add allowedprogram" ascii wide nocase
        $s2 = "cmd.exe /c ping 0 -n 2 & del" ascii wide nocase
        $s3 = "[endof]" ascii wide
        $s4 = "|'|'|" ascii wide
        $s5 = "SEE_MASK_NOZONECHECKS" ascii wide
        $s6 = "Execute ERROR" ascii wide
        $s7 = "Download ERROR" ascii wide
        $s8 = "Executed As" ascii wide

    condition:
        uint16(0) == 0x5A4D and filesize < 5MB and 4 of them
}

rule rat_asyncrat
{
    meta:
        author = "triage project"
        description = "AsyncRAT client by class names and characteristic persistence/anti-analysis strings"
        reference = "https://attack.mitre.org/software/S1087/"
        date = "2026-11-28"
        score = 90

    strings:
        $s1 = "AsyncClient" ascii wide
        $s2 = "Anti_Analysis" ascii wide
        $s3 = "/c schtasks /create /f /sc onlogon /rl highest /tn" ascii wide nocase
        $s4 = "masterKey can not be null or empty" ascii wide
        $s5 = "Select * from AntivirusProduct" ascii wide nocase
        $s6 = "Pastebin" ascii wide
        $s7 = "\\nuR\\noisreVtnerruC\\swodniW\\tfosorciM\\erawtfoS" ascii wide
        $s8 = "AsyncRAT" ascii wide

    condition:
        uint16(0) == 0x5A4D and filesize < 5MB and 4 of them
}

rule rat_quasar
{
    meta:
        author = "triage project"
        description = "Quasar RAT client by its namespaces and message class names"
        reference = "https://attack.mitre.org/software/S0262/"
        date = "2026-11-28"
        score = 90

    strings:
        $s1 = "Quasar.Client" ascii wide
        $s2 = "Quasar.Common.Messages" ascii wide
        $s3 = "DoShellExecuteResponse" ascii wide
        $s4 = "GetKeyloggerLogsDirectoryResponse" ascii wide
        $s5 = "DoAskElevate" ascii wide
        $s6 = "GetPasswordsResponse" ascii wide
        $s7 = "DoRemoteDesktop" ascii wide nocase

    condition:
        uint16(0) == 0x5A4D and filesize < 10MB and 4 of them
}
