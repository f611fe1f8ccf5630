// The error summary (templates/forms/error_summary.html) takes the focus when the page opens, so that a screen
// reader reads it first; its links move the focus to the refused field, with the field's label in view.
(function () {
  "use strict";
  function init() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!field) {
        return;
      }
      event.preventDefault();
      var label = field.id ? document.querySelector("label[for='" + CSS.escape(field.id) + "']") : null;
      var legend = field.closest("fieldset") ? field.closest("fieldset").querySelector("legend") : null;
      (legend || label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
