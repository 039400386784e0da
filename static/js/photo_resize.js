// Photos made smaller in the browser before a public form sends them: every <input type="file" data-resize>
// gets its chosen images redrawn on a canvas to a long side of at most 1600 px, as JPEG, and the input's
// files replaced with them (DataTransfer). A phone's 5 MB photo becomes a few hundred KB, and the camera's
// location data stays on the phone. Whatever cannot be redrawn (a GIF, an old browser, a file the browser
// cannot decode) is sent as chosen; the server checks every file all the same.
// data-max-files="3" keeps the first three; the status line (aria-describedby's "…-status") says so.
(function () {
  "use strict";
  var LONG_SIDE = 1600;
  var QUALITY = 0.85;
  var SMALL_ENOUGH = 1.5 * 1024 * 1024; // a JPEG within the size and this weight is sent untouched
  var wordsNode = document.getElementById("report-words");
  var W = wordsNode ? JSON.parse(wordsNode.textContent) : {};
  var canReplace = typeof DataTransfer === "function" && typeof HTMLCanvasElement !== "undefined";

  function say(template, n) {
    return String(template || "").replace(/\{n\}/g, n);
  }

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        resolve(img);
        URL.revokeObjectURL(url);
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("decode"));
      };
      img.src = url;
    });
  }

  // The file as a JPEG of at most LONG_SIDE px, or the file itself when that is not possible or not needed.
  function shrink(file) {
    if (!/^image\/(jpeg|png|webp|heic|heif)$/i.test(file.type || "")) return Promise.resolve(file);
    return decode(file)
      .then(function (image) {
        var width = image.width, height = image.height;
        if (!width || !height) return file;
        var scale = Math.min(1, LONG_SIDE / Math.max(width, height));
        if (scale === 1 && file.type === "image/jpeg" && file.size <= SMALL_ENOUGH) return file;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff"; // a transparent PNG's background, as JPEG has none
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        if (image.close) image.close();
        return new Promise(function (resolve) {
          canvas.toBlob(
            function (blob) {
              if (!blob || (blob.size >= file.size && scale === 1)) {
                resolve(file);
                return;
              }
              var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
              resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified || Date.now() }));
            },
            "image/jpeg",
            QUALITY
          );
        });
      })
      .catch(function () {
        return file;
      });
  }

  function statusOf(input) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      if (/status$/.test(ids[i])) return document.getElementById(ids[i]);
    }
    return null;
  }

  function handle(input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var max = parseInt(input.getAttribute("data-max-files"), 10) || files.length;
    var status = statusOf(input);
    var notes = [];
    if (files.length > max) {
      files = files.slice(0, max);
      notes.push(say(W.photosTooMany, max));
    }
    if (!canReplace) {
      if (status) status.textContent = notes.join(" ");
      return;
    }
    input.setAttribute("aria-busy", "true");
    Promise.all(files.map(shrink)).then(function (done) {
      var transfer = new DataTransfer();
      done.forEach(function (file) {
        transfer.items.add(file);
      });
      try {
        input.files = transfer.files;
      } catch (e) {
        /* a browser that will not take them: the chosen files go as they are */
      }
      input.removeAttribute("aria-busy");
      notes.unshift(say(W.photosKept, input.files.length));
      if (status) status.textContent = notes.join(" ");
    });
  }

  document.querySelectorAll('input[type="file"][data-resize]').forEach(function (input) {
    input.addEventListener("change", function () {
      handle(input);
    });
  });
})();
