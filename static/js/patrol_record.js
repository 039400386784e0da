// The recording page of a running patrol (templates/patrols/patrol_record.html): the browser's position
// (watchPosition, high accuracy, the accuracy kept with each point) is buffered on the phone and sent in
// batches to the REST API (POST /api/v1/patrols/<id>/points/, session cookie + X-CSRFToken from the page).
//
// Nothing is lost and nothing is counted twice:
// - every point is written to localStorage (one key per patrol) the moment it is recorded;
// - a batch gets its client key (a random UUID) and is stored in the outbox WITH that key before it is
//   sent, so a resend (after a reload, a lost connection, a lost answer) carries the same key, and the
//   server adds a batch it has seen before nothing;
// - a batch leaves the outbox only once the server has answered for it;
// - on load the outbox is sent first; "End patrol" sends what is left, then ends the patrol. An end that
//   cannot reach the server is remembered and tried again (after a reload as well).
(function () {
  "use strict";
  var root = document.getElementById("patrol-recorder");
  if (!root) return;

  var data = root.dataset;
  var KEY = "gridmgmt.patrol." + data.patrol;
  var EVERY = parseInt(data.sendEvery, 10) || 10000;
  var MAX_BATCH = 500; // the API takes up to 1,000 points a batch; smaller batches retry cheaply
  var TRACK_LIMIT = 20000; // points drawn on the small map (a long patrol keeps every point in the outbox)

  var el = {
    status: document.getElementById("patrol-status"),
    net: document.getElementById("patrol-net"),
    elapsed: document.getElementById("patrol-elapsed"),
    recorded: document.getElementById("patrol-recorded"),
    waiting: document.getElementById("patrol-waiting"),
    accuracy: document.getElementById("patrol-accuracy"),
    end: document.getElementById("patrol-end"),
    map: root.querySelector("[data-patrol-map=record]"),
  };

  // --- the phone's store: { fresh: points not yet in a batch, outbox: [{key, points}], track, recorded } ---
  var storage = (function () {
    try {
      window.localStorage.setItem(KEY + ".probe", "1");
      window.localStorage.removeItem(KEY + ".probe");
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();
  function load() {
    if (!storage) return null;
    try {
      return JSON.parse(storage.getItem(KEY) || "null");
    } catch (e) {
      return null;
    }
  }
  var state = load() || { fresh: [], outbox: [], track: [], recorded: 0, ending: false };
  function save() {
    if (!storage) return;
    try {
      storage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      // The store is full: the points stay in this page's memory and are still sent.
    }
  }

  var sentCount = parseInt(data.sent, 10) || 0; // points the server holds, as it last said
  var refusal = "";

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  // --- what the page shows ---
  function waiting() {
    return state.outbox.reduce(function (n, b) {
      return n + b.points.length;
    }, state.fresh.length);
  }
  function say(text, kind) {
    el.status.textContent = text;
    el.status.className = "hint" + (kind ? " hint-" + kind : "");
  }
  function online(yes) {
    el.net.textContent = yes ? el.net.getAttribute("data-online") : el.net.getAttribute("data-offline");
    el.net.classList.toggle("patrol-offline", !yes);
  }
  function render() {
    var w = waiting();
    el.waiting.textContent = String(w);
    el.recorded.textContent = String(Math.max(state.recorded, sentCount + w));
  }
  function tickClock() {
    var started = Date.parse(data.started);
    var s = Math.max(0, Math.floor((Date.now() - started) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    el.elapsed.textContent = h + ":" + (m < 10 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
  }

  // --- the map: the grids, the track so far, where one is now ---
  var map = null, outline = null, line = null, here = null, halo = null;
  if (el.map && window.GridMaps && window.PatrolMaps) {
    map = window.GridMaps.makeMap(el.map);
    outline = window.PatrolMaps.grids(map, window.PatrolMaps.readJSON("grid-geojson"));
    line = L.polyline(state.track, window.PatrolMaps.TRACK).addTo(map);
    window.PatrolMaps.fit(map, [outline, line]);
  }
  function drawHere(lat, lng, accuracy) {
    if (!map) return;
    line.addLatLng([lat, lng]);
    var colours = window.PatrolMaps.HERE;
    if (!here) {
      halo = L.circle([lat, lng], { radius: accuracy, color: colours.color, weight: 1, fillColor: colours.fill, fillOpacity: 0.15 }).addTo(map);
      here = L.circleMarker([lat, lng], { radius: 7, color: "#fff", weight: 2, fillColor: colours.fill, fillOpacity: 1 }).addTo(map);
      // Frame the spot with the grids around it (never the bare dot, which would say nothing of where it is).
      var bounds = outline ? outline.getBounds() : L.latLngBounds([[lat, lng]]);
      bounds.extend([lat, lng]);
      map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17, animate: false });
    } else {
      here.setLatLng([lat, lng]);
      halo.setLatLng([lat, lng]).setRadius(accuracy);
      if (!map.getBounds().contains([lat, lng])) map.panTo([lat, lng], { animate: false });
    }
  }

  // --- recording ---
  var watchId = null;
  function record(pos) {
    var c = pos.coords;
    var point = {
      lat: Math.round(c.latitude * 1e7) / 1e7,
      lng: Math.round(c.longitude * 1e7) / 1e7,
      accuracy: Math.min(Math.round((c.accuracy || 0) * 10) / 10, 100000),
      recorded_at: new Date(pos.timestamp || Date.now()).toISOString(),
    };
    // The same fix told again (a watch restarted after a reload hands out the last one it had) is no new point.
    var last = state.last;
    if (last && last.recorded_at === point.recorded_at && last.lat === point.lat && last.lng === point.lng) return;
    state.last = point;
    state.fresh.push(point);
    state.recorded += 1;
    state.track.push([point.lat, point.lng]);
    if (state.track.length > TRACK_LIMIT) state.track.splice(0, state.track.length - TRACK_LIMIT);
    save(); // on the phone before anything else: a reload now loses nothing
    el.accuracy.textContent = String(Math.round(point.accuracy));
    if (!refusal) say(data.msgRecording, "ok");
    drawHere(point.lat, point.lng, point.accuracy);
    render();
  }
  function refused(err) {
    if (err && err.code === 1) say(data.msgDenied, "warn"); // PERMISSION_DENIED
    else say(data.msgUnavailable, "warn");
  }
  function watch() {
    if (!navigator.geolocation) {
      say(data.msgNoGeo, "warn");
      return;
    }
    say(data.msgLocating, "");
    watchId = navigator.geolocation.watchPosition(record, refused, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
  }

  // --- sending ---
  function cut() {
    // The fresh points become batches, each with its key, stored before any of them is sent.
    while (state.fresh.length) {
      state.outbox.push({ key: newKey(), points: state.fresh.splice(0, MAX_BATCH) });
    }
    save();
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": data.csrf },
      body: body === null ? "" : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (json) {
          return { status: response.status, ok: response.ok, body: json };
        },
        function () {
          return { status: response.status, ok: response.ok, body: null };
        }
      );
    });
  }
  function errorText(answer) {
    return (answer.body && answer.body.error && answer.body.error.message) || String(answer.status);
  }

  var sending = null;
  // Send the outbox in order, one batch at a time; resolves true once it is empty, false if it must wait.
  function flush() {
    if (sending) return sending;
    sending = (function next() {
      if (!state.outbox.length) return Promise.resolve(true);
      var batch = state.outbox[0];
      return post(data.pointsUrl, { batch: batch.key, points: batch.points }).then(
        function (answer) {
          online(true);
          if (answer.ok) {
            state.outbox.shift(); // 201 added, or 200: the server had this batch already
            if (answer.body && typeof answer.body.point_count === "number") sentCount = answer.body.point_count;
            save();
            render();
            return next();
          }
          if (answer.status === 400 || answer.status === 409) {
            // Refused for what it holds or a closed record: sending it again would be refused again.
            refusal = data.msgRefused + " " + errorText(answer);
            say(refusal, "warn");
            state.outbox.shift();
            save();
            render();
            return next();
          }
          // Logged out, a server error: keep the batch and try again later.
          say(data.msgRefused + " " + errorText(answer), "warn");
          return false;
        },
        function () {
          online(false);
          return false;
        }
      );
    })().then(function (done) {
      sending = null;
      return done;
    });
    return sending;
  }

  // --- ending ---
  function endNow() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    state.ending = true;
    cut();
    el.end.disabled = true;
    say(data.msgEnding, "");
    flush().then(function (empty) {
      if (!empty) {
        say(data.msgEndWaiting, "warn");
        setTimeout(endNow, EVERY);
        return;
      }
      post(data.endUrl, null).then(
        function (answer) {
          if (answer.ok) {
            if (storage) storage.removeItem(KEY);
            window.location.assign(data.detailUrl);
            return;
          }
          say(data.msgRefused + " " + errorText(answer), "warn");
          el.end.disabled = false;
        },
        function () {
          online(false);
          say(data.msgEndWaiting, "warn");
          setTimeout(endNow, EVERY);
        }
      );
    });
  }

  // --- start ---
  if (!storage) say(data.msgNoStorage, "warn");
  online(navigator.onLine !== false);
  render();
  tickClock();
  setInterval(tickClock, 1000);
  el.end.addEventListener("click", endNow);
  if (state.ending) {
    endNow(); // the page was reloaded while ending: finish it
    return;
  }
  watch();
  cut(); // points recorded before a reload go out now, with the batches left unsent
  flush();
  setInterval(function () {
    cut();
    flush();
  }, EVERY);
  window.addEventListener("online", function () {
    online(true);
    flush();
  });
  window.addEventListener("offline", function () {
    online(false);
  });
  document.addEventListener("visibilitychange", function () {
    // The phone is locked or the page left: send what is there while the page may still run.
    if (document.visibilityState === "hidden") {
      cut();
      flush();
    }
  });
})();
