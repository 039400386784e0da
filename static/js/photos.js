// The photo viewer of case pages: a thumbnail link ([data-photo] inside a [data-photo-gallery]) opens its
// full-size photo in the page's <dialog class="photo-viewer"> (templates/cases/_photo_viewer.html), with its
// caption; the arrow keys, the ‹ › buttons and a sideways swipe step through the gallery's photos, Escape,
// the ✕ button or a click beside the photo close it and focus returns to the thumbnail. Without JS the
// link opens the photo itself.
(function () {
  "use strict";
  var dialog = document.querySelector("dialog.photo-viewer");
  if (!dialog || typeof dialog.showModal !== "function") return; // the links keep working as links
  var stage = dialog.querySelector(".photo-viewer-stage");
  var img = dialog.querySelector("img");
  var caption = dialog.querySelector("figcaption");
  var count = dialog.querySelector(".photo-viewer-count");
  var steps = dialog.querySelectorAll("[data-viewer-step]");
  var links = [];
  var index = 0;
  var opener = null;
  var SWIPE = 40; // px sideways, more than up or down, makes a swipe

  function show(i) {
    index = (i + links.length) % links.length;
    var link = links[index];
    var thumb = link.querySelector("img");
    img.src = link.href;
    img.alt = thumb ? thumb.alt : "";
    caption.textContent = link.getAttribute("data-caption") || "";
    count.textContent = dialog
      .getAttribute("data-count-template")
      .replace("{n}", String(index + 1))
      .replace("{total}", String(links.length));
    count.hidden = links.length < 2;
    steps.forEach(function (b) {
      b.hidden = links.length < 2;
    });
    if (links.length > 1) new Image().src = links[(index + 1) % links.length].href; // the next one ready
  }
  function step(by) {
    if (dialog.open && links.length > 1) show(index + by);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-photo]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab, as asked
    var gallery = link.closest("[data-photo-gallery]");
    if (!gallery) return;
    event.preventDefault();
    links = Array.prototype.slice.call(gallery.querySelectorAll("a[data-photo]"));
    opener = link;
    show(links.indexOf(link));
    dialog.showModal();
    dialog.querySelector("[data-viewer-close]").focus();
  });

  dialog.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (button && button.hasAttribute("data-viewer-close")) dialog.close();
    else if (button && button.hasAttribute("data-viewer-step")) step(parseInt(button.getAttribute("data-viewer-step"), 10));
    else if (event.target === dialog || event.target === stage) dialog.close(); // beside the photo
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowLeft") step(-1);
    else return;
    event.preventDefault();
  });
  // Escape closes a modal <dialog> by itself; focus goes back to the thumbnail that opened it.
  dialog.addEventListener("close", function () {
    img.removeAttribute("src");
    if (opener) opener.focus();
    opener = null;
  });

  // A sideways swipe on the photo: pointer events where the browser has them (touch, pen and mouse alike),
  // touch events otherwise; the photo's touch-action (app.css) leaves vertical panning and zoom to the page.
  var start = null;
  function begin(x, y) {
    start = { x: x, y: y };
  }
  function end(x, y) {
    if (!start) return;
    var dx = x - start.x;
    var dy = y - start.y;
    start = null;
    if (Math.abs(dx) >= SWIPE && Math.abs(dx) > Math.abs(dy)) step(dx < 0 ? 1 : -1);
  }
  if (window.PointerEvent) {
    stage.addEventListener("pointerdown", function (e) {
      if (e.isPrimary) begin(e.clientX, e.clientY);
    });
    stage.addEventListener("pointerup", function (e) {
      if (e.isPrimary) end(e.clientX, e.clientY);
    });
    stage.addEventListener("pointercancel", function () {
      start = null;
    });
  } else {
    stage.addEventListener("touchstart", function (e) {
      if (e.touches.length === 1) begin(e.touches[0].clientX, e.touches[0].clientY);
    });
    stage.addEventListener("touchend", function (e) {
      var t = e.changedTouches[0];
      if (t) end(t.clientX, t.clientY);
    });
  }
  // A mouse drag on the image would start dragging the picture itself instead of a swipe.
  img.addEventListener("dragstart", function (e) {
    e.preventDefault();
  });
})();
