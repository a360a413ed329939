// Mitreden's only script: progressive enhancement. Every feature works without it.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js-enabled");

  // Words the script shows come from the page, in the reader's language: data-* on <body>
  // (templates/base.html), never from here.
  function words(name) {
    return (document.body && document.body.dataset[name]) || "";
  }

  // The page's polite live region; emptied first so the same words are spoken again.
  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region || !text) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  // Character counter for textareas that declare a limit (the hint states it without JS).
  // It is part of the field's description, so it is read with the field. It is not a live
  // region: it speaks (politely) only when the text crosses a threshold, i.e. when a tenth
  // of the limit is left and when the text becomes too long (or fits again).
  function counter(textarea) {
    if (textarea.dataset.counterReady) return;
    textarea.dataset.counterReady = "1";
    var max = parseInt(textarea.dataset.maxlength, 10);
    var out = document.createElement("p");
    out.className = "counter";
    out.id = textarea.id + "-counter";
    textarea.insertAdjacentElement("afterend", out);
    var described = (textarea.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(out.id) < 0) described.push(out.id);
    textarea.setAttribute("aria-describedby", described.join(" "));
    var state;
    function update(speak) {
      var left = max - Array.from(textarea.value).length;
      var template = left >= 0 ? textarea.dataset.counter : textarea.dataset.counterOver;
      out.textContent = template.replace("{count}", Math.abs(left).toLocaleString(document.documentElement.lang));
      out.classList.toggle("counter--over", left < 0);
      var now = left < 0 ? "over" : left * 10 <= max ? "few" : "fine";
      if (speak && now !== state && (now !== "fine" || state === "over")) announce(out.textContent);
      state = now;
    }
    textarea.addEventListener("input", function () { update(true); });
    update(false);
  }

  // The moderation queue's bulk form: "all comments on this page" ticks or unticks every comment,
  // follows the ticks (ticked, unticked, or mixed), and the number ticked is said beside the button,
  // politely. Without JavaScript the server reads "all comments on this page" itself.
  function bulkSelection(form) {
    if (form.dataset.bulkReady) return;
    form.dataset.bulkReady = "1";
    var all = form.querySelector("input[name='bulk-all']");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name='bulk-comment']"));
    var count = form.querySelector("#bulk-count");
    if (!all || !count || !boxes.length) return;
    function update() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
      count.textContent = ticked === 0 ? count.dataset.none : ticked === 1 ? count.dataset.one
        : count.dataset.many.replace("{count}", ticked.toLocaleString(document.documentElement.lang));
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
    count.setAttribute("aria-live", "polite"); // after the first count: only changes are spoken
  }

  function enhance(root) {
    root.querySelectorAll("textarea[data-maxlength]").forEach(counter);
    root.querySelectorAll("form.mod-bulk-form").forEach(bulkSelection);
  }

  function focus(selector) {
    var target = typeof selector === "string" ? document.querySelector(selector) : selector;
    if (!target) return;
    if (!target.matches("a, button, input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  // "Fehler:" in the title while a form shows errors, as on pages without JavaScript.
  function markTitle(hasErrors) {
    var prefix = words("errorPrefix");
    if (!prefix) return;
    var title = document.title;
    var base = title.indexOf(prefix + " ") === 0 ? title.slice(prefix.length + 1) : title;
    document.title = hasErrors ? prefix + " " + base : base;
  }

  // Failures the server never answered (network gone, timeout) or answered with an error we
  // do not swap: a notice next to what was used, announced and focused. Nothing is swapped,
  // so whatever was typed stays in its field.
  var failures = new WeakMap(); // element that made the request -> its notice

  function clearFailure(elt) {
    var notice = elt && failures.get(elt);
    if (notice) {
      notice.remove();
      failures.delete(elt);
    }
  }

  function fail(elt, message) {
    if (!elt || !document.body.contains(elt)) return;
    clearFailure(elt);
    var form = elt.closest("form");
    var field = form && form.querySelector("textarea");
    if (field && field.value.trim() && words("failureKept")) message += " " + words("failureKept");
    var notice = document.createElement("p");
    notice.className = "notice notice--not_yet notice--alert notice--failure";
    notice.setAttribute("role", "alert");
    notice.tabIndex = -1;
    notice.textContent = message;
    // Above the form, or above a comment's row of actions (a flex row), or the list of links.
    var place = elt.closest(".comment__actions") || form || elt.closest("ul, ol") || elt;
    place.insertAdjacentElement("beforebegin", notice);
    failures.set(elt, notice);
    focus(notice);
  }

  // The explanation on our own error page (errors/error.html), in the reader's language.
  function explanation(xhr) {
    try {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var lead = page.querySelector("main .lead");
      return lead ? lead.textContent.trim() : "";
    } catch (error) {
      return "";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    // A page that comes back with errors: take the reader to the summary; after a staff action,
    // to what it did (the server redirected to #outcome): focused, a screen reader reads it.
    if (document.querySelector(".error-summary")) focus(".error-summary");
    else if (document.getElementById("outcome")) focus("#outcome");
  });

  // "Cancel reply" closes an inline reply form and takes focus back to the comment's reply link.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-reply]");
    if (!button) return;
    var slot = document.querySelector(button.dataset.closeReply);
    var back = button.dataset.focusAfter;
    if (slot) slot.innerHTML = "";
    focus(back);
  });

  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  // The server names what to focus after a swap (the new comment, the error summary...).
  document.body.addEventListener("mitreden:focus", function (event) { focus(event.detail.value); });

  // aria-busy on the element a request will update, while it runs. The server may move the
  // swap elsewhere (HX-Retarget), so the element is remembered per request and cleared in
  // every outcome: answered, failed, aborted, timed out.
  var busy = new WeakMap(); // xhr -> element marked busy
  document.addEventListener("htmx:beforeSend", function (event) {
    var detail = event.detail;
    clearFailure(detail.elt);
    if (detail.target && detail.xhr) {
      detail.target.setAttribute("aria-busy", "true");
      busy.set(detail.xhr, detail.target);
    }
  });
  function idle(event) {
    var xhr = event.detail && event.detail.xhr;
    var target = xhr && busy.get(xhr);
    if (target) {
      target.removeAttribute("aria-busy");
      busy.delete(xhr);
    }
  }
  ["htmx:afterRequest", "htmx:sendError", "htmx:sendAbort", "htmx:timeout", "htmx:responseError",
    "htmx:onLoadError", "htmx:swapError"].forEach(function (name) { document.addEventListener(name, idle); });

  document.addEventListener("htmx:afterSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 200;
    markTitle(status === 422 || (status >= 300 && Boolean(document.querySelector(".error-summary"))));
  });
  document.addEventListener("htmx:sendError", function (event) { fail(event.detail.elt, words("failureNetwork")); });
  document.addEventListener("htmx:timeout", function (event) { fail(event.detail.elt, words("failureTimeout")); });
  document.addEventListener("htmx:responseError", function (event) {
    // Only statuses that are not swapped get here (base.html: responseHandling); those we
    // design for (403, 409, 422, 429) are swapped and say themselves what happened.
    fail(event.detail.elt, explanation(event.detail.xhr) || words("failureServer"));
  });
})();
