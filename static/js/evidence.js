// The on-site proof of a step (templates/cases/_evidence_fields.html): the device's position and accuracy
// (high accuracy) go into the hidden position fields, and the page says how far that is from the case,
// computed here from the case's lat/lng (data attributes); the first chosen photo's File.lastModified goes
// into taken_at (epoch milliseconds). The server judges all of it again: this only shows what will be sent.
(function () {
  "use strict";
  var EARTH_M = 6371008.8;

  function metres(lat1, lng1, lat2, lng2) {
    var rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad;
    var dLng = (lng2 - lng1) * rad;
    var a =
      Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  // One reading of the device serves every form of the page (the verification queue has one per case).
  var boxes = [];

  function setUp(box) {
    var form = box.closest("form");
    var status = box.querySelector("[data-evidence-status]");
    var retry = box.querySelector("[data-evidence-retry]");
    var field = function (name) {
      return box.querySelector("input[name=" + name + "]");
    };
    var caseLat = parseFloat(box.getAttribute("data-case-lat"));
    var caseLng = parseFloat(box.getAttribute("data-case-lng"));
    var radius = parseFloat(box.getAttribute("data-radius")) || 100;
    var msg = function (name) {
      return box.getAttribute("data-msg-" + name) || "";
    };

    function say(text, kind) {
      status.textContent = text;
      status.className = "hint" + (kind ? " hint-" + kind : "");
    }

    var view = {
      waiting: function () {
        retry.hidden = true;
        say(msg("locating"), "");
      },
      unsupported: function () {
        say(msg("unsupported") + " " + msg("missing"), "warn");
      },
      found: function (c) {
        field("lat").value = c.latitude.toFixed(7);
        field("lng").value = c.longitude.toFixed(7);
        field("accuracy").value = (c.accuracy || 0).toFixed(1);
        var distance = Math.round(metres(c.latitude, c.longitude, caseLat, caseLng));
        var accuracy = Math.round(c.accuracy || 0);
        var near = distance <= radius && accuracy <= radius;
        say(fill(msg("found"), { distance: distance, accuracy: accuracy }), near ? "ok" : "warn");
        if (!near) {
          status.appendChild(document.createElement("br"));
          status.appendChild(document.createTextNode(fill(msg("far"), { radius: Math.round(radius) })));
        }
        box.setAttribute("data-distance", String(distance));
        retry.hidden = false;
      },
      missing: function () {
        field("lat").value = "";
        field("lng").value = "";
        field("accuracy").value = "";
        say(msg("missing"), "warn");
        box.removeAttribute("data-distance");
        retry.hidden = false;
      },
    };
    retry.addEventListener("click", locate);
    var photos = form && form.querySelector("[data-evidence-photos]");
    if (photos) {
      photos.addEventListener("change", function () {
        var first = photos.files && photos.files[0];
        field("taken_at").value = first && first.lastModified ? String(first.lastModified) : "";
      });
    }
    boxes.push(view);
  }

  function each(name, arg) {
    for (var i = 0; i < boxes.length; i++) boxes[i][name](arg);
  }

  function locate() {
    if (!navigator.geolocation) {
      each("unsupported");
      return;
    }
    each("waiting");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        each("found", pos.coords);
      },
      function () {
        each("missing");
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  }

  var found = document.querySelectorAll("[data-evidence-position]");
  for (var i = 0; i < found.length; i++) setUp(found[i]);
  if (boxes.length) locate();
})();
