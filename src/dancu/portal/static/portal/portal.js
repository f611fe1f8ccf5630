// A long list (a select with many options, such as the communes of a province) gets a search box above it: typing
// keeps only the options whose name contains what was typed, with or without tone marks ("dong anh" finds "Đông
// Anh"). Without JavaScript the list still works, sorted in Vietnamese alphabetical order by the server.
(function () {
  "use strict";
  var LONG = 20;
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
  }
  var label = document.body.getAttribute("data-filter-label") || "Search the list";
  document.querySelectorAll("select").forEach(function (select) {
    if (select.options.length < LONG || select.multiple) return;
    var search = document.createElement("input");
    search.type = "search";
    search.className = "form-control form-control-sm mb-1 select-filter";
    search.id = select.id ? select.id + "_filter" : "";
    search.setAttribute("aria-controls", select.id);
    search.setAttribute("aria-label", label);
    search.placeholder = label;
    search.autocomplete = "off";
    select.parentNode.insertBefore(search, select);
    search.addEventListener("input", function () {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var name = fold(option.text);
        var match = words.every(function (word) { return name.indexOf(word) !== -1; });
        option.hidden = !match;
        if (match && first === null) first = option;
      });
      if (first !== null && select.selectedOptions.length && select.selectedOptions[0].hidden) {
        first.selected = true;
      }
    });
  });
})();
