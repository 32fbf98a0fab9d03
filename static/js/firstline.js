// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // "Select all" checkbox for the ticket list's bulk actions.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll(target.getAttribute("data-select-all")).forEach(function (box) {
        box.checked = target.checked;
        box.closest("tr") && box.closest("tr").classList.toggle("is-selected", box.checked);
      });
    } else if (target.matches("input[name=tickets]")) {
      var row = target.closest("tr");
      if (row) row.classList.toggle("is-selected", target.checked);
      // Keep "select all" truthful when rows are ticked one by one.
      var all = document.querySelector("[data-select-all]");
      if (all) {
        var boxes = document.querySelectorAll(all.getAttribute("data-select-all"));
        all.checked = boxes.length > 0 && Array.prototype.every.call(boxes, function (box) { return box.checked; });
      }
    }
  });

  // "Undo (10 s)" after a macro: count down the seconds the server gave; at zero the button says it is too late.
  // Without this script the button stays, and the server refuses a late undo with a message.
  function countdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (button) {
      if (!button.dataset.deadline) {
        button.dataset.deadline = String(Date.now() + 1000 * parseInt(button.dataset.countdown, 10));
      }
      var left = Math.max(0, Math.ceil((parseInt(button.dataset.deadline, 10) - Date.now()) / 1000));
      var label = button.querySelector("[data-countdown-left]");
      if (label) label.textContent = String(left);
      if (left === 0 && !button.disabled) {
        button.disabled = true;
        button.textContent = button.dataset.countdownDone || "";
      }
    });
  }
  // "Insert link" beside a knowledge base article in the reply composer: put its Markdown link at the
  // cursor of the reply, then give the reply the focus back. Only articles customers may read carry the
  // button (the server leaves it out for internal ones). Without this script the link is shown to copy.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-link]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-insert-into"));
    if (!field) return;
    var link = button.getAttribute("data-insert-link");
    var start = field.selectionStart != null ? field.selectionStart : field.value.length;
    var end = field.selectionEnd != null ? field.selectionEnd : start;
    var before = field.value.slice(0, start);
    var spacer = before && !/\s$/.test(before) ? " " : "";
    field.value = before + spacer + link + field.value.slice(end);
    var caret = start + spacer.length + link.length;
    field.focus();
    field.setSelectionRange(caret, caret);
    field.dispatchEvent(new Event("input", { bubbles: true }));
    var status = document.getElementById("article-inserted");
    if (status) status.textContent = button.getAttribute("data-inserted-message") || link;
  });

  setInterval(countdowns, 500);
  document.addEventListener("htmx:afterSettle", countdowns);

  // An incident's "next update due in …" ticks every second; the sentences come translated from the server.
  function span(seconds) {
    seconds = Math.abs(seconds);
    if (seconds < 3600) {
      var minutes = Math.floor(seconds / 60);
      return (minutes ? minutes + " min " : "") + String(seconds % 60).padStart(2, "0") + " s";
    }
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }
  function cadenceTicks() {
    document.querySelectorAll("[data-cadence-tick]").forEach(function (timer) {
      var left = Math.round((Date.parse(timer.getAttribute("datetime")) - Date.now()) / 1000);
      if (isNaN(left)) return;
      var text = left < 0 ? timer.dataset.overdueText : timer.dataset.dueText;
      timer.textContent = text.replace("{}", span(left));
      timer.classList.toggle("sla-breached", left < 0);
      timer.classList.toggle("sla-soon", left >= 0 && left <= parseInt(timer.dataset.soon, 10));
      timer.classList.toggle("sla-ok", left > parseInt(timer.dataset.soon, 10));
    });
  }
  setInterval(cadenceTicks, 1000);
  document.addEventListener("htmx:afterSettle", cadenceTicks);
})();
