// ReleaseHub's only script besides htmx. Loaded from 'self' under the strict CSP: no inline code.
(function () {
  "use strict";
  var IST = "Asia/Kolkata";
  var clockFormat = new Intl.DateTimeFormat("en-GB", {
    timeZone: IST, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false
  });

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // "2d 03:04:05" until (or "-" since) an ISO time.
  function formatCountdown(ms) {
    var sign = ms < 0 ? "-" : "";
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return sign + (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  function tick() {
    var now = new Date();
    document.querySelectorAll("[data-ist-clock]").forEach(function (el) {
      el.textContent = clockFormat.format(now).replace(",", "") + " IST";
      el.setAttribute("datetime", now.toISOString());
    });
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
      var target = Date.parse(el.getAttribute("data-countdown-to"));
      if (!isNaN(target)) { el.textContent = formatCountdown(target - now.getTime()); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
  // Fragments swapped in by htmx get their countdowns filled at once, not a second later.
  document.addEventListener("htmx:afterSettle", tick);
})();

// Copy to clipboard: a button with data-copy-target="#id" copies that element's text.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source || !navigator.clipboard) { return; }
    var label = button.textContent;
    navigator.clipboard.writeText(source.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    }, function () {
      button.textContent = "Copy failed: select the text";
    });
  });
})();

// A refusal (the server's 403 with ReleaseHub-Refused) is a message in the section acted on: the
// rest of the page, the form and what was typed in it stay as they are.
(function () {
  "use strict";
  function refused(xhr) {
    return xhr.status === 403 && xhr.getResponseHeader("ReleaseHub-Refused") === "true";
  }

  // One message slot per section, right under its heading, made on first use. The section is
  // the one holding the form that acted, else the one the request targets.
  function slotFor(detail) {
    var from = detail.requestConfig && detail.requestConfig.elt;
    var section = (from && from.closest("section")) || detail.target.closest("section") ||
      detail.target;
    var slot = section.querySelector(":scope > .refusal");
    if (!slot) {
      slot = document.createElement("div");
      slot.className = "refusal";
      slot.setAttribute("role", "alert");
      var heading = section.querySelector(":scope > h1, :scope > h2, :scope > h3");
      if (heading) { heading.after(slot); } else { section.prepend(slot); }
    }
    return slot;
  }

  // With DEBUG on, django-htmx's helper puts any 403 page in place of the whole document; a
  // refusal is not a fault to debug, so it never reaches that helper (capture runs first).
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (refused(event.detail.xhr)) { event.stopPropagation(); }
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!refused(detail.xhr)) { return; }
    detail.target = slotFor(detail);
    detail.swapOverride = "innerHTML";
    detail.shouldSwap = true;
    detail.isError = false;
  });
})();

// A hidden tab does not poll: the live sections (hx-trigger "every Ns") skip their polls while
// the tab is hidden and refresh once when it is shown again ("tab-visible from:body" in their
// triggers). htmx's own filter, [document.visibilityState === 'visible'], would need eval, which
// the CSP forbids (htmx then ignores the filter and polls anyway).
(function () {
  "use strict";
  function polls(elt) {
    return /(^|,)\s*every\s/.test(elt.getAttribute("hx-trigger") || "");
  }
  document.addEventListener("htmx:confirm", function (event) {
    if (document.visibilityState === "hidden" && polls(event.detail.elt)) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx) {
      window.htmx.trigger(document.body, "tab-visible");
    }
  });
})();

// Live sections (the elements with data-live-since, polled by htmx; #15 and #19):
// - each poll sends the version the element was rendered at, and the server answers 204 (htmx
//   keeps what it has) when nothing changed since (releasehub/audit/live.py);
// - no poll while focus is in one of its form fields or something typed in it is unsent: the
//   swap would throw the text away;
// - a swap puts focus back on the same control (by id, data-focus-key, or the same link or
//   button in the same place), so a keyboard or screen reader user is not sent to <body>;
// - one polite live region per section, outside the swapped element, reads its status line
//   (data-live-announce) when it changes.
(function () {
  "use strict";
  var FIELDS = "input, select, textarea, [contenteditable]";
  var restore = {};

  function isLive(elt) { return elt && elt.hasAttribute && elt.hasAttribute("data-live-since"); }

  function edited(field) {
    if (field.matches("select")) {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") { return false; }
    return "defaultValue" in field && field.value !== field.defaultValue;
  }

  function busy(elt) {
    var active = document.activeElement;
    if (active && elt.contains(active) && active.matches(FIELDS) && active.type !== "submit" && active.type !== "button") {
      return true;
    }
    return Array.prototype.some.call(elt.querySelectorAll(FIELDS), edited);
  }

  function signature(el) {
    var where = el.getAttribute("href") || (el.form && el.form.getAttribute("action")) || "";
    var value = el.tagName === "BUTTON" ? el.value : "";
    return [el.tagName, where, el.name || "", value, el.textContent.trim()].join("|");
  }

  function keyOf(el, root) {
    if (el.id) { return {id: el.id}; }
    if (el.getAttribute("data-focus-key")) { return {focusKey: el.getAttribute("data-focus-key")}; }
    var sig = signature(el);
    var same = Array.prototype.filter.call(root.querySelectorAll(el.tagName), function (e) { return signature(e) === sig; });
    return {sig: sig, tag: el.tagName, n: same.indexOf(el)};
  }

  function find(key, root) {
    if (key.id) { return document.getElementById(key.id); }
    if (key.focusKey) { return root.querySelector('[data-focus-key="' + CSS.escape(key.focusKey) + '"]'); }
    var same = Array.prototype.filter.call(root.querySelectorAll(key.tag), function (e) { return signature(e) === key.sig; });
    return same[key.n] || same[0] || null;
  }

  function regionFor(elt) {
    var region = document.querySelector('[data-live-region-for="' + CSS.escape(elt.id) + '"]');
    if (!region) {
      region = document.createElement("div");
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("data-live-region-for", elt.id);
      region.setAttribute("data-said", elt.getAttribute("data-live-announce") || "");
      elt.before(region);  // outside the element, so a swap never replaces it
    }
    return region;
  }

  function announce(elt) {
    if (!elt.id || !elt.hasAttribute("data-live-announce")) { return; }
    var region = regionFor(elt), line = elt.getAttribute("data-live-announce");
    if (line !== region.getAttribute("data-said")) {
      region.setAttribute("data-said", line);
      region.textContent = line;
    }
  }

  function everyLive(root, fn) {
    if (isLive(root)) { fn(root); }
    root.querySelectorAll("[data-live-since]").forEach(fn);
  }

  document.addEventListener("DOMContentLoaded", function () { everyLive(document.body, announce); });

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (isLive(elt) && event.detail.verb === "get") {
      event.detail.headers["ReleaseHub-Since"] = elt.getAttribute("data-live-since");
    }
  });

  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (isLive(elt) && event.detail.verb === "get" && busy(elt)) { event.preventDefault(); }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, active = document.activeElement;
    if (event.detail.shouldSwap && isLive(target) && target.id && active && active !== target &&
        target.contains(active)) {
      restore[target.id] = keyOf(active, target);
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    everyLive(document.body, announce);
    Object.keys(restore).forEach(function (id) {
      var root = document.getElementById(id), key = restore[id];
      delete restore[id];
      var el = root && find(key, root);
      var lost = !document.activeElement || document.activeElement === document.body;
      if (el && lost) { el.focus({preventScroll: true}); }
    });
  });

})();
