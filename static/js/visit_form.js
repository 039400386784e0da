// The visit form's "use my position" button (templates/patrols/visit_form.html): the phone's position and its
// accuracy go into the latitude, longitude and accuracy fields, which stay editable; without geolocation the
// button stays hidden and the fields may be left empty (the visit is then "no position given").
(function () {
  "use strict";
  var group = document.querySelector("[data-visit-position]");
  var button = document.getElementById("v-locate");
  if (!group || !button || !navigator.geolocation) return;
  var status = document.getElementById("v-locate-status");
  function say(text) {
    if (status) status.textContent = text || "";
  }
  function put(id, value) {
    var input = document.getElementById(id);
    if (input) input.value = value;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say(group.getAttribute("data-msg-locating"));
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        button.disabled = false;
        put("v-lat", pos.coords.latitude.toFixed(6));
        put("v-lng", pos.coords.longitude.toFixed(6));
        put("v-accuracy", pos.coords.accuracy ? Math.round(pos.coords.accuracy) : "");
        say(group.getAttribute("data-msg-found"));
      },
      function () {
        button.disabled = false;
        say(group.getAttribute("data-msg-error"));
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  });
})();
