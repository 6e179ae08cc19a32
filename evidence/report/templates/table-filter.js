// Filters of a condition page's tables: each <select data-filters="TABLE_ID" data-attribute="NAME"> hides the
// rows of table TABLE_ID whose data-NAME attribute differs from the chosen value (all rows for "all").
// Its form is hidden without JavaScript, when every row shows.
(function () {
  var selects = document.querySelectorAll("select[data-filters]");
  for (var i = 0; i < selects.length; i++) {
    (function (select) {
      var form = select.form;
      var rows = document.querySelectorAll("#" + select.getAttribute("data-filters") + " tbody tr");
      var attribute = "data-" + select.getAttribute("data-attribute");
      var count = form.querySelector(".filter-count");
      function apply() {
        var shown = 0;
        for (var r = 0; r < rows.length; r++) {
          var ok = !select.value || rows[r].getAttribute(attribute) === select.value;
          rows[r].hidden = !ok;
          if (ok) { shown++; }
        }
        count.textContent = shown + " of " + rows.length + " shown";
      }
      form.hidden = false;
      form.addEventListener("submit", function (event) { event.preventDefault(); });
      select.addEventListener("change", apply);
      apply();
    })(selects[i]);
  }
})();
