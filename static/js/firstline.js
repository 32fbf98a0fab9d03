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
    }
  });
})();
