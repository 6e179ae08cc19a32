// Claims-table search and filters: show the form (hidden without JavaScript), hide the claim rows that do not
// match every chosen filter, and hide a group's heading when none of its rows is left.
(function () {
  var form = document.getElementById("claim-filters");
  var text = document.getElementById("filter-text");
  var selects = {
    verdict: document.getElementById("filter-verdict"),
    type: document.getElementById("filter-type"),
    conditions: document.getElementById("filter-condition"),
    documents: document.getElementById("filter-document")
  };
  var count = document.getElementById("filter-count");
  var groups = document.querySelectorAll("#claims-table tbody.claim-group");
  var total = document.querySelectorAll("#claims-table tr.claim").length;
  function has(list, value) {  // a space-separated attribute holds the value
    return (" " + (list || "") + " ").indexOf(" " + value + " ") >= 0;
  }
  function matches(row, words) {
    for (var name in selects) {
      var value = selects[name].value;
      if (value && !has(row.getAttribute("data-" + name), value)) { return false; }
    }
    var content = row.textContent.toLowerCase();
    for (var i = 0; i < words.length; i++) {
      if (content.indexOf(words[i]) < 0) { return false; }
    }
    return true;
  }
  function apply() {
    var words = text.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var shown = 0;
    for (var g = 0; g < groups.length; g++) {
      var rows = groups[g].querySelectorAll("tr.claim");
      var inGroup = 0;
      for (var i = 0; i < rows.length; i++) {
        var ok = matches(rows[i], words);
        rows[i].hidden = !ok;
        if (ok) { inGroup++; }
      }
      groups[g].hidden = inGroup === 0;
      shown += inGroup;
    }
    count.textContent = shown + " of " + total + " claims shown";
  }
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  text.addEventListener("input", apply);
  for (var name in selects) { selects[name].addEventListener("change", apply); }
  apply();
})();
