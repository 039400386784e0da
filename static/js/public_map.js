// The public front page (templates/public/front.html): choose a point (your position, a tap on the map, a
// place found), see the public problems near it, and go on to report there or to your grid's page.
// The map's cases come from public-map-data as the map moves (debounced): clusters with their count below
// the cluster zoom (select one to zoom in), single problems above it. Markers are Leaflet markers with HTML
// icons: focusable, announced by their title, and told apart by a sign (!, ✓, a number) as well as colour.
// Without tiles (MAP_TILES=none) the map still shows the problems over a plain background.
(function () {
  "use strict";
  var el = document.getElementById("public-map");
  if (!el) return;
  document.querySelectorAll("[data-js-only]").forEach(function (node) {
    node.hidden = false;
  });
  var wordsNode = document.getElementById("public-map-words");
  var W = wordsNode ? JSON.parse(wordsNode.textContent) : {};
  function say(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) {
      return values && key in values ? values[key] : "";
    });
  }
  var status = document.getElementById("front-status");
  var mapStatus = document.getElementById("map-status");
  var results = document.getElementById("front-results");
  var chosenBox = document.getElementById("front-chosen");
  var chosenLabel = document.getElementById("front-chosen-label");
  var reportHere = document.getElementById("front-report-here");
  var reportTop = document.getElementById("front-report");
  var gridBox = document.getElementById("front-grid");
  var gridLink = document.getElementById("front-grid-link");
  var gridOutside = document.getElementById("front-outside");
  var filters = document.getElementById("front-filters");
  var clusterBelow = parseInt(el.getAttribute("data-cluster-below"), 10) || 16;

  if (typeof L === "undefined" || !window.GridMaps) {
    el.hidden = true;
    return;
  }
  var map = window.GridMaps.makeMap(el);
  map.setMinZoom(9);
  var cases = L.layerGroup().addTo(map);
  var chosen = null;

  function icon(kind, text) {
    return L.divIcon({
      className: "public-mark-icon",
      html: '<span class="public-mark public-mark-' + kind + '">' + text + "</span>",
      iconSize: kind === "cluster" ? [36, 36] : [26, 26],
    });
  }

  // --- the problems on the map ---
  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.category_name;
    box.appendChild(title);
    [p.state_label, say(W.reported, { date: p.reported }), say(W.supporters, { n: p.supporters })].forEach(
      function (text) {
        var line = document.createElement("div");
        line.textContent = text;
        box.appendChild(line);
      }
    );
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = W.view;
    box.appendChild(a);
    return box;
  }
  function draw(data) {
    cases.clearLayers();
    (data.features || []).forEach(function (f) {
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var p = f.properties;
      var marker;
      if (p.cluster) {
        var title = say(W.cluster, { n: p.count });
        marker = L.marker(ll, { icon: icon("cluster", p.count > 999 ? "999+" : p.count), title: title, alt: title });
        marker.on("click", function () {
          map.setView(ll, Math.min(map.getZoom() + 2, clusterBelow));
        });
      } else {
        var label = p.category_name + " · " + p.state_label;
        marker = L.marker(ll, { icon: icon(p.state === "open" ? "open" : "closed", p.state === "open" ? "!" : "✓"), title: label, alt: label });
        marker.bindPopup(popup(p));
      }
      marker.addTo(cases);
    });
    var text = say(W.shown, { n: data.total });
    if (data.truncated) text += " " + say(W.truncated, { n: (data.features || []).length });
    mapStatus.textContent = text;
  }
  var timer = null;
  var pending = null;
  function load() {
    var b = map.getBounds();
    var west = Math.max(b.getWest(), -180), east = Math.min(b.getEast(), 180);
    var south = Math.max(b.getSouth(), -90), north = Math.min(b.getNorth(), 90);
    var params = new URLSearchParams({
      bbox: [west, south, east, north].map(function (x) { return x.toFixed(5); }).join(","),
      zoom: String(Math.round(map.getZoom())),
      category: filters ? filters.elements.category.value : "",
      state: filters ? filters.elements.state.value : "all",
    });
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(el.getAttribute("data-url") + "?" + params.toString(), { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error((body.error && body.error.message) || W.loadFailed);
          return body;
        });
      })
      .then(draw)
      .catch(function (err) {
        if (err.name === "AbortError") return;
        mapStatus.textContent = err.message || W.loadFailed;
      });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  }
  map.on("moveend", later);
  if (filters) {
    filters.addEventListener("change", later);
    filters.addEventListener("submit", function (e) {
      e.preventDefault();
      load();
    });
  }

  // --- the chosen point: report there, and which grid it is in ---
  function choose(lat, lng, label, zoom) {
    var ll = [lat, lng];
    if (chosen) chosen.setLatLng(ll);
    else chosen = L.marker(ll, { icon: icon("chosen", "+"), title: W.chosen, alt: W.chosen, keyboard: false }).addTo(map);
    map.setView(ll, Math.max(map.getZoom(), zoom || 17));
    var query = "?lat=" + lat.toFixed(6) + "&lng=" + lng.toFixed(6);
    reportHere.href = reportTop.getAttribute("data-base") + query;
    reportTop.href = reportHere.href;
    chosenLabel.textContent = label;
    chosenBox.hidden = false;
    gridBox.hidden = true;
    gridOutside.hidden = true;
    fetch(el.getAttribute("data-where") + query, { headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        if (body && body.inside === false && body.message) {
          // Outside every grid: say so where the grid would be, and the report link stays (its page says why).
          gridOutside.textContent = body.message;
          gridOutside.hidden = false;
          return;
        }
        var grid = body && body.grid;
        if (!grid || !grid.code) return;
        gridLink.href = grid.url || el.getAttribute("data-grid-url").replace("00000000000000", grid.code);
        gridLink.textContent = grid.place || grid.name || grid.code;
        gridBox.hidden = false;
      })
      .catch(function () {});
  }
  map.on("click", function (e) {
    choose(e.latlng.lat, e.latlng.lng, W.tapped, map.getZoom());
  });

  var locate = document.getElementById("front-locate");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) {
        status.textContent = W.noGeo;
        return;
      }
      status.textContent = W.locating;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          status.textContent = "";
          choose(pos.coords.latitude, pos.coords.longitude, W.located, 17);
        },
        function () {
          status.textContent = W.geoDenied;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  var search = document.getElementById("front-search");
  if (search) {
    search.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = search.elements.q.value.trim();
      if (!q) return;
      status.textContent = W.searching;
      fetch(search.action + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) throw new Error((body.error && body.error.message) || W.noPlaces);
            return body;
          });
        })
        .then(function (body) {
          results.textContent = "";
          var found = body.results || [];
          status.textContent = found.length ? say(W.found, { n: found.length }) : W.noPlaces;
          results.hidden = !found.length;
          found.forEach(function (place) {
            var li = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.className = "link-button";
            button.textContent = place.label;
            var kind = document.createElement("span");
            kind.className = "muted";
            kind.textContent = " · " + ((W.kinds || {})[place.kind] || place.kind);
            button.addEventListener("click", function () {
              results.hidden = true;
              choose(place.lat, place.lng, place.label, place.kind === "road" || place.kind === "grid" ? 16 : 18);
              reportHere.focus();
            });
            li.appendChild(button);
            li.appendChild(kind);
            results.appendChild(li);
          });
        })
        .catch(function (err) {
          status.textContent = err.message || W.noPlaces;
        });
    });
  }
  load();
})();
