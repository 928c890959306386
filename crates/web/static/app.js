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
// The report editor: 插入 puts a named figure (【名称 数值】) where the cursor was in the text
// last edited (the first text box if none was).
(function () {
  var last = null;
  document.addEventListener("focusin", function (e) {
    if (e.target && e.target.hasAttribute && e.target.hasAttribute("data-figures")) { last = e.target; }
  });
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest && e.target.closest("button.insert-figure");
    if (!b) { return; }
    var t = last || document.querySelector("textarea[data-figures]");
    if (!t) { return; }
    var text = b.getAttribute("data-insert");
    var at = typeof t.selectionStart === "number" ? t.selectionStart : t.value.length;
    var end = typeof t.selectionEnd === "number" ? t.selectionEnd : at;
    t.value = t.value.slice(0, at) + text + t.value.slice(end);
    t.focus();
    t.selectionStart = t.selectionEnd = at + text.length;
  });
})();
