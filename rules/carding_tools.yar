/*
   Carding: tools and data used to test and trade stolen payment cards and
   identities (checkers, dumps, combo lists, "fullz", BIN lists).
   Count-based rules use thresholds well above what a legitimate document
   (a test-card table, a contact list) contains.
*/

rule carding_cc_checker_script
{
    meta:
        author = "triage project"
        description = "Card checker script: tests stolen cards against a payment gateway and sorts them LIVE/DEAD"
        reference = "https://attack.mitre.org/techniques/T1657/"
        date = "2026-11-28"
        score = 75

    strings:
        $n1 = "cc checker" ascii wide nocase
        $n2 = "cc-checker" ascii wide nocase
        $n3 = "card checker" ascii wide nocase
        $n4 = "ccchecker" ascii wide nocase
        $n5 = "checker by" ascii wide nocase
        $s1 = "LIVE" ascii wide
        $s2 = "DEAD" ascii wide
        $s3 = "CCN" ascii wide
        $s4 = /\b(Approved|CVV MATCHED|CVV LIVE|Insufficient Funds)\b/ ascii wide nocase
        $s5 = /\b(Declined|Card Declined|do_not_honor)\b/ ascii wide nocase
        $g1 = "api.stripe.com" ascii wide nocase
        $g2 = "braintreegateway" ascii wide nocase
        $g3 = "authorize.net" ascii wide nocase
        $g4 = "payment_intents" ascii wide nocase
        $g5 = "/v1/tokens" ascii wide nocase
        $g6 = "paypal.com" ascii wide nocase
        $cv = /\b(cvv|cvc)\b/ ascii wide nocase

    condition:
        filesize < 10MB and 1 of ($n*) and 3 of ($s*) and 1 of ($g*) and $cv
}

rule carding_card_dump_list
{
    meta:
        author = "triage project"
        description = "List of card records 'PAN|MM|YY(YY)|CVV' (dumps/CC lists); at least 10 records"
        reference = "https://attack.mitre.org/techniques/T1657/"
        date = "2026-11-28"
        score = 70

    strings:
        // one string per delimiter style: explicit month alternatives give YARA
        // usable atoms ("|01|"...), a [|:;] class would not (slow scanning)
        $p1 = /\b[3-6][0-9]{14,15}\|(01|02|03|04|05|06|07|08|09|10|11|12)\|(20)?[0-9]{2}\|[0-9]{3,4}\b/ ascii
        $p2 = /\b[3-6][0-9]{14,15}\|(01|02|03|04|05|06|07|08|09|10|11|12)\/(20)?[0-9]{2}\|[0-9]{3,4}\b/ ascii
        $p3 = /\b[3-6][0-9]{14,15}:(01|02|03|04|05|06|07|08|09|10|11|12):(20)?[0-9]{2}:[0-9]{3,4}\b/ ascii
        $p4 = /\b[3-6][0-9]{14,15};(01|02|03|04|05|06|07|08|09|10|11|12);(20)?[0-9]{2};[0-9]{3,4}\b/ ascii

    condition:
        #p1 + #p2 + #p3 + #p4 >= 10
}

rule carding_combo_list
{
    meta:
        author = "triage project"
        description = "Combo list: many 'email:password' lines for webmail/ISP accounts (credential stuffing input)"
        reference = "https://attack.mitre.org/techniques/T1110/004/"
        date = "2026-11-28"
        score = 60

    strings:
        $combo = /[a-z0-9._-]{1,64}@(gmail|googlemail|yahoo|hotmail|outlook|live|aol|icloud|btinternet|sky|virginmedia|talktalk|mail|yandex|gmx|protonmail)\.[a-z.]{2,6}:[^\s:@]{4,64}/ ascii nocase

    condition:
        #combo >= 20
}

rule carding_fullz_records
{
    meta:
        author = "triage project"
        description = "'Fullz' identity records: card data together with mother's maiden name, DOB and bank details"
        reference = "https://attack.mitre.org/techniques/T1657/"
        date = "2026-11-28"
        score = 75

    strings:
        $fullz = "fullz" ascii wide nocase
        $mmn1  = "MMN" ascii wide
        $mmn2  = "mother's maiden name" ascii wide nocase
        $mmn3  = "mothers maiden name" ascii wide nocase
        $cvv   = /\b(CVV|CVV2|CVC)\s*[:=]/ ascii wide nocase
        $dob   = /\b(DOB|Date of Birth)\s*[:=]/ ascii wide nocase
        $sc    = /\bSort ?Code\s*[:=]/ ascii wide nocase
        $acc   = /\b(Account Number|Acc(ount)? No)\s*[:=]/ ascii wide nocase
        $ni    = /\b(NI Number|NINO|National Insurance( Number)?|SSN)\s*[:=]/ ascii wide nocase
        $exp   = /\b(Exp(iry)?( Date)?|EXP)\s*[:=]\s*[0-9]{2}\s*\/\s*[0-9]{2}/ ascii wide nocase
        $vbv   = /\b(VBV|3DS|SecureCode) ?(Password|PW|Pass)\s*[:=]/ ascii wide nocase

    condition:
        filesize < 50MB and
        (($fullz and 1 of ($mmn*) and 3 of ($cvv, $dob, $sc, $acc, $ni, $exp, $vbv)) or
         (#mmn1 + #mmn2 + #mmn3 >= 2 and $cvv and 3 of ($dob, $sc, $acc, $ni, $exp, $vbv)))
}

rule carding_bin_list
{
    meta:
        author = "triage project"
        description = "BIN list: many 'BIN, scheme, DEBIT/CREDIT, level, issuer' rows used to select cards by issuer"
        reference = "https://attack.mitre.org/techniques/T1657/"
        date = "2026-11-28"
        score = 50

    strings:
        $bin = /\b[2-6][0-9]{5,7}[ \t]*[,;|\t][ \t]*"?(VISA|MASTERCARD|AMEX|AMERICAN EXPRESS|DISCOVER|MAESTRO)"?[ \t]*[,;|\t][ \t]*"?(DEBIT|CREDIT|PREPAID|CHARGE)\b/ ascii nocase

    condition:
        #bin >= 15
}
