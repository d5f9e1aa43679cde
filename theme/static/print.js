// Gazette: the date a page is printed, after its address in the printed footer
// (the print rules of style.css show that footer line on paper only).
(function () {
  var slot = document.querySelector("[data-print-date]");
  if (!slot) return;
  function stamp() {
    var lang = document.documentElement.lang || undefined;
    var day = new Date().toLocaleDateString(lang, { year: "numeric", month: "long", day: "numeric" });
    slot.textContent = " on " + day;
    slot.hidden = false;
  }
  stamp();
  addEventListener("beforeprint", stamp);
})();
