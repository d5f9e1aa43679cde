// Sort the tag lists on /tags/ by name or by count, without leaving the page.
// Without JavaScript the lists stay sorted by name and the buttons stay hidden.
(function () {
  "use strict";
  var controls = document.querySelector(".sort-controls");
  if (!controls) return;
  var lists = document.querySelectorAll("[data-sortable]");
  function sortBy(key) {
    lists.forEach(function (list) {
      var rows = Array.prototype.slice.call(list.children);
      rows.sort(function (a, b) {
        if (key === "count") {
          var diff = Number(b.dataset.count) - Number(a.dataset.count);
          if (diff !== 0) return diff;
        }
        return a.dataset.name.localeCompare(b.dataset.name);
      });
      rows.forEach(function (row) { list.appendChild(row); });
    });
    controls.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.sort === key));
    });
  }
  controls.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-sort]");
    if (button) sortBy(button.dataset.sort);
  });
  controls.hidden = false;
  sortBy("name");
})();
