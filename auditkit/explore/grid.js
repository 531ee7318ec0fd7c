// The explorer's table: rows of text (never markup), clickable rows, cells and headers.
// Clicks go to the kernel as custom messages; sorting is the kernel's, over the whole selection.
function cssName(value) {
  return String(value).toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "ak-grid";
  el.appendChild(root);

  function send(event, row, column) {
    model.send({ event: event, row: row, column: column });
  }

  function onActivate(node, handler) {
    node.tabIndex = 0;
    node.addEventListener("click", handler);
    node.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        handler(e);
      }
    });
  }

  function draw() {
    const columns = model.get("columns");
    const rows = model.get("rows");
    const classes = model.get("row_classes");
    const sortColumn = model.get("sort_column");
    const descending = model.get("sort_descending");
    const sortable = model.get("sortable");
    const clickableRows = model.get("clickable_rows");
    const clickableColumns = new Set(model.get("clickable_columns"));
    const numericColumns = new Set(model.get("numeric_columns"));
    const table = document.createElement("table");
    table.className = "ak-table ak-grid-table " + model.get("css");
    const head = table.createTHead().insertRow();
    columns.forEach((name) => {
      const th = document.createElement("th");
      th.className = "ak-col-" + cssName(name) + (numericColumns.has(name) ? " ak-num" : "");
      th.textContent = name;
      if (sortable) {
        th.classList.add("ak-sortable");
        th.title = "sort by " + name;
        if (name === sortColumn) {
          th.classList.add(descending ? "ak-sorted-desc" : "ak-sorted-asc");
          th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        }
        onActivate(th, () => send("sort", -1, name));
      }
      head.appendChild(th);
    });
    const body = table.createTBody();
    rows.forEach((cells, i) => {
      const tr = body.insertRow();
      (classes[i] || "").split(" ").filter(Boolean).forEach((c) => tr.classList.add(cssName(c)));
      if (clickableRows) {
        tr.classList.add("ak-clickable");
        onActivate(tr, () => send("row", i, ""));
      }
      cells.forEach((value, j) => {
        const td = tr.insertCell();
        td.className = "ak-col-" + cssName(columns[j]) + (numericColumns.has(columns[j]) ? " ak-num" : "");
        td.textContent = value;
        if (clickableColumns.has(columns[j]) && value !== "") {
          td.classList.add("ak-link");
          onActivate(td, (e) => {
            e.stopPropagation();
            send("cell", i, columns[j]);
          });
        }
      });
    });
    root.replaceChildren(table);
    if (rows.length === 0 && model.get("empty")) {
      const note = document.createElement("p");
      note.className = "ak-note";
      note.textContent = model.get("empty");
      root.appendChild(note);
    }
  }

  const names = ["columns", "rows", "row_classes", "sort_column", "sort_descending", "sortable",
    "clickable_rows", "clickable_columns", "numeric_columns", "css", "empty"];
  names.forEach((name) => model.on("change:" + name, draw));
  draw();
}

export default { render };
