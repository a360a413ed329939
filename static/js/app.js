// Mitreden's only script: progressive enhancement. Every feature works without it.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js-enabled");

  // Character counter for textareas that declare a limit (the hint states it without JS).
  // It announces politely, and only once typing pauses, so screen readers are not flooded.
  function counter(textarea) {
    if (textarea.dataset.counterReady) return;
    textarea.dataset.counterReady = "1";
    var max = parseInt(textarea.dataset.maxlength, 10);
    var out = document.createElement("p");
    out.className = "counter";
    out.id = textarea.id + "-counter";
    out.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", out);
    var timer;
    function update() {
      var left = max - Array.from(textarea.value).length;
      var template = left >= 0 ? textarea.dataset.counter : textarea.dataset.counterOver;
      out.textContent = template.replace("{count}", Math.abs(left).toLocaleString(document.documentElement.lang));
      out.classList.toggle("counter--over", left < 0);
    }
    textarea.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 700); });
    update();
  }

  function enhance(root) {
    root.querySelectorAll("textarea[data-maxlength]").forEach(counter);
  }

  function focus(selector) {
    var target = selector && document.querySelector(selector);
    if (!target) return;
    if (!target.matches("a, button, input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    // A page that comes back with errors: take the reader to the summary.
    focus("#error-summary");
  });

  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  // The server names what to focus after a swap (the new comment, the error summary...).
  document.body.addEventListener("mitreden:focus", function (event) { focus(event.detail.value); });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    if (target) target.removeAttribute("aria-busy");
  });
})();
