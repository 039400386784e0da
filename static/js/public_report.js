// The public report page (templates/public/report.html): choose the point (your position, a tap on the map,
// a place found, or coordinates typed), learn its grid and administrators (public-report-where), choose a
// category with a text filter, and see open public problems nearby with a "me too" for each
// (public-report-nearby, then a fetch POST to public-case-support after window.gmPow.solve; each "me too"
// is a box of fields, not a form, as it sits inside the report form).
// Without tiles the map still takes taps over its plain background; without Leaflet the coordinates and
// the place search still set the point; the form itself is an ordinary form.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var wordsNode = document.getElementById("report-words");
  var W = wordsNode ? JSON.parse(wordsNode.textContent) : {};
  function say(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) {
      return values && key in values ? values[key] : "";
    });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(
        function (body) {
          return { ok: response.ok, status: response.status, body: body };
        },
        function () {
          return { ok: false, status: response.status, body: null };
        }
      );
    });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }
  document.querySelectorAll("[data-js-only]").forEach(function (node) {
    node.hidden = false;
  });

  var latInput = document.getElementById("id_lat");
  var lngInput = document.getElementById("id_lng");
  var mapEl = document.getElementById("report-map");
  var status = document.getElementById("report-where-status");
  var gridBox = document.getElementById("report-grid");
  function tell(text, kind) {
    status.textContent = text || "";
    status.className = "hint" + (kind ? " hint-" + kind : "");
  }

  // --- the map ---
  var map = null, marker = null, outline = null;
  if (typeof L !== "undefined" && window.GridMaps && mapEl) {
    map = window.GridMaps.makeMap(mapEl);
    map.on("click", function (e) {
      setPoint(e.latlng.lat, e.latlng.lng, { frame: false });
    });
  } else if (mapEl) {
    mapEl.hidden = true;
  }
  function pin(lat, lng) {
    if (!map) return;
    if (!marker) {
      marker = L.marker([lat, lng], {
        draggable: true,
        keyboard: true,
        title: mapEl.getAttribute("data-msg-marker"),
        icon: L.divIcon({ className: "pick-marker", html: "<span></span>", iconSize: [28, 28], iconAnchor: [14, 28] }),
      }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        setPoint(p.lat, p.lng, { frame: false });
      });
    } else {
      marker.setLatLng([lat, lng]);
    }
  }

  // --- where: the grid of the point, its administrators ---
  var whereAsked = null;
  function askWhere(lat, lng, frame) {
    var url = mapEl.getAttribute("data-where-url");
    var query = "?lat=" + lat.toFixed(6) + "&lng=" + lng.toFixed(6);
    whereAsked = query;
    gridBox.hidden = true;
    getJSON(url + query)
      .then(function (answer) {
        if (whereAsked !== query) return; // a later point's answer wins
        if (!answer.ok || !answer.body) {
          tell(answer.body && answer.body.error ? answer.body.error.message : W.whereFailed, "warn");
          return;
        }
        var body = answer.body;
        if (!body.inside) {
          tell(body.message, "warn");
          if (outline && map) map.removeLayer(outline);
          outline = null;
          return;
        }
        tell("", "");
        showGrid(body);
        if (map && body.grid.outline) {
          if (outline) map.removeLayer(outline);
          outline = L.geoJSON(body.grid.outline, {
            interactive: false,
            style: function () {
              return { color: "#0b4f8a", weight: 2, fillColor: "#4f8fd6", fillOpacity: 0.18 };
            },
          }).addTo(map);
          if (frame) {
            var bounds = outline.getBounds();
            bounds.extend([lat, lng]);
            map.fitBounds(bounds, { padding: [8, 8], maxZoom: 17, animate: false });
          }
        }
      })
      .catch(function () {
        if (whereAsked === query) tell(W.whereFailed, "warn");
      });
  }
  function showGrid(body) {
    gridBox.textContent = "";
    var title = el("p", "report-grid-name");
    var strong = el("strong", "", say(W.inGrid, { grid: body.grid.name }));
    title.appendChild(strong);
    var parts = [body.grid.community, body.grid.street].filter(function (x, i, all) {
      return x && all.indexOf(x) === i && body.grid.name.indexOf(x) < 0;
    });
    if (parts.length) title.appendChild(document.createTextNode(" (" + parts.join(", ") + ")"));
    gridBox.appendChild(title);
    if (body.administrators.length) {
      var names = body.administrators.map(function (a) {
        return a.work_phone ? say(W.adminPhone, { name: a.name, phone: a.work_phone }) : a.name;
      });
      gridBox.appendChild(el("p", "report-grid-admins", say(W.admins, { names: names.join("; ") })));
    }
    gridBox.hidden = false;
  }

  var point = null;
  function setPoint(lat, lng, options) {
    options = options || {};
    if (!isFinite(lat) || !isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) return;
    point = { lat: lat, lng: lng };
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    pin(lat, lng);
    if (map && options.frame) map.setView([lat, lng], Math.max(map.getZoom(), 16), { animate: false });
    tell(W.asking, "");
    askWhere(lat, lng, options.frame);
    askNearby();
  }

  // --- your position ---
  var gps = document.getElementById("report-gps");
  if (gps && navigator.geolocation) {
    gps.hidden = false;
    gps.addEventListener("click", function () {
      tell(W.locating, "");
      gps.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          gps.disabled = false;
          setPoint(pos.coords.latitude, pos.coords.longitude, { frame: true });
        },
        function () {
          gps.disabled = false;
          tell(W.noGeo, "warn");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
      );
    });
  }

  // --- a place found by name (public-place-search; absent or failing: say so, the map still works) ---
  var placeInput = document.getElementById("report-place");
  var placeGo = document.getElementById("report-place-go");
  var placeList = document.getElementById("report-places");
  function searchPlaces() {
    var text = placeInput.value.trim();
    placeList.hidden = true;
    placeList.textContent = "";
    if (text.length < 2) {
      tell(W.typeMore, "warn");
      return;
    }
    tell(W.searching, "");
    getJSON(mapEl.getAttribute("data-place-url") + "?q=" + encodeURIComponent(text))
      .then(function (answer) {
        if (!answer.ok || !answer.body || !answer.body.results) {
          tell(answer.body && answer.body.error ? answer.body.error.message : W.searchFailed, "warn");
          return;
        }
        var results = answer.body.results;
        if (!results.length) {
          tell(W.noPlaces, "warn");
          return;
        }
        tell(say(W.found, { n: results.length }), "");
        results.forEach(function (place) {
          var li = el("li");
          var button = el("button", "link-button", place.label);
          button.type = "button";
          button.addEventListener("click", function () {
            placeList.hidden = true;
            setPoint(place.lat, place.lng, { frame: true });
            latInput.focus({ preventScroll: true });
          });
          li.appendChild(button);
          placeList.appendChild(li);
        });
        placeList.hidden = false;
        var first = placeList.querySelector("button");
        if (first) first.focus();
      })
      .catch(function () {
        tell(W.searchFailed, "warn");
      });
  }
  if (placeInput && placeGo) {
    placeGo.addEventListener("click", searchPlaces);
    placeInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault(); // Enter searches; it does not send the report
        searchPlaces();
      }
    });
  }

  // --- coordinates typed ---
  function fromInputs() {
    var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
    if (!isNaN(lat) && !isNaN(lng)) setPoint(lat, lng, { frame: true });
  }
  [latInput, lngInput].forEach(function (input) {
    input.addEventListener("change", fromInputs);
  });
  var coordsGo = document.getElementById("report-coords-go");
  if (coordsGo) coordsGo.addEventListener("click", fromInputs);

  // --- the category picker: a filter over both languages' names ---
  var filter = document.getElementById("category-filter");
  var filterStatus = document.getElementById("category-filter-status");
  var chosenNote = document.getElementById("category-chosen");
  var groups = Array.prototype.slice.call(document.querySelectorAll("[data-group]"));
  var options = Array.prototype.slice.call(document.querySelectorAll(".category-option"));
  function applyFilter() {
    var terms = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    options.forEach(function (label) {
      var text = label.getAttribute("data-search") || "";
      var match = terms.every(function (t) {
        return text.indexOf(t) >= 0;
      });
      label.hidden = !match;
      if (match) shown++;
    });
    groups.forEach(function (group) {
      var any = group.querySelector(".category-option:not([hidden])");
      group.hidden = !any;
      if (terms.length) group.open = !!any;
      else group.open = !!group.querySelector("input:checked");
    });
    filterStatus.textContent = terms.length ? (shown ? say(W.categoriesMatch, { n: shown }) : W.noCategory) : "";
  }
  if (filter) {
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        var first = document.querySelector(".category-option:not([hidden]) input");
        if (first) first.focus();
      }
    });
  }
  function chosenCategory() {
    var checked = form.querySelector('input[name="category"]:checked');
    return checked ? checked : null;
  }
  function showChosen() {
    var checked = chosenCategory();
    if (!checked) {
      chosenNote.textContent = "";
      return;
    }
    chosenNote.textContent = say(W.chosenCategory, { category: checked.parentNode.textContent.trim() });
  }
  form.addEventListener("change", function (e) {
    if (e.target && e.target.name === "category") {
      showChosen();
      askNearby();
    }
  });

  // --- likely duplicates: open public cases nearby, each with "me too" ---
  var nearby = document.getElementById("report-nearby");
  var nearbyIntro = document.getElementById("nearby-intro");
  var nearbyList = document.getElementById("nearby-list");
  var supportTemplate = document.getElementById("support-template");
  var nearbyAsked = null;
  var nearbyUrl = form.getAttribute("data-nearby-url");
  function askNearby() {
    var checked = chosenCategory();
    if (!point || !checked || !nearbyUrl) return;
    var query = "?lat=" + point.lat.toFixed(6) + "&lng=" + point.lng.toFixed(6) + "&category=" + encodeURIComponent(checked.value);
    if (query === nearbyAsked) return;
    nearbyAsked = query;
    getJSON(nearbyUrl + query)
      .then(function (answer) {
        if (nearbyAsked !== query || !answer.ok || !answer.body) return;
        drawNearby(answer.body.cases || []);
      })
      .catch(function () {});
  }
  function drawNearby(cases) {
    nearbyList.textContent = "";
    nearby.hidden = false;
    nearbyIntro.textContent = cases.length ? W.nearbySome : W.nearbyNone;
    cases.forEach(function (c) {
      var li = el("li", "nearby-case");
      var head = el("p", "nearby-head");
      head.appendChild(el("strong", "", c.category));
      head.appendChild(document.createTextNode(" · " + say(W.metres, { n: c.metres }) + " · "));
      head.appendChild(el("span", "state", c.state));
      li.appendChild(head);
      if (c.text) li.appendChild(el("p", "nearby-text", c.text));
      var meta = el("p", "nearby-meta small muted");
      meta.appendChild(document.createTextNode(say(W.reported, { date: c.reported }) + " · "));
      var count = el("span", "nearby-count", say(W.supporters, { n: c.supporters }));
      meta.appendChild(count);
      li.appendChild(meta);
      var actions = el("div", "nearby-actions");
      var link = el("a", "", say(W.view, { number: c.number }));
      link.href = c.url;
      actions.appendChild(link);
      if (supportTemplate && supportTemplate.content) {
        var support = supportTemplate.content.firstElementChild.cloneNode(true);
        support.setAttribute("data-action", c.support_url);
        // Each clone's honeypot has the template's id: ids must stay unique on the page.
        support.querySelectorAll("[id]").forEach(function (node) {
          node.removeAttribute("id");
        });
        // Its fields belong to no form (an id no element has), so the report form never sends them.
        support.querySelectorAll("input").forEach(function (input) {
          input.setAttribute("form", "nearby-support-detached");
        });
        support.querySelectorAll("label[for]").forEach(function (node) {
          node.removeAttribute("for");
        });
        support.querySelector("button").addEventListener("click", function () {
          sendSupport(support, count);
        });
        actions.appendChild(support);
      }
      li.appendChild(actions);
      nearbyList.appendChild(li);
    });
  }
  function sendSupport(support, count) {
    var button = support.querySelector("button");
    var note = support.querySelector(".nearby-support-status");
    button.disabled = true;
    note.textContent = form.getAttribute("data-pow-checking") || "";
    var solving = window.gmPow ? window.gmPow.solve(support) : Promise.reject(new Error("no pow"));
    solving
      .then(function () {
        var body = new FormData();
        support.querySelectorAll("input[name]").forEach(function (input) {
          body.append(input.name, input.value);
        });
        return fetch(support.getAttribute("data-action"), {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
      })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (answer.ok) {
          count.textContent = say(W.supporters, { n: answer.body.supporters });
          note.textContent = say(W.supported, { n: answer.body.supporters });
          note.className = "nearby-support-status small hint-ok";
          button.hidden = true;
          return;
        }
        button.disabled = false;
        note.textContent = answer.body && answer.body.error ? answer.body.error.message : W.supportFailed;
        note.className = "nearby-support-status small hint-warn";
      })
      .catch(function () {
        button.disabled = false;
        note.textContent = W.supportFailed;
        note.className = "nearby-support-status small hint-warn";
      });
  }

  // --- start: a point from the link or from a refused form; the category chosen before ---
  showChosen();
  var lat0 = parseFloat(latInput.value), lng0 = parseFloat(lngInput.value);
  if (!isNaN(lat0) && !isNaN(lng0)) setPoint(lat0, lng0, { frame: true });
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
