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
})();
