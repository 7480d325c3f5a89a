// Live chat widget for the shop (support team).
var chat = new WebSocket("wss://chat.example.co.uk/socket");
chat.onmessage = function(m){ showMessage(JSON.parse(m.data)); };
function sendChat(){
  var box = document.querySelectorAll("input.chat-box")[0];
  chat.send(JSON.stringify({text: box.value, page: "checkout"}));
  box.value = "";
}
// Never type card numbers or CVV codes into the chat.
