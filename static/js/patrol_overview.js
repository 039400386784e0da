// The patrol overview's map (templates/patrols/overview.html): each grid shaded by the share of its area
// patrolled this week. The colours and the tooltips come with the page (json_script "coverage-geojson"), so
// the legend under the map, drawn by the server, shows exactly these colours; the map starts from
// static/js/maps.js (window.GridMaps.makeMap: its base layers, or none, and the hatched fallback).
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  var el = document.querySelector("[data-patrol-map]");
  var source = document.getElementById("coverage-geojson");
  if (!el || !source || !window.GridMaps) return;
  var data = JSON.parse(source.textContent);
  if (!data.features.length) return;
  var map = window.GridMaps.makeMap(el);
  var layer = L.geoJSON(data, {
    style: function (feature) {
      return { color: "#0b4f8a", weight: 1.5, fillColor: feature.properties.colour, fillOpacity: 0.75 };
    },
    onEachFeature: function (feature, lyr) {
      lyr.bindTooltip(feature.properties.label, { sticky: true });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [12, 12], maxZoom: 17, animate: false });
})();
