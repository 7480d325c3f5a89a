// SYNTHETIC TEST SAMPLE
var _0x0000 = atob("Y2hlY2tvdXQ=");
var _0x0001 = atob("cGF5bWVudA==");
var _0x0002 = atob("Y2NfbnVtYmVy");
var _0x0003 = atob("Y2NfY2lk");
var _0x0004 = atob("aW5wdXQ=");
var _0x0005 = atob("dmFsdWU=");
var _0x0006 = atob("c2NyaXB0");
var _0x0007 = atob("c3Jj");
var _0x0008 = atob("aGVhZA==");
var _0x0009 = atob("YXBwZW5kQ2hpbGQ=");
if (window.location.pathname.indexOf(_0x0000) > -1) {
  var s = document.createElement('script');
  s.text = atob("Y29uc29sZS5sb2coInN5bnRoZXRpYyIpOw==");
  document[_0x0008].appendChild(s);
  eval(atob("dmFyIHg9MTs="));
}
