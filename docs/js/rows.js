// A filter box above each table of rows: keeps the rows that contain every word typed.
// Our own few lines, so the site loads nothing from elsewhere.
(function () {
  function attach(box) {
    var table = box.querySelector("table");
    if (!table || box.querySelector("input.rows-filter")) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    var input = document.createElement("input");
    input.type = "search";
    input.className = "rows-filter";
    input.placeholder = "Filter " + rows.length + " rows (e.g. cn 2024)";
    input.setAttribute("aria-label", "Filter the rows of this table");
    var count = document.createElement("span");
    count.className = "rows-count";
    count.setAttribute("aria-live", "polite");
    count.textContent = rows.length + " of " + rows.length + " rows";
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var keep = words.every(function (word) { return texts[i].indexOf(word) !== -1; });
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      count.textContent = shown + " of " + rows.length + " rows";
    });
    box.insertBefore(count, box.firstChild);
    box.insertBefore(input, count);
  }
  document.querySelectorAll("div.rows-table").forEach(attach);
})();
