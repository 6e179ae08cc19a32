// Claims-table filters: show the form (hidden without JavaScript) and hide rows that do not match.
(function () {
  var form = document.getElementById("claim-filters");
  var verdict = document.getElementById("filter-verdict");
  var condition = document.getElementById("filter-condition");
  var count = document.getElementById("filter-count");
  var rows = document.querySelectorAll("#claims-table tbody tr");
  function apply() {
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var conditions = " " + row.getAttribute("data-conditions") + " ";
      var ok = (!verdict.value || row.getAttribute("data-verdict") === verdict.value) &&
               (!condition.value || conditions.indexOf(" " + condition.value + " ") >= 0);
      row.hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = shown + " of " + rows.length + " claims shown";
  }
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  verdict.addEventListener("change", apply);
  condition.addEventListener("change", apply);
  apply();
})();
