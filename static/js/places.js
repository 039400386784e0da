// Maps of the base-data pages, on Leaflet (served by django-leaflet). Each map is a <div data-places-map="…">:
//   place    a building: its grid outline, its point and its footprint
//   pick     the building form: a tap (or typed latitude/longitude) places the building; says which grid
//   profile  a grid's profile: its outline and layers (buildings, facilities, organisations, and what other
//            apps add, such as open cases), toggled with Leaflet's layer control
// Everything comes with the page as JSON (json_script): "map-config" (tiles, centre, zoom; no tiles for
// MAP_TILES=none), "grid-geojson", "place-geojson", "profile-layers". No inline script (see gridmgmt/csp.py).
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var config = readJSON("map-config") || { layers: [], center: [28.68, 115.89], zoom: 13 };
  // One colour per profile layer, in order; the legend's swatches (places.css) use the same ones.
  var LAYER_COLOURS = ["#3d5a80", "#1e7b34", "#7b2cbf", "#d97706", "#0e7490", "#6b7280"];
  var ALERT = "#b00020";
  var FOOTPRINT = { color: "#7a4a00", weight: 2, fillColor: "#f0a202", fillOpacity: 0.3 };

  // A map with the configured tiles and translated zoom buttons: static/js/maps.js makes it for every page.
  function makeMap(el) {
    return window.GridMaps.makeMap(el);
  }

  // Grid outlines as every map draws them (static/js/maps.js).
  var gridOutline = window.GridMaps.gridOutline;

  function pin(lat, lng, title, draggable) {
    return L.marker([lat, lng], {
      draggable: !!draggable,
      keyboard: true,
      title: title || "",
      icon: L.divIcon({ className: "pick-marker", html: "<span></span>", iconSize: [28, 28], iconAnchor: [14, 28] }),
    });
  }

  function link(url, text) {
    if (!url) {
      var span = document.createElement("span");
      span.textContent = text;
      return span;
    }
    var a = document.createElement("a");
    a.href = url;
    a.textContent = text;
    return a;
  }

  function fit(map, bounds) {
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], maxZoom: 18, animate: false });
  }

  // --- geometry: is a point in a grid (ray casting over [lng, lat] rings) ---
  function inRing(lat, lng, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inGeometry(lat, lng, geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return polygons.some(function (rings) {
      if (!inRing(lat, lng, rings[0])) return false;
      for (var h = 1; h < rings.length; h++) if (inRing(lat, lng, rings[h])) return false;
      return true;
    });
  }
  function gridAt(geojson, lat, lng) {
    var features = (geojson && geojson.features) || [];
    for (var i = 0; i < features.length; i++) {
      if (inGeometry(lat, lng, features[i].geometry)) return features[i];
    }
    return null;
  }

  // --- place: one building ---
  function placeMap(el) {
    var map = makeMap(el);
    var bounds = L.latLngBounds([]);
    var outline = gridOutline(readJSON("grid-geojson"));
    if (outline) {
      outline.addTo(map);
      bounds.extend(outline.getBounds());
    }
    var place = readJSON("place-geojson");
    ((place && place.features) || []).forEach(function (feature) {
      if (feature.geometry.type === "Point") {
        var c = feature.geometry.coordinates;
        pin(c[1], c[0], feature.properties.title).addTo(map).bindTooltip(feature.properties.title);
      } else {
        L.geoJSON(feature, { style: function () { return FOOTPRINT; } }).addTo(map);
      }
    });
    // Close enough to see the footprint; the grid's shading and outline around it say where it lies.
    var points = L.geoJSON(place);
    if (points.getLayers().length) {
      map.fitBounds(points.getBounds().pad(1.5), { maxZoom: 18, animate: false });
    } else {
      fit(map, bounds);
    }
  }

  // --- pick: the building form ---
  function pickMap(el) {
    var map = makeMap(el);
    var grids = readJSON("grid-geojson");
    var outline = gridOutline(grids);
    if (outline) outline.addTo(map);
    var latInput = document.getElementById("b-lat");
    var lngInput = document.getElementById("b-lng");
    var footprintInput = document.getElementById("b-footprint");
    var hint = document.getElementById("b-location-hint");
    var marker = null, footprint = null;

    function say(text, kind) {
      if (!hint) return;
      hint.textContent = text;
      hint.className = "hint" + (kind ? " hint-" + kind : "");
    }
    function describe(lat, lng) {
      var grid = gridAt(grids, lat, lng);
      if (grid) say(el.getAttribute("data-msg-in-grid").replace("%s", grid.properties.name), "ok");
      else say(el.getAttribute("data-msg-outside"), "warn");
    }
    function show(lat, lng) {
      if (!marker) {
        marker = pin(lat, lng, el.getAttribute("data-msg-marker"), true).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          place(p.lat, p.lng);
        });
      } else {
        marker.setLatLng([lat, lng]);
      }
      describe(lat, lng);
    }
    function place(lat, lng) {
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      show(lat, lng);
    }
    function typed() {
      var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
      return isNaN(lat) || isNaN(lng) ? null : [lat, lng];
    }
    function drawFootprint() {
      if (footprint) map.removeLayer(footprint);
      footprint = null;
      if (!footprintInput || !footprintInput.value.trim()) return;
      try {
        footprint = L.geoJSON(JSON.parse(footprintInput.value), { style: function () { return FOOTPRINT; } }).addTo(map);
      } catch (e) {
        footprint = null; // not JSON (yet): the server says what is wrong on saving
      }
    }

    map.on("click", function (e) {
      place(e.latlng.lat, e.latlng.lng);
    });
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("input", function () {
        var p = typed();
        if (p) show(p[0], p[1]);
      });
    });
    if (footprintInput) footprintInput.addEventListener("change", drawFootprint);
    drawFootprint();

    // A stored or refused position keeps its pin, framed in its grid; else all the editor's grids.
    var start = typed();
    if (start) {
      show(start[0], start[1]);
      var grid = gridAt(grids, start[0], start[1]);
      var bounds = grid ? L.geoJSON(grid).getBounds() : outline ? outline.getBounds() : null;
      if (bounds) fit(map, bounds.extend(start));
      else map.setView(start, 17, { animate: false });
    } else if (outline) {
      fit(map, outline.getBounds());
    }
  }

  // --- profile: a grid and its layers ---
  function featureLayer(layer, colour) {
    return L.geoJSON(layer.features, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties || {};
        var alert = (p.state && p.state !== "intact") || p.risk === true;
        return L.circleMarker(latlng, {
          radius: 6,
          color: "#fff",
          weight: 1.5,
          fillColor: alert ? ALERT : colour,
          fillOpacity: 0.95,
        });
      },
      onEachFeature: function (feature, lyr) {
        // A building is one feature, its point and its footprint (a GeometryCollection): the outline is
        // styled here, as Leaflet's `style` option would restyle the point's marker along with it.
        outlined(lyr, { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.2 });
        var p = feature.properties || {};
        if (!p.title) return;
        lyr.bindTooltip(p.title);
        lyr.bindPopup(link(p.url, p.title));
      },
    });
  }

  function outlined(lyr, style) {
    if (lyr instanceof L.CircleMarker) return;
    if (lyr.eachLayer) lyr.eachLayer(function (child) { outlined(child, style); });
    else if (lyr.setStyle) lyr.setStyle(style);
  }

  function escaped(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function profileMap(el) {
    var map = makeMap(el);
    var outline = gridOutline(readJSON("grid-geojson"));
    var overlays = {};
    if (outline) {
      outline.addTo(map);
      overlays['<span class="places-swatch places-swatch-grid" aria-hidden="true"></span> ' + escaped(el.getAttribute("data-msg-boundary") || "")] = outline;
    }
    (readJSON("profile-layers") || []).forEach(function (layer, i) {
      var colour = LAYER_COLOURS[i % LAYER_COLOURS.length];
      var group = featureLayer(layer, colour).addTo(map);
      // Leaflet writes a control's labels as HTML: the label is escaped, its swatch drawn by places.css.
      var label = '<span class="places-swatch places-swatch-' + i + '" aria-hidden="true"></span> ' + escaped(layer.label) + " (" + layer.features.length + ")";
      overlays[label] = group;
    });
    // On a phone the open list would hide the map: there it opens from its button.
    var narrow = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
    var control = L.control.layers(null, overlays, { collapsed: narrow, position: "topright" }).addTo(map);
    // Leaflet names its button "Layers" in English: the page gives the word in its language.
    var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle && el.getAttribute("data-msg-layers")) {
      toggle.title = el.getAttribute("data-msg-layers");
      toggle.setAttribute("aria-label", el.getAttribute("data-msg-layers"));
    }
    if (outline) fit(map, outline.getBounds());
  }

  var MODES = { place: placeMap, pick: pickMap, profile: profileMap };
  document.querySelectorAll("[data-places-map]").forEach(function (el) {
    var mode = MODES[el.getAttribute("data-places-map")];
    if (mode) mode(el);
  });
})();
