// Small progressive enhancements for every page. Plain JS, no libraries; every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Language switcher (and any select marked data-autosubmit): submit on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });

  // --- the header's menu (<details data-menu>; phones only, wide screens show its content in the bar) ---
  // The <details> opens and closes by itself; this adds Escape and a click elsewhere to close it (focus
  // returns to the button), and keeps it open on wide screens where a browser cannot show a closed
  // <details>' content (no ::details-content).
  document.querySelectorAll("details[data-menu]").forEach(function (menu) {
    var button = menu.querySelector("summary");
    var wide = window.matchMedia("(min-width: 1200px)");
    var showsClosed = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
    function collapsible() {
      return button.getClientRects().length > 0; // the button is hidden where the bar shows everything
    }
    function sync() {
      button.setAttribute("aria-expanded", menu.open ? "true" : "false");
    }
    function fit() {
      if (!showsClosed) menu.open = wide.matches;
    }
    menu.addEventListener("toggle", sync);
    if (wide.addEventListener) wide.addEventListener("change", fit);
    fit();
    sync();
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && collapsible()) {
        menu.open = false;
        sync(); // "toggle" fires later, as a task of its own
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && collapsible() && !menu.contains(event.target)) {
        menu.open = false;
        sync();
      }
    });
  });

  // --- deadline clocks: [data-seconds-left] counts down as hh:mm:ss (overdue shows a minus sign), whole days
  // before it in the page's word for them (data-day-unit) ---
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function formatSeconds(total, dayUnit) {
    var sign = total < 0 ? "−" : "";
    total = Math.abs(total);
    var days = Math.floor(total / 86400);
    var rest = total % 86400;
    var text = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return sign + (days ? days + dayUnit + " " : "") + text;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-seconds-left]").forEach(function (el) {
      var base = parseInt(el.getAttribute("data-seconds-left"), 10);
      if (isNaN(base)) return;
      if (!el.gmStart) el.gmStart = now; // each clock counts from when its element arrived
      var running = el.getAttribute("data-running") !== "false";
      var left = running ? base - Math.floor((now - el.gmStart) / 1000) : base;
      el.textContent = formatSeconds(left, el.getAttribute("data-day-unit") || "d"); // "3天 11:59:56" in Chinese
    });
  }
  tick();
  window.setInterval(tick, 1000);

  // --- category picker: a filter box over the grouped <select> ---
  function setupCategoryFilter(input) {
    var select = document.getElementById(input.getAttribute("data-filters"));
    if (!select) return;
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (g) {
      return {
        label: g.label,
        options: Array.prototype.map.call(g.querySelectorAll("option"), function (o) {
          return { value: o.value, text: o.textContent };
        }),
      };
    });
    var placeholder = select.querySelector(":scope > option[value='']");
    var status = document.getElementById(input.getAttribute("aria-describedby"));
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var current = select.value;
      var count = 0;
      var only = null;
      select.textContent = "";
      if (placeholder) select.appendChild(placeholder);
      groups.forEach(function (group) {
        var groupHit = group.label.toLowerCase().indexOf(needle) !== -1;
        var matches = group.options.filter(function (o) {
          return !needle || groupHit || o.text.toLowerCase().indexOf(needle) !== -1;
        });
        if (!matches.length) return;
        var og = document.createElement("optgroup");
        og.label = group.label;
        matches.forEach(function (o) {
          var opt = document.createElement("option");
          opt.value = o.value;
          opt.textContent = o.text;
          if (o.value === current) opt.selected = true;
          og.appendChild(opt);
          count += 1;
          only = opt;
        });
        select.appendChild(og);
      });
      if (count === 1 && only) {
        only.selected = true;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      if (status) status.textContent = status.getAttribute("data-template").replace("%s", count);
    });
  }
  document.querySelectorAll("input[data-filters]").forEach(setupCategoryFilter);

  // --- bulk selection: a "select all" box and a live count on the submit button ---
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var form = box.form;
    var counter = form && form.querySelector("[data-selected-count]");
    var submit = form && form.querySelector("[data-bulk-submit]");
    var hint = form && form.querySelector("[data-bulk-hint]");
    function update() {
      var boxes = form.querySelectorAll("input[name=cases]");
      var checked = form.querySelectorAll("input[name=cases]:checked").length;
      if (counter) counter.textContent = String(checked);
      // Nothing selected: the bulk button stays disabled and the hint says what to do.
      if (submit) submit.disabled = checked === 0;
      if (hint) hint.hidden = checked > 0;
      box.checked = boxes.length > 0 && checked === boxes.length;
      box.indeterminate = checked > 0 && checked < boxes.length;
    }
    box.addEventListener("change", function () {
      form.querySelectorAll("input[name=cases]").forEach(function (b) {
        b.checked = box.checked;
      });
      update();
    });
    form.addEventListener("change", function (e) {
      if (e.target.name === "cases") update();
    });
    update();
  });

  // --- live queues (htmx polling) ---
  // A refresh would wipe a half-filled form, so the poll skips its turn while the user works inside the
  // queue. (Here rather than as an hx-trigger condition: htmx evaluates those as code, which the page's
  // Content-Security-Policy forbids.)
  function queueIdle(queue) {
    var active = document.activeElement;
    if (active && active !== document.body && queue.contains(active)) return false;
    return !queue.querySelector("details[open]");
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "queue" && !queueIdle(elt)) event.preventDefault();
  });

  var known = null;
  function caseIds(root) {
    return Array.prototype.map.call(root.querySelectorAll("[data-case]"), function (el) {
      return el.getAttribute("data-case");
    });
  }
  function markNew(root) {
    var ids = caseIds(root);
    if (known !== null) {
      var fresh = 0;
      root.querySelectorAll("[data-case]").forEach(function (el) {
        if (known.indexOf(el.getAttribute("data-case")) === -1) {
          el.classList.add("is-new");
          fresh += 1;
        }
      });
      var live = document.getElementById("queue-live");
      if (fresh && live) live.textContent = live.getAttribute("data-template").replace("%s", fresh);
    }
    known = ids;
  }
  var queue = document.getElementById("queue");
  if (queue) markNew(queue);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "queue") {
      markNew(event.detail.target);
      tick();
    }
  });
})();
