// Narrows the category list while the resident types, using the same search as the server
// (GET /api/v1/categories?q=). Without this script the search form still works on submit.
(function () {
  "use strict";
  var input = document.getElementById("category-search");
  var status = document.getElementById("category-search-status");
  if (!input || !window.fetch) {
    return;
  }
  var items = Array.prototype.slice.call(document.querySelectorAll(".category-list li[data-code]"));
  var pending = 0;

  function show(codes) {
    var visible = 0;
    items.forEach(function (item) {
      var match = codes === null || codes.indexOf(item.dataset.code) !== -1;
      item.hidden = !match;
      if (match) {
        visible += 1;
      }
    });
    document.querySelectorAll(".category-group").forEach(function (group) {
      group.hidden = group.querySelectorAll("li[data-code]:not([hidden])").length === 0;
    });
    status.textContent = codes === null ? "" : (status.dataset.template || "") + " " + visible;
  }

  input.addEventListener("input", function () {
    var query = input.value.trim();
    var request = ++pending;
    if (query === "") {
      show(null);
      return;
    }
    fetch("/api/v1/categories?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (request === pending) {
          show(body.categories.map(function (category) { return category.code; }));
        }
      })
      .catch(function () { show(null); });
  });
})();
