// Maps of the case pages, on Leaflet (served by django-leaflet). Each map is a <div data-map="…">:
//   overview  a grid administrator's grids and the open cases in them; a tap offers "report here"
//   report    pick the location of a new case by GPS, a tap, an address found, or a facility tapped on the
//             map (facilities near the chosen point, for readers of the base data); checked against the grids
//   case      one case, its grid and (for triage) the likely duplicates nearby
//   cases     every open case of the dispatch center, grouped per grid when zoomed out
// The grid polygons come with the page (json_script), so a map shows something even without tiles; the
// base layers are the MAP_TILES preset's (grids.maps.map_config, json_script "map-config"): none at all for
// MAP_TILES=none. Under each map a legend (templates/cases/_map_legend.html) names every mark; its words
// come from the page, its swatches are drawn here with the shapes and colours the map uses.
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var config = readJSON("map-config") || { layers: [], center: [28.68, 115.89], zoom: 13 };
  var COLOURS = { ontime: "#1e7b34", warning: "#a65f00", overdue: "#b00020", suspended: "#5f6b7a", none: "#3d5a80" };
  // Each deadline status has a shape of its own as well as a colour, so the map reads without colour.
  var SHAPES = { ontime: "circle", warning: "triangle", overdue: "square", suspended: "pause", none: "circle" };
  var RADIUS = { ontime: 8, warning: 9, overdue: 8, suspended: 8, none: 6 };
  var RANK = { overdue: 3, warning: 2, ontime: 1, suspended: 0, none: 0 };
  var GRID = { color: "#0b4f8a", weight: 2, fill: "#9cc3ea", highlight: "#4f8fd6", opacity: 0.18 };
  // City facilities on the report map: a diamond, a colour no deadline status uses.
  var FACILITY = { shape: "diamond", colour: "#6a3d9a", radius: 8 };

  function makeMap(el) {
    var map = L.map(el, { zoomControl: false }).setView(config.center, config.zoom);
    var controls = config.controls || {};
    L.control.zoom({ zoomInTitle: controls.zoomIn || "+", zoomOutTitle: controls.zoomOut || "−" }).addTo(map);
    var layers = config.layers || [];
    layers.forEach(function (spec, i) {
      var options = { maxZoom: spec.maxZoom || 19, attribution: i === 0 ? config.attribution || "" : "" };
      if (spec.subdomains) options.subdomains = spec.subdomains;
      if (spec.referrerPolicy) options.referrerPolicy = spec.referrerPolicy;
      var layer = L.tileLayer(spec.url, options);
      // Offline, or the tile server down: the hatched background shows through, the grids stay readable.
      layer.on("tileerror", function () {
        el.classList.add("tiles-failed");
      });
      layer.addTo(map);
    });
    if (!layers.length) el.classList.add("no-tiles");
    return map;
  }
  // Grid outlines (GeoJSON features with a name) as every map draws them; a layer not yet on a map.
  function gridOutline(geojson) {
    if (!geojson || !geojson.features || !geojson.features.length) return null;
    return L.geoJSON(geojson, {
      style: function () {
        return { color: GRID.color, weight: GRID.weight, fillColor: GRID.fill, fillOpacity: GRID.opacity };
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.name, { sticky: true });
      },
    });
  }
  // The base-data pages' maps (static/js/places.js, loaded after this file) and the patrol maps
  // (static/js/patrol_map.js) start from the same map, draw grids alike and their legend swatches with the
  // same SVG helper.
  window.GridMaps = { makeMap: makeMap, svgEl: svgEl, gridOutline: gridOutline };

  // --- marks: an SVG path per shape, for the map's markers and the legend's swatches alike ---
  function shapePath(shape, x, y, r) {
    function rect(left, top, w, h) {
      return "M" + left + "," + top + "h" + w + "v" + h + "h" + -w + "Z";
    }
    if (shape === "triangle") {
      return "M" + x + "," + (y - r) + "L" + (x + r) + "," + (y + r * 0.75) + "L" + (x - r) + "," + (y + r * 0.75) + "Z";
    }
    if (shape === "square") return rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
    if (shape === "diamond") return "M" + x + "," + (y - r) + "L" + (x + r) + "," + y + "L" + x + "," + (y + r) + "L" + (x - r) + "," + y + "Z";
    if (shape === "pause") return rect(x - r * 0.85, y - r * 0.85, r * 0.65, r * 1.7) + rect(x + r * 0.2, y - r * 0.85, r * 0.65, r * 1.7);
    return "M" + (x - r) + "," + y + "a" + r + "," + r + " 0 1,0 " + 2 * r + ",0a" + r + "," + r + " 0 1,0 " + -2 * r + ",0";
  }

  // A circle marker drawn as another shape: same events, tooltips and popups, still one SVG path.
  var ShapeMarker = L.CircleMarker.extend({
    options: { shape: "circle" },
    _updatePath: function () {
      if (this.options.shape === "circle" || !this._renderer._setPath) {
        L.CircleMarker.prototype._updatePath.call(this);
        return;
      }
      var p = this._point;
      this._renderer._setPath(this, this._empty() ? "M0 0" : shapePath(this.options.shape, p.x, p.y, this._radius));
    },
  });

  function gridLayer(map, geojson, highlight) {
    if (!geojson || !geojson.features || !geojson.features.length) return null;
    var layer = L.geoJSON(geojson, {
      style: function () {
        return { color: GRID.color, weight: GRID.weight, fillColor: highlight ? GRID.highlight : GRID.fill, fillOpacity: GRID.opacity };
      },
      onEachFeature: function (feature, lyr) {
        lyr.bindTooltip(feature.properties.name, { sticky: true });
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [12, 12], maxZoom: 17, animate: false });
    return layer;
  }

  function link(url, text) {
    var a = document.createElement("a");
    a.href = url;
    a.textContent = text;
    return a;
  }

  function caseMarker(point) {
    var status = COLOURS[point.status] ? point.status : "none";
    var marker = new ShapeMarker([point.lat, point.lng], {
      shape: SHAPES[status],
      radius: RADIUS[status],
      color: "#fff",
      weight: 2,
      fillColor: COLOURS[status],
      fillOpacity: 0.95,
    });
    marker.bindPopup(link(point.url, point.label));
    marker.bindTooltip(point.label);
    return marker;
  }

  // --- geometry: is a point in a grid (ray casting over [lng, lat] rings), and the nearest edge point ---
  function inRing(lat, lng, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function polygons(geometry) {
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }
  function inGeometry(lat, lng, geometry) {
    return polygons(geometry).some(function (rings) {
      if (!inRing(lat, lng, rings[0])) return false;
      for (var h = 1; h < rings.length; h++) if (inRing(lat, lng, rings[h])) return false;
      return true;
    });
  }
  function gridAt(geojson, lat, lng) {
    if (!geojson) return null;
    for (var i = 0; i < geojson.features.length; i++) {
      if (inGeometry(lat, lng, geojson.features[i].geometry)) return geojson.features[i];
    }
    return null;
  }
  // Metres on a local flat projection: plenty for snapping a GPS fix a few metres onto a grid.
  function nearestInside(geojson, lat, lng, maxMetres) {
    var kx = 111320 * Math.cos((lat * Math.PI) / 180), ky = 110540;
    var best = null;
    (geojson ? geojson.features : []).forEach(function (feature) {
      polygons(feature.geometry).forEach(function (rings) {
        var ring = rings[0];
        for (var i = 0; i < ring.length - 1; i++) {
          var ax = (ring[i][0] - lng) * kx, ay = (ring[i][1] - lat) * ky;
          var bx = (ring[i + 1][0] - lng) * kx, by = (ring[i + 1][1] - lat) * ky;
          var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
          var t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
          var px = ax + t * dx, py = ay + t * dy, d = Math.sqrt(px * px + py * py);
          if (d <= maxMetres && (!best || d < best.metres)) best = { feature: feature, x: px, y: py, metres: d };
        }
      });
    });
    if (!best) return null;
    // Step 2 m past the edge towards the grid's centre, so the point is inside, not on the line.
    var c = best.feature.properties.centre;
    var cx = (c[1] - lng) * kx, cy = (c[0] - lat) * ky;
    var vx = cx - best.x, vy = cy - best.y, vl = Math.sqrt(vx * vx + vy * vy) || 1;
    var sx = best.x + (2 * vx) / vl, sy = best.y + (2 * vy) / vl;
    var snapped = { lat: lat + sy / ky, lng: lng + sx / kx };
    if (!inGeometry(snapped.lat, snapped.lng, best.feature.geometry)) return null;
    return { lat: snapped.lat, lng: snapped.lng, feature: best.feature, metres: Math.round(best.metres) };
  }

  function fill(template, value) {
    return (template || "").replace("%s", value);
  }

  // --- overview: a grid administrator's grids and open cases; a tap offers "report here" ---
  function overviewMap(el) {
    var map = makeMap(el);
    var grids = readJSON("grid-geojson");
    gridLayer(map, grids);
    (readJSON("case-points") || []).forEach(function (p) {
      caseMarker(p).addTo(map);
    });
    var reportUrl = el.getAttribute("data-report-url");
    if (reportUrl) {
      map.on("click", function (e) {
        var url = reportUrl + "?lat=" + e.latlng.lat.toFixed(6) + "&lng=" + e.latlng.lng.toFixed(6);
        L.popup().setLatLng(e.latlng).setContent(link(url, el.getAttribute("data-msg-report-here"))).openOn(map);
      });
    }
  }

  // --- report: location by GPS or tap, with a hint whether it lies in the viewer's grids ---
  function reportMap(el) {
    var map = makeMap(el);
    var grids = readJSON("grid-geojson");
    var outlines = gridLayer(map, grids, true);
    var latInput = document.getElementById("id_lat");
    var lngInput = document.getElementById("id_lng");
    var hint = document.getElementById("location-hint");
    var facilityInput = document.getElementById("id_facility");
    var categorySelect = document.getElementById("id_category");
    var marker = null, accuracy = null;
    var facilities = facilityLayer(el.getAttribute("data-facilities-url"));
    // The facility code the map (a tap, or the link that opened the page) put into the form: a tap elsewhere
    // takes it out again. A code typed by hand stays: the case is on that facility, wherever the pin is.
    var pickedCode = facilityInput && facilityInput.value ? facilityInput.value : null;

    function say(text, kind) {
      if (!hint) return;
      hint.textContent = text;
      hint.className = "hint" + (kind ? " hint-" + kind : "");
    }
    function place(lat, lng, note) {
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      if (!marker) {
        marker = L.marker([lat, lng], {
          draggable: true,
          keyboard: true,
          title: el.getAttribute("data-msg-marker"),
          icon: L.divIcon({ className: "pick-marker", html: "<span></span>", iconSize: [28, 28], iconAnchor: [14, 28] }),
        }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          place(p.lat, p.lng);
        });
      } else {
        marker.setLatLng([lat, lng]);
      }
      var grid = gridAt(grids, lat, lng);
      if (grid) say(fill(el.getAttribute("data-msg-in-grid"), grid.properties.name) + (note ? " " + note : ""), "ok");
      else say(el.getAttribute("data-msg-outside"), "warn");
      // Let the server check the spot and look for duplicates nearby (htmx listens for this change).
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
      if (facilities) facilities.around(lat, lng);
    }
    // Show a chosen point in context: its grid with the pin, or (outside every grid) all the grids with
    // the pin; never the bare pin, whose surroundings would say nothing about where it lies.
    function frame(lat, lng) {
      var grid = gridAt(grids, lat, lng);
      var bounds = grid ? L.geoJSON(grid).getBounds() : outlines ? outlines.getBounds() : null;
      if (!bounds) {
        map.setView([lat, lng], 16, { animate: false });
        return;
      }
      bounds.extend([lat, lng]);
      map.fitBounds(bounds, { padding: [8, 8], maxZoom: 17, animate: false });
    }

    map.on("click", function (e) {
      // A tap beside the facility chosen from the map means another place: the case is no longer on it.
      if (facilityInput && pickedCode && facilityInput.value === pickedCode) facilityInput.value = "";
      pickedCode = null;
      place(e.latlng.lat, e.latlng.lng);
    });

    // Facilities near the chosen point; tapping one names it in the form with its point and category.
    function facilityLayer(url) {
      if (!url || !window.fetch) return null;
      var layer = L.layerGroup().addTo(map);
      var shown = null;
      function pick(feature) {
        var p = feature.properties, c = feature.geometry.coordinates;
        if (facilityInput) facilityInput.value = pickedCode = p.code;
        if (categorySelect && p.category) {
          categorySelect.value = String(p.category);
          categorySelect.dispatchEvent(new Event("change", { bubbles: true }));
        }
        place(c[1], c[0], fill(el.getAttribute("data-msg-facility"), p.title));
      }
      function draw(data) {
        layer.clearLayers();
        ((data && data.features) || []).forEach(function (feature) {
          var p = feature.properties, c = feature.geometry.coordinates;
          var mark = new ShapeMarker([c[1], c[0]], {
            shape: FACILITY.shape,
            radius: FACILITY.radius,
            color: "#fff",
            weight: 2,
            fillColor: FACILITY.colour,
            fillOpacity: 0.95,
            bubblingMouseEvents: false, // a tap on a facility is not a tap on the map
          });
          mark.bindTooltip(p.title + (p.state ? " · " + p.state : ""));
          mark.on("click", function () {
            pick(feature);
          });
          mark.addTo(layer);
        });
      }
      return {
        around: function (lat, lng) {
          var query = "?lat=" + lat.toFixed(6) + "&lng=" + lng.toFixed(6);
          if (query === shown) return;
          shown = query;
          fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) {
              return response.ok ? response.json() : null;
            })
            .then(function (data) {
              if (shown === query) draw(data); // a later point's answer wins over a slow earlier one
            })
            .catch(function () {});
        },
      };
    }

    // The address field's "find": the standard addresses locate the typed text (variants normalised).
    var addressInput = document.getElementById("id_address");
    var findButton = document.getElementById("address-find");
    var addressHint = document.getElementById("address-hint");
    var locateUrl = el.getAttribute("data-locate-url");
    if (addressInput && findButton && locateUrl && window.fetch) {
      findButton.hidden = false;
      var find = function () {
        var text = addressInput.value.trim();
        findButton.disabled = true;
        fetch(locateUrl + "?address=" + encodeURIComponent(text), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            return response.json().then(function (body) {
              return { ok: response.ok, body: body };
            });
          })
          .then(function (answer) {
            findButton.disabled = false;
            if (!answer.ok) {
              addressHint.textContent = answer.body.error.message;
              addressHint.className = "hint hint-warn";
              addressInput.setAttribute("aria-invalid", "true");
              return;
            }
            var found = answer.body;
            addressInput.removeAttribute("aria-invalid");
            addressInput.value = found.address || text;
            addressHint.textContent = fill(el.getAttribute("data-msg-found"), found.address);
            addressHint.className = "hint hint-ok";
            place(found.lat, found.lng);
            frame(found.lat, found.lng);
          })
          .catch(function () {
            findButton.disabled = false;
            addressHint.textContent = el.getAttribute("data-msg-find-failed");
            addressHint.className = "hint hint-warn";
          });
      };
      findButton.addEventListener("click", find);
      addressInput.addEventListener("keydown", function (e) {
        // Enter in the address field finds it, rather than sending a report without a place.
        if (e.key === "Enter") {
          e.preventDefault();
          find();
        }
      });
    }
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("input", function () {
        var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
        if (!isNaN(lat) && !isNaN(lng) && marker) marker.setLatLng([lat, lng]);
      });
    });
    var lat0 = parseFloat(latInput.value), lng0 = parseFloat(lngInput.value);
    if (!isNaN(lat0) && !isNaN(lng0)) {
      place(lat0, lng0); // a link's ?lat=&lng=, or the form coming back refused: the same pin, in its grid
      frame(lat0, lng0);
    }

    var gps = document.getElementById("gps-button");
    if (gps && navigator.geolocation) {
      gps.hidden = false;
      gps.addEventListener("click", function () {
        say(el.getAttribute("data-msg-locating"), "");
        gps.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            gps.disabled = false;
            var lat = pos.coords.latitude, lng = pos.coords.longitude, acc = pos.coords.accuracy || 0;
            if (accuracy) map.removeLayer(accuracy);
            accuracy = L.circle([lat, lng], { radius: acc, color: "#0b4f8a", weight: 1, fillOpacity: 0.08 }).addTo(map);
            var note = "";
            if (!gridAt(grids, lat, lng)) {
              // A fix just outside a grid edge is most likely inside it: snap within the fix's accuracy.
              var snap = nearestInside(grids, lat, lng, Math.max(30, Math.min(acc, 150)));
              if (snap) {
                lat = snap.lat;
                lng = snap.lng;
                note = fill(el.getAttribute("data-msg-snapped"), snap.metres);
              }
            }
            place(lat, lng, note);
            frame(lat, lng);
          },
          function () {
            gps.disabled = false;
            say(el.getAttribute("data-msg-gps-error"), "warn");
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
        );
      });
    }
  }

  // --- case: the case, its grid, and other cases (duplicate candidates) ---
  function caseMap(el) {
    var map = makeMap(el);
    var grid = gridLayer(map, readJSON("grid-geojson"));
    var data = readJSON("case-map");
    if (!data) return;
    var here = L.marker([data.case.lat, data.case.lng], {
      title: data.case.label,
      icon: L.divIcon({ className: "pick-marker", html: "<span></span>", iconSize: [28, 28], iconAnchor: [14, 28] }),
    }).addTo(map);
    here.bindTooltip(data.case.label);
    var bounds = L.latLngBounds([[data.case.lat, data.case.lng]]);
    if (grid) bounds.extend(grid.getBounds());
    (data.others || []).forEach(function (p) {
      caseMarker(p).addTo(map);
      bounds.extend([p.lat, p.lng]);
    });
    map.fitBounds(bounds.pad(0.1), { maxZoom: 17, animate: false });
  }

  // --- cases: all open cases, grouped per grid below street level (a tiny clustering of our own) ---
  var CLUSTER_BELOW_ZOOM = 16;
  function casesMap(el) {
    var map = makeMap(el);
    var grids = readJSON("grid-geojson");
    gridLayer(map, grids);
    var points = readJSON("case-points") || [];
    var centres = {};
    (grids ? grids.features : []).forEach(function (f) {
      centres[f.properties.id] = f.properties.centre;
    });
    var layer = L.layerGroup().addTo(map);

    function groups() {
      var byKey = {};
      points.forEach(function (p) {
        var key = p.grid ? "g" + p.grid : "p" + p.lat.toFixed(3) + "," + p.lng.toFixed(3);
        (byKey[key] = byKey[key] || { grid: p.grid, points: [] }).points.push(p);
      });
      return Object.keys(byKey).map(function (k) {
        return byKey[k];
      });
    }

    function draw() {
      layer.clearLayers();
      if (map.getZoom() >= CLUSTER_BELOW_ZOOM) {
        points.forEach(function (p) {
          caseMarker(p).addTo(layer);
        });
        return;
      }
      groups().forEach(function (group) {
        if (group.points.length === 1) {
          caseMarker(group.points[0]).addTo(layer);
          return;
        }
        var worst = "none";
        var lat = 0, lng = 0;
        group.points.forEach(function (p) {
          if ((RANK[p.status] || 0) > (RANK[worst] || 0)) worst = p.status;
          lat += p.lat;
          lng += p.lng;
        });
        var centre = group.grid && centres[group.grid] ? centres[group.grid] : [lat / group.points.length, lng / group.points.length];
        var n = group.points.length;
        var label = fill(el.getAttribute("data-msg-cluster"), n);
        var marker = L.marker(centre, {
          title: label,
          keyboard: true,
          icon: L.divIcon({
            className: "cluster cluster-" + worst,
            html: "<span>" + n + "</span>",
            iconSize: [36, 36],
          }),
        });
        marker.on("click", function () {
          var b = L.latLngBounds(group.points.map(function (p) {
            return [p.lat, p.lng];
          }));
          map.fitBounds(b.pad(0.3), { maxZoom: CLUSTER_BELOW_ZOOM + 1 });
          if (map.getZoom() < CLUSTER_BELOW_ZOOM) map.setZoom(CLUSTER_BELOW_ZOOM);
        });
        marker.addTo(layer);
      });
    }
    map.on("zoomend", draw);
    draw();
  }

  // --- legend: each swatch drawn as the map draws its mark (pin and cluster are CSS, in maps.css) ---
  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    return node;
  }
  function drawSwatch(span) {
    var mark = span.getAttribute("data-mark");
    var svg = svgEl("svg", { width: 20, height: 20, viewBox: "0 0 20 20", focusable: "false" });
    if (mark === "grid" || mark === "grid-highlight") {
      svg.appendChild(svgEl("rect", {
        x: 2, y: 3, width: 16, height: 14, rx: 1,
        stroke: GRID.color, "stroke-width": GRID.weight,
        fill: mark === "grid" ? GRID.fill : GRID.highlight, "fill-opacity": GRID.opacity,
      }));
    } else if (mark === "facility") {
      svg.appendChild(svgEl("path", {
        d: shapePath(FACILITY.shape, 10, 10, FACILITY.radius),
        fill: FACILITY.colour, "fill-opacity": 0.95, stroke: "#fff", "stroke-width": 2,
      }));
    } else if (COLOURS[mark]) {
      svg.appendChild(svgEl("path", {
        d: shapePath(SHAPES[mark], 10, 10, RADIUS[mark]),
        fill: COLOURS[mark], "fill-opacity": 0.95, stroke: "#fff", "stroke-width": 2,
      }));
    } else {
      return;
    }
    span.appendChild(svg);
  }
  document.querySelectorAll(".map-legend [data-mark]").forEach(drawSwatch);

  var MODES = { overview: overviewMap, report: reportMap, case: caseMap, cases: casesMap };
  document.querySelectorAll("[data-map]").forEach(function (el) {
    var mode = MODES[el.getAttribute("data-map")];
    if (mode) mode(el);
  });
})();
