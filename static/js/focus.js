// After an action posted through htmx (a form's hx-post), focus moves to the action's feedback
// (the role=status or role=alert message marked data-feedback, or a refusal) in the section the
// response replaced, else to that section's heading, never to <body> (#19 item 3). Polls are GETs
// and never move focus. Without JavaScript the plain POST redirects to the section's #id.
(function () {
  "use strict";

  // The section now in the page: an outerHTML swap replaced the target, so look it up by id.
  function sectionOf(detail) {
    var target = detail.target;
    var section = target && target.id ? document.getElementById(target.id) : null;
    if (!section && target && target.isConnected) { section = target; }
    if (!section) { return null; }
    return section.tagName === "SECTION" ? section : section.closest("section");
  }

  function focusTarget(section) {
    return section.querySelector("[data-feedback], .refusal:not(:empty)") ||
      section.querySelector("h2, h3");
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail;
    var config = detail.requestConfig;
    if (!config || config.verb !== "post") { return; }
    var section = sectionOf(detail);
    var where = section && focusTarget(section);
    if (!where || document.activeElement === where) { return; }
    if (!where.hasAttribute("tabindex")) { where.setAttribute("tabindex", "-1"); }
    where.focus();
  });
})();
