// Gazette: loads the search code (search.js) only when a reader is about to
// search: focus in the header box, or "/" anywhere on the page. A page that is
// never searched downloads this file and nothing more. search.js then takes
// over the box as it is (focused, with what was typed so far).
(function () {
  var me = document.currentScript;
  var src = me && me.getAttribute("data-search");
  var input = document.querySelector("form.site-search input[name=q]");
  if (!src || !input) return;
  var started = false;
  function start() {
    if (started) return;
    started = true;
    var script = document.createElement("script");
    script.src = src;
    document.head.appendChild(script);
  }
  input.addEventListener("focus", start);
  if (document.activeElement === input) start();
  document.addEventListener("keydown", function (event) {
    if (started || event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
})();
