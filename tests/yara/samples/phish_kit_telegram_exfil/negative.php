<?php
// Deployment notifier: posts CI build status to the team Telegram chat.
$token = getenv('TG_TOKEN');
$chat  = getenv('TG_CHAT');
$status = $_POST['status'] ?? 'unknown';
$branch = $_POST['branch'] ?? 'main';
$text = "Build on $branch finished: $status";
$ch = curl_init("https://api.telegram.org/bot$token/sendMessage");
curl_setopt($ch, CURLOPT_POSTFIELDS, ['chat_id' => $chat, 'text' => $text]);
curl_exec($ch);
?>
