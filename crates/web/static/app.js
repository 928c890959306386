// fazhi — a little progressive enhancement; every page works without it.
// Forms marked data-confirm ask before an irreversible action (办结, 归档, 锁定 …).
document.addEventListener("submit", function (e) {
  var f = e.target;
  var msg = f && f.getAttribute && f.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
  // Against double submission: disable the buttons once the form goes.
  if (!e.defaultPrevented) {
    var bs = f.querySelectorAll("button[type=submit]");
    setTimeout(function () {
      for (var i = 0; i < bs.length; i++) { bs[i].disabled = true; }
    }, 0);
    // A form that may answer with a download (导出选中) leaves the page where it was: its
    // buttons come back.
    if (f.hasAttribute("data-may-download")) {
      setTimeout(function () {
        for (var i = 0; i < bs.length; i++) { bs[i].disabled = false; }
      }, 3000);
    }
  }
}, true);

// The search form is folded under its summary; on a wide screen it starts unfolded, on a phone
// it stays folded so the work comes first (the same breakpoint as the stylesheet's).
document.addEventListener("DOMContentLoaded", function () {
  if (window.matchMedia && window.matchMedia("(min-width: 48.0625rem)").matches) {
    var ds = document.querySelectorAll("details.search-box");
    for (var i = 0; i < ds.length; i++) { ds[i].open = true; }
  }
  // 全选本页: ticks every row's box of the same name.
  var all = document.querySelectorAll("input[data-select-all]");
  for (var j = 0; j < all.length; j++) {
    var box = all[j];
    box.hidden = false;
    box.addEventListener("change", function (e) {
      var name = e.target.getAttribute("data-select-all");
      var rows = e.target.form.querySelectorAll("input[type=checkbox][name=" + name + "]");
      for (var k = 0; k < rows.length; k++) { rows[k].checked = e.target.checked; }
    });
  }
});

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
