// The release day board's row actions (templates/rollout/board.html). Loaded from 'self' under
// the strict CSP. A row's step answers with the whole polled #board-status section; this keeps
// what the person had open and puts their focus on the row's outcome.
(function () {
  "use strict";
  var openDetails = [];

  function isBoard(el) { return el && el.id === "board-status"; }

  // A swap (the step's answer or a poll) must not close a "More…" someone opened.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isBoard(event.detail.target)) { return; }
    openDetails = Array.prototype.map.call(
      event.detail.target.querySelectorAll("details[open][id]"), function (d) { return d.id; });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!isBoard(event.target)) { return; }
    openDetails.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) { details.open = true; }
    });
    openDetails = [];
  });

  // After a step posted from a row, focus goes to that row's outcome line (a polite status), or
  // to the section's own line when the step named no row on the board.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!isBoard(event.target)) { return; }
    var config = event.detail.requestConfig;
    var from = config && config.elt && config.elt.closest
      ? config.elt.closest("[data-focus-after]") : null;
    if (!from) { return; }
    var feedback = document.getElementById(from.getAttribute("data-focus-after"));
    if (!feedback || !feedback.textContent.trim()) {
      feedback = document.getElementById("board-feedback") || feedback;
    }
    if (feedback) { feedback.focus(); }
  });
})();
