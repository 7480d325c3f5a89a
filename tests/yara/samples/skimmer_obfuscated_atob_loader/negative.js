// Image helper for the checkout page: decode inline base64 thumbnails.
function decodeThumb(b64) {
  var bin = atob(b64);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], {type: "image/png"});
}
var placeholder = atob("iVBORw0KGgo=");
var spinner = atob("R0lGODlhAQABAAAAACw=");
var billingIcon = atob("PHN2Zz48L3N2Zz4=");
var s = document.createElement('script');
s.src = "/static/js/checkout-bundle.js";
document.head.appendChild(s);
