/*
   Phishing kits: the server-side parts of credential/card phishing sites
   (form handlers, drops, anti-bot filters). Written for UK fraud
   investigators triaging web server images and suspects' machines.
   Conditions need several independent indicators so ordinary contact forms,
   Telegram bots and .htaccess files do not match.
*/

rule phish_kit_telegram_exfil
{
    meta:
        author = "triage project"
        description = "Phishing kit handler sending harvested card/bank fields to a Telegram bot (api.telegram.org/bot + sendMessage)"
        reference = "https://core.telegram.org/bots/api#sendmessage"
        date = "2026-11-28"
        score = 80

    strings:
        $tg   = "api.telegram.org/bot" ascii nocase
        $send = "sendMessage" ascii
        $chat = "chat_id" ascii
        $f1 = /\$_(POST|REQUEST)\[['"](cc|ccnum|cc_number|cardnumber|card_number|cnum|cardno)['"]\]/ ascii nocase
        $f2 = /\$_(POST|REQUEST)\[['"](cvv|cvv2|cvc|csc|securitycode)['"]\]/ ascii nocase
        $f3 = /\$_(POST|REQUEST)\[['"](exp|expiry|expdate|exp_date|expmonth|exp_month|ccexp)['"]\]/ ascii nocase
        $f4 = /\$_(POST|REQUEST)\[['"](sortcode|sort_code|scode|accnum|account_number|accountnumber)['"]\]/ ascii nocase
        $f5 = /\$_(POST|REQUEST)\[['"](mmn|mothers_maiden|dob|ssn|nino)['"]\]/ ascii nocase

    condition:
        filesize < 2MB and $tg and $send and $chat and 2 of ($f*)
}

rule phish_kit_mail_drop
{
    meta:
        author = "triage project"
        description = "Phishing kit 'result' drop: PHP mail() of POSTed card details with victim IP/user agent"
        reference = "https://www.php.net/manual/en/function.mail.php"
        date = "2026-11-28"
        score = 75

    strings:
        $mail = /\bmail\s*\(\s*\$[a-z_]+\s*,/ ascii nocase
        $ip   = "$_SERVER['REMOTE_ADDR']" ascii
        $ip2  = "$_SERVER[\"REMOTE_ADDR\"]" ascii
        $c1 = /\$_POST\[['"](cc|ccnum|cardnumber|card_number|cnum)['"]\]/ ascii nocase
        $c2 = /\$_POST\[['"](cvv|cvv2|cvc|csc)['"]\]/ ascii nocase
        $c3 = /\$_POST\[['"](exp|expiry|expdate|exp_date|expmonth|exp_month)['"]\]/ ascii nocase
        $c4 = /\$_POST\[['"](sortcode|sort_code|accnum|account_number|mmn|dob|pin)['"]\]/ ascii nocase
        $k1 = "Rezult" ascii nocase
        $k2 = "Result" ascii
        $k3 = "Fullz" ascii nocase
        $k4 = "+ Card Info +" ascii nocase
        $k5 = /\|\s*(Card|CC) ?(Number|Holder)\s*:/ ascii nocase

    condition:
        filesize < 2MB and $mail and ($ip or $ip2) and 3 of ($c*) and 1 of ($k*)
}

rule phish_kit_antibot_blocklist
{
    meta:
        author = "triage project"
        description = "Phishing kit anti-bot filter: blocks security vendors, takedown services and crawlers by host/IP/UA"
        reference = "https://attack.mitre.org/techniques/T1566/"
        date = "2026-11-28"
        score = 65

    strings:
        $v1 = "phishtank" ascii nocase
        $v2 = "netcraft" ascii nocase
        $v3 = "spamhaus" ascii nocase
        $v4 = "bitdefender" ascii nocase
        $v5 = "kaspersky" ascii nocase
        $v6 = "trendmicro" ascii nocase
        $v7 = "phishlabs" ascii nocase
        $v8 = "urlscan" ascii nocase
        $v9 = "virustotal" ascii nocase
        $v10 = "forcepoint" ascii nocase
        $v11 = "surbl" ascii nocase
        $v12 = "opendns" ascii nocase
        $d1 = "deny from" ascii nocase
        $d2 = "header(\"HTTP/1.0 404 Not Found\")" ascii nocase
        $d3 = "header('HTTP/1.0 404 Not Found')" ascii nocase
        $d4 = /RewriteCond\s+%\{(HTTP_USER_AGENT|REMOTE_HOST|REMOTE_ADDR)\}/ ascii nocase
        $d5 = "gethostbyaddr(" ascii nocase

    condition:
        filesize < 1MB and 5 of ($v*) and 1 of ($d*)
}
