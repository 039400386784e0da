// The evaluation dashboard's charts, drawn as plain SVG (no chart library). The series come from the page
// (json_script "trends-data") or from the trends endpoint; each chart also gets its numbers as a table.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var W = 640, H = 240, M = { top: 10, right: 10, bottom: 30, left: 40 };
  var STATE_COLOURS = {
    reported: "#5b8def", filed: "#9bb9f2", dispatched: "#f0a202",
    in_progress: "#e07a2f", returned: "#b3261e", resolved: "#7c5cc4"
  };
  var PALETTE = ["#0b4f8a", "#e07a2f", "#1e7b34", "#b3261e", "#7c5cc4", "#0f8b8d", "#a0522d", "#d4a017",
    "#5f6b7a", "#c2185b", "#2e7d32", "#283593"];

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, value, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = value;
    return node;
  }
  function shortDay(iso) { return iso.slice(5); } // MM-DD

  // Each chart is drawn at its container's width, so its text keeps its size (W is the current chart's).
  function frame(body, caption) {
    W = Math.max(320, Math.round(body.clientWidth || 640));
    body.textContent = "";
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": caption }, body);
    return svg;
  }

  // A y axis from 0 to max with about five gridlines; returns the scale. Rate axes mark exact quarters
  // (0%, 25% … 100%): scale marks, not figures, so they carry no decimal.
  function yAxis(svg, max, percent) {
    var plotH = H - M.top - M.bottom;
    var step = percent ? 0.25 : niceStep(max / 5);
    var top = percent ? 1 : Math.max(step, Math.ceil(max / step) * step);
    var g = el("g", { "class": "axis" }, svg);
    for (var v = 0; v <= top + 1e-9; v += step) {
      var y = M.top + plotH - (v / top) * plotH;
      el("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, "class": "gridline" }, g);
      text(g, M.left - 6, y + 4, percent ? Math.round(v * 100) + "%" : String(Math.round(v)), { "text-anchor": "end" });
    }
    el("line", { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, "class": "axis-line" }, g);
    return function (value) { return M.top + plotH - (value / top) * plotH; };
  }
  function niceStep(raw) {
    if (raw <= 1) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var unit = raw / power;
    return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
  }
  function xLabels(svg, labels, xOf) {
    var g = el("g", { "class": "axis" }, svg);
    var every = Math.max(1, Math.ceil(labels.length / 10));
    labels.forEach(function (label, i) {
      if (i % every === 0) text(g, xOf(i), H - M.bottom + 16, label, { "text-anchor": "middle" });
    });
  }
  function legend(body, items) {
    var ul = document.createElement("ul");
    ul.className = "chart-legend";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var key = document.createElement("span");
      key.className = "key";
      key.style.background = item.colour;
      li.appendChild(key);
      li.appendChild(document.createTextNode(item.label));
      ul.appendChild(li);
    });
    body.appendChild(ul);
  }
  // The chart's numbers as a table, folded away (for screen readers and for reading exact values).
  function dataTable(body, summary, header, rows) {
    var details = document.createElement("details");
    var s = document.createElement("summary");
    s.textContent = summary;
    details.appendChild(s);
    var table = document.createElement("table");
    var tr = table.insertRow();
    header.forEach(function (h) { var th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
    rows.forEach(function (row) {
      var r = table.insertRow();
      row.forEach(function (cell) { r.insertCell().textContent = cell === null ? "—" : cell; });
    });
    details.appendChild(table);
    body.appendChild(details);
  }

  function stackedBars(body, caption, days, order, series, labels) {
    var totals = days.map(function (_, i) {
      return order.reduce(function (sum, key) { return sum + (series[key][i] || 0); }, 0);
    });
    var svg = frame(body, caption);
    var yOf = yAxis(svg, Math.max.apply(null, totals.concat([1])), false);
    var plotW = W - M.left - M.right;
    var band = plotW / days.length;
    var xOf = function (i) { return M.left + band * (i + 0.5); };
    days.forEach(function (day, i) {
      var base = 0;
      order.forEach(function (key) {
        var value = series[key][i];
        if (!value) return;
        var y0 = yOf(base), y1 = yOf(base + value);
        var rect = el("rect", {
          x: M.left + band * i + band * 0.1, width: Math.max(1, band * 0.8),
          y: y1, height: Math.max(0, y0 - y1), fill: STATE_COLOURS[key] || "#888"
        }, svg);
        el("title", {}, rect).textContent = day + " · " + labels[key] + ": " + value;
        base += value;
      });
    });
    xLabels(svg, days.map(shortDay), xOf);
    legend(body, order.map(function (key) { return { label: labels[key], colour: STATE_COLOURS[key] || "#888" }; }));
    dataTable(body, caption, [""].concat(order.map(function (k) { return labels[k]; })),
      days.map(function (day, i) { return [day].concat(order.map(function (k) { return series[k][i]; })); }));
  }

  // A point's value as the page writes it: rates come with their text from the server ("66.7%", the
  // product's one rounding rule, gridmgmt.figures), so the chart never rounds a figure on its own.
  function shown(series, i) {
    return series.texts ? series.texts[i] : series.values[i];
  }

  function lines(body, caption, xs, list, percent) {
    var svg = frame(body, caption);
    var max = 1;
    list.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    var yOf = yAxis(svg, max, percent);
    var plotW = W - M.left - M.right;
    var xOf = function (i) { return M.left + (xs.length === 1 ? plotW / 2 : (plotW * i) / (xs.length - 1)); };
    list.forEach(function (s) {
      var d = "", pen = false;
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) { pen = false; return; }
        d += (pen ? "L" : "M") + xOf(i).toFixed(1) + "," + yOf(v).toFixed(1);
        pen = true;
        var dot = el("circle", { cx: xOf(i), cy: yOf(v), r: 2.5, fill: s.colour }, svg);
        el("title", {}, dot).textContent = s.label + " · " + xs[i] + ": " + shown(s, i);
      });
      if (d) el("path", { d: d, stroke: s.colour, "class": "series-line" }, svg);
    });
    xLabels(svg, xs.map(shortDay), xOf);
    legend(body, list.map(function (s) { return { label: s.label, colour: s.colour }; }));
    dataTable(body, caption, [""].concat(list.map(function (s) { return s.label; })),
      xs.map(function (x, i) {
        return [x].concat(list.map(function (s) {
          var v = s.values[i];
          return v === null || v === undefined ? null : shown(s, i);
        }));
      }));
  }

  function draw(root, data, labels) {
    var bodies = {};
    root.querySelectorAll("[data-chart]").forEach(function (figure) {
      bodies[figure.getAttribute("data-chart")] = {
        body: figure.querySelector(".chart-body"),
        caption: figure.querySelector("figcaption").textContent
      };
    });
    var order = Object.keys(labels.states);
    if (bodies.states) {
      stackedBars(bodies.states.body, bodies.states.caption, data.days, order, data.states, labels.states);
    }
    if (bodies.flow) {
      lines(bodies.flow.body, bodies.flow.caption, data.days, [
        { label: labels.reported, values: data.flow.reported, colour: "#0b4f8a" },
        { label: labels.closed, values: data.flow.closed, colour: "#1e7b34" }
      ], false);
    }
    if (bodies.ontime) {
      if (!data.on_time.length) {
        bodies.ontime.body.textContent = labels.no_data;
      } else {
        var xs = data.buckets.map(function (b) { return b[0]; });
        lines(bodies.ontime.body, bodies.ontime.caption, xs, data.on_time.map(function (d, i) {
          return { label: d.label, values: d.rates, texts: d.texts, colour: PALETTE[i % PALETTE.length] };
        }), true);
      }
    }
  }

  // Drawn again when the charts' width changes (a phone turned, a window widened), so the axis text keeps
  // its size instead of being scaled with the picture.
  function show(root, data, labels) {
    draw(root, data, labels);
    var first = root.querySelector(".chart-body");
    if (!first || typeof ResizeObserver === "undefined") return;
    var width = first.clientWidth;
    var pending = 0;
    new ResizeObserver(function () {
      if (first.clientWidth === width) return;
      width = first.clientWidth;
      window.clearTimeout(pending);
      pending = window.setTimeout(function () { draw(root, data, labels); }, 150);
    }).observe(first);
  }

  function start() {
    var root = document.querySelector("[data-trends-url]");
    if (!root) return;
    var labelsNode = document.getElementById("trend-labels");
    var labels = labelsNode ? JSON.parse(labelsNode.textContent) : null;
    var inline = document.getElementById("trends-data");
    if (inline) {
      show(root, JSON.parse(inline.textContent), labels);
      return;
    }
    fetch(root.getAttribute("data-trends-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { show(root, data, labels || data.labels); })
      .catch(function (error) {
        root.querySelectorAll(".chart-body").forEach(function (body) {
          body.textContent = (labels && labels.no_data ? labels.no_data + " " : "") + "(" + error.message + ")";
        });
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
