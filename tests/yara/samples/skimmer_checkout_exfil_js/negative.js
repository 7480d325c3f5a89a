// Checkout payment form: validate card fields and submit to our own API.
function luhn(n){var s=0,a=false;for(var i=n.length-1;i>=0;i--){var d=+n[i];if(a){d*=2;if(d>9)d-=9;}s+=d;a=!a;}return s%10===0;}
document.querySelector("#checkout-form").addEventListener("submit", function(ev){
  ev.preventDefault();
  var cardnumber = document.getElementById("cardnumber").value.replace(/\s/g, "");
  var cvv = document.getElementById("cvv").value;
  var expiry = document.getElementById("expiry").value;
  if (!luhn(cardnumber)) { alert("Please check the card number"); return; }
  fetch("/checkout/payment", {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({cardnumber: cardnumber, cvv: cvv, expiry: expiry})});
  var logo = new Image(); logo.src = "https://static.example.co.uk/img/visa.png";
});
