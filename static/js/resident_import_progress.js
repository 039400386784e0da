// Resident import progress: polls the job's JSON status until it finishes. Plain JS, no libraries.
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root) return;
  var url = root.getAttribute("data-status-url");
  var delay = 1000;

  function field(name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function setText(name, value) {
    var el = field(name);
    if (el) el.textContent = value;
  }

  function showErrors(errors) {
    var table = field("errors");
    if (!table || !errors.length) return;
    var body = table.querySelector("tbody");
    body.textContent = "";
    errors.forEach(function (e) {
      var tr = document.createElement("tr");
      [e.row, e.column, e.message].forEach(function (value, i) {
        var td = document.createElement("td");
        if (i === 1) td.setAttribute("translate", "no"); // the file's own column name
        td.textContent = value; // textContent, never innerHTML: messages come from the uploaded file
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.hidden = false;
  }

  function render(job) {
    setText("status_label", job.status_label);
    setText("processed", job.processed);
    var known = job.total > 0 || job.finished;
    setText("total", known ? job.total : "?");
    setText("imported", job.imported);
    setText("error_count", job.error_count);
    setText("message", job.message);
    var bar = field("progress");
    if (bar) {
      if (known) {
        bar.max = Math.max(job.total, 1);
        bar.value = job.finished ? bar.max : job.processed;
      } else {
        bar.removeAttribute("value"); // an indeterminate bar until the row count is known
      }
    }
    if (job.finished) showErrors(job.errors);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (job) {
        render(job);
        delay = 1000;
        if (!job.finished) window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000); // back off while the server is unreachable
        window.setTimeout(poll, delay);
      });
  }

  poll();
})();
