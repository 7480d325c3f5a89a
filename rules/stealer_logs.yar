/*
   Infostealer logs (RedLine, Raccoon, Vidar, Lumma, META and clones): the
   text files inside a stolen "log" bundle, as sold in markets and Telegram
   channels and found on buyers' machines. The layouts below are the
   stealers' own output formats; documentation and password-manager exports
   use different labels or fewer blocks.
*/

rule stealer_log_passwords_txt
{
    meta:
        author = "triage project"
        description = "Infostealer Passwords.txt: repeated URL/Username/Password blocks with the stealer's Application/Soft/Browser field"
        reference = "https://attack.mitre.org/techniques/T1555/003/"
        date = "2026-11-28"
        score = 80

    strings:
        $blk = /(URL|url|Url|Host|HOST|SOFT|Soft): ?[^\r\n]{3,300}\r?\n(Username|USER|User|Login|LOGIN|login): ?[^\r\n]{0,200}\r?\n(Password|PASS|Pass|password): ?[^\r\n]{0,200}/
        $m1 = /\n(Application|Soft|SOFT|Browser|Storage): ?[^\r\n]{2,100}/
        $m2 = "===============" ascii
        $m3 = "*********" ascii
        $m4 = /(Google_\[Chrome\]|Chromium|Edge_Chromium|Mozilla Firefox|Opera GX)/

    condition:
        filesize < 50MB and #blk >= 3 and 1 of ($m*)
}

rule stealer_log_system_info
{
    meta:
        author = "triage project"
        description = "Infostealer victim profile (RedLine UserInformation.txt / Vidar information.txt / Lumma System.txt layouts)"
        reference = "https://attack.mitre.org/techniques/T1082/"
        date = "2026-11-28"
        score = 75

    strings:
        $r1 = "Build ID:" ascii
        $r2 = "FileLocation:" ascii
        $r3 = "MachineName:" ascii
        $r4 = "HWID:" ascii
        $r5 = "Current Language:" ascii
        $r6 = "ScreenSize:" ascii
        $r7 = "Log date:" ascii
        $r8 = "Available KeyboardLayouts:" ascii
        $r9 = "Anti-Viruses:" ascii
        $r10 = "Hardwares:" ascii
        $r11 = "Zip Code:" ascii
        $v1 = "MachineID:" ascii
        $v2 = "GUID:" ascii
        $v3 = "Work Dir:" ascii
        $v4 = "Display Resolution:" ascii
        $v5 = "Keyboard Languages:" ascii
        $v6 = "[Hardware]" ascii
        $v7 = "[Processes]" ascii
        $v8 = "[Software]" ascii
        $v9 = "CPU Count:" ascii
        $v10 = "VideoCard:" ascii
        $v11 = "Local Time:" ascii

    condition:
        filesize < 20MB and (6 of ($r*) or 6 of ($v*))
}

rule stealer_log_bundle_listing
{
    meta:
        author = "triage project"
        description = "Listing/manifest of an infostealer log bundle (Passwords.txt, Autofills, CreditCards, Wallets, UserInformation.txt ...)"
        reference = "https://attack.mitre.org/techniques/T1005/"
        date = "2026-11-28"
        score = 65

    strings:
        $f1 = "Passwords.txt" ascii wide nocase
        $f2 = "UserInformation.txt" ascii wide nocase
        $f3 = "ImportantAutofills.txt" ascii wide nocase
        $f4 = "DomainDetects.txt" ascii wide nocase
        $f5 = "InstalledSoftware.txt" ascii wide nocase
        $f6 = "ProcessList.txt" ascii wide nocase
        $f7 = "CreditCards" ascii wide
        $f8 = "Autofills" ascii wide
        $f9 = /Wallets[\\\/]/ ascii wide
        $f10 = /Cookies[\\\/][A-Za-z_]{3,40}\.txt/ ascii wide
        $f11 = "information.txt" ascii wide
        $f12 = "Screenshot.jpg" ascii wide nocase

    condition:
        filesize < 50MB and 6 of them
}
