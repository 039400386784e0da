// Maps of the patrol pages, on Leaflet (served by django-leaflet), each a <div data-patrol-map="…">:
//   today   a grid administrator's grids and the tracks of today's patrols (a tap on one opens it)
//   detail  one patrol: the grids it concerns, its track, and the places and segments its flags point at
//   record  the recording page's map: drawn by static/js/patrol_record.js, which uses PatrolMaps below
// Everything comes with the page as JSON (json_script): "map-config" (tiles; none for MAP_TILES=none),
// "grid-geojson", "patrol-tracks" (GeoJSON features of MultiLineStrings), "patrol-flags" ({where, label}:
// where holds [lat, lng] points or [[lat, lng], [lat, lng]] segments). No inline script (gridmgmt/csp.py).
// The legend's swatches for the track, the flags and the position are drawn here, as the map draws them.
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.GridMaps) return;

  var TRACK = { color: "#1d4ed8", weight: 4, opacity: 0.85 };
  var FLAG = { color: "#c1121f", weight: 6, radius: 7 };
  var HERE = { color: "#0b4f8a", fill: "#2563eb" };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function grids(map, geojson) {
    var outline = GridMaps.gridOutline(geojson);  // as every map draws grids (static/js/maps.js)
    return outline ? outline.addTo(map) : null;
  }

  function tracks(map, features) {
    if (!features || !features.length) return null;
    return L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: function () {
        return TRACK;
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        if (p.label) layer.bindTooltip(p.label, { sticky: true });
        if (p.url) {
          layer.on("click", function () {
            window.location.href = p.url;
          });
        }
      },
    }).addTo(map);
  }

  function flagged(map, flags) {
    var group = L.featureGroup();
    (flags || []).forEach(function (flag) {
      (flag.where || []).forEach(function (w) {
        var mark;
        if (Array.isArray(w[0])) {
          mark = L.polyline(w, { color: FLAG.color, weight: FLAG.weight, opacity: 0.9 });
        } else {
          mark = L.circleMarker(w, { radius: FLAG.radius, color: "#fff", weight: 2, fillColor: FLAG.color, fillOpacity: 0.95 });
        }
        mark.bindTooltip(flag.label);
        mark.addTo(group);
      });
    });
    return group.getLayers().length ? group.addTo(map) : null;
  }

  function fit(map, layers) {
    var bounds = L.latLngBounds([]);
    layers.forEach(function (layer) {
      if (layer) bounds.extend(layer.getBounds());
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17, animate: false });
  }

  function todayMap(el) {
    var map = window.GridMaps.makeMap(el);
    var outline = grids(map, readJSON("grid-geojson"));
    var walked = tracks(map, readJSON("patrol-tracks"));
    fit(map, [outline, walked]);
  }

  function detailMap(el) {
    var map = window.GridMaps.makeMap(el);
    var outline = grids(map, readJSON("grid-geojson"));
    var walked = tracks(map, readJSON("patrol-tracks"));
    var marks = flagged(map, readJSON("patrol-flags"));
    // The grids frame the track, so even a short one shows where it lies.
    fit(map, [outline, walked, marks]);
  }

  // --- legend swatches for the patrol marks (the grid swatch is static/js/maps.js's) ---
  var svgEl = GridMaps.svgEl;
  function swatch(span) {
    var mark = span.getAttribute("data-mark");
    var svg = svgEl("svg", { width: 20, height: 20, viewBox: "0 0 20 20", focusable: "false" });
    if (mark === "track") {
      svg.appendChild(svgEl("path", { d: "M2,15 L8,7 L13,12 L18,4", fill: "none", stroke: TRACK.color, "stroke-width": 3, "stroke-linejoin": "round" }));
    } else if (mark === "flag") {
      svg.appendChild(svgEl("path", { d: "M2,16 L9,9", fill: "none", stroke: FLAG.color, "stroke-width": 4 }));
      svg.appendChild(svgEl("circle", { cx: 14, cy: 6, r: 4.5, fill: FLAG.color, stroke: "#fff", "stroke-width": 1.5 }));
    } else if (mark === "here") {
      svg.appendChild(svgEl("circle", { cx: 10, cy: 10, r: 8, fill: HERE.fill, "fill-opacity": 0.15, stroke: HERE.color, "stroke-width": 1 }));
      svg.appendChild(svgEl("circle", { cx: 10, cy: 10, r: 4, fill: HERE.fill, stroke: "#fff", "stroke-width": 1.5 }));
    } else {
      return;
    }
    span.appendChild(svg);
  }
  document.querySelectorAll(".map-legend [data-mark]").forEach(swatch);

  window.PatrolMaps = { grids: grids, fit: fit, TRACK: TRACK, HERE: HERE, readJSON: readJSON };

  var MODES = { today: todayMap, detail: detailMap };
  document.querySelectorAll("[data-patrol-map]").forEach(function (el) {
    var mode = MODES[el.getAttribute("data-patrol-map")];
    if (mode) mode(el);
  });
})();
