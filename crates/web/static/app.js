// fazhi — a little progressive enhancement; every page works without it.
// Forms marked data-confirm ask before an irreversible action (办结, 归档, 锁定 …).
document.addEventListener("submit", function (e) {
  var f = e.target;
  var msg = f && f.getAttribute && f.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
  // Against double submission: disable the buttons once the form goes.
  if (!e.defaultPrevented) {
    setTimeout(function () {
      var bs = f.querySelectorAll("button[type=submit]");
      for (var i = 0; i < bs.length; i++) { bs[i].disabled = true; }
    }, 0);
  }
}, true);
