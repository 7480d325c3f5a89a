/*
   Web skimmers (Magecart-style): JavaScript injected into shop checkouts that
   copies payment fields and sends them to a third-party host. Legitimate
   checkout code posts to its own (relative) endpoints and does not combine
   card fields with base64 encoding and absolute-URL beacons.
*/

rule skimmer_checkout_exfil_js
{
    meta:
        author = "triage project"
        description = "JS skimmer: harvests checkout card fields, encodes them and beacons to an absolute URL via Image().src or fetch/sendBeacon"
        reference = "https://attack.mitre.org/techniques/T1056/003/"
        date = "2026-11-28"
        score = 85

    strings:
        $co1 = "checkout" ascii nocase
        $co2 = "onepage" ascii nocase
        $co3 = "payment" ascii nocase
        $f1 = /(cc_number|cardnumber|card-number|card_number|ccnum|cc-number)/ ascii nocase
        $f2 = /(cc_cid|cvv|cvc|card_cvv|security_code|cc-csc)/ ascii nocase
        $f3 = /(cc_exp_month|expiry|exp-date|cc_exp|expirationdate|cc-exp)/ ascii nocase
        $x1 = /new\s+Image\s*\(\s*\)[^;]{0,80};?[^;]{0,80}\.src\s*=\s*['"]https?:\/\// ascii
        $x2 = /fetch\s*\(\s*['"]https?:\/\/[^'"]{4,200}['"]/ ascii
        $x3 = /navigator\.sendBeacon\s*\(\s*['"]https?:\/\// ascii
        $x4 = /\.src\s*=\s*['"]https?:\/\/[^'"]{4,200}\?[a-z0-9_]{1,20}=['"]\s*\+/ ascii nocase
        $e1 = "btoa(" ascii
        $e2 = "atob(" ascii
        $e3 = "String.fromCharCode" ascii

    condition:
        filesize < 5MB and 1 of ($co*) and 2 of ($f*) and 1 of ($x*) and 1 of ($e*)
}

rule skimmer_obfuscated_atob_loader
{
    meta:
        author = "triage project"
        description = "Heavily atob()-obfuscated JS that evaluates decoded code on checkout/payment pages (Magecart loader pattern)"
        reference = "https://attack.mitre.org/techniques/T1027/"
        date = "2026-11-28"
        score = 75

    strings:
        $atob = "atob(" ascii
        $ex1 = "eval(" ascii
        $ex2 = "new Function(" ascii
        $ex3 = /createElement\s*\(\s*['"]script['"]\s*\)/ ascii
        $ex4 = "setTimeout(atob(" ascii
        $ctx1 = "checkout" ascii nocase
        $ctx2 = "onepage" ascii nocase
        $ctx3 = "billing" ascii nocase
        $ctx4 = /\\x63\\x68\\x65\\x63\\x6b\\x6f\\x75\\x74/ ascii   // "checkout" hex-escaped
        $ctx5 = "Y2hlY2tvdXQ" ascii                             // "checkout" base64

    condition:
        filesize < 2MB and #atob >= 8 and 1 of ($ex*) and 1 of ($ctx*)
}

rule skimmer_websocket_exfil
{
    meta:
        author = "triage project"
        description = "JS skimmer exfiltrating card fields over a WebSocket to an external wss:// host"
        reference = "https://attack.mitre.org/techniques/T1056/003/"
        date = "2026-11-28"
        score = 80

    strings:
        $ws  = /new\s+WebSocket\s*\(\s*['"]wss?:\/\/[a-z0-9.-]{4,100}/ ascii nocase
        $snd = ".send(" ascii
        $ser = "JSON.stringify" ascii
        $f1 = /(cc_number|cardnumber|card-number|card_number|ccnum)/ ascii nocase
        $f2 = /(cc_cid|cvv|cvc|security_code)/ ascii nocase
        $f3 = /(cc_exp|expiry|exp-date|exp_month)/ ascii nocase
        $q1 = "querySelectorAll(\"input" ascii
        $q2 = "querySelectorAll('input" ascii
        $q3 = "getElementsByTagName(\"input\")" ascii
        $q4 = "getElementsByTagName('input')" ascii

    condition:
        filesize < 5MB and $ws and $snd and $ser and 2 of ($f*) and 1 of ($q*)
}
