<?php
// Contact form handler for a small business website.
$name    = strip_tags($_POST['name']);
$email   = filter_var($_POST['email'], FILTER_SANITIZE_EMAIL);
$phone   = strip_tags($_POST['phone']);
$comment = strip_tags($_POST['message']);
$ip = $_SERVER['REMOTE_ADDR'];
$to = "enquiries@example.co.uk";
$body = "Name: $name\nEmail: $email\nPhone: $phone\n\n$comment\n\nSent from $ip";
mail($to, "Website enquiry", $body);
echo "Result: thank you, we will be in touch.";
?>
