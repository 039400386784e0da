// The public forms' proof of work (public.guard): before a form with data-pow="<challenge URL>" is sent, fetch
// a signed challenge {challenge, bits}, find a nonce such that SHA-256("<challenge>:<nonce>") starts with
// `bits` zero bits, put both into the form's pow_challenge / pow_nonce fields, then send the form.
// crypto.subtle does the hashing where the browser has it; on an http:// intranet host it has not (it exists
// only in secure contexts), so a small SHA-256 of our own below does the same work.
// Forms sent by fetch call window.gmPow.solve(form), which returns a Promise of {challenge, nonce}; `form`
// may also be any element holding the fields and a data-pow attribute (a box inside another form).
// The words the form shows meanwhile: data-pow-checking and data-pow-failed on the form, else the defaults.
(function () {
  "use strict";
  if (window.gmPow) return; // loaded twice on one page (two forms' templates): one listener is enough

  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var WORDS = {
    checking: zh ? "正在进行防垃圾信息检查…" : "Checking before sending…",
    failed: zh ? "防垃圾信息检查未能完成：请检查网络后再发送。" : "The anti-spam check could not finish: check your connection and send again.",
  };

  // --- SHA-256 (FIPS 180-4) on bytes, for browsers without crypto.subtle ---
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ];
  var W = new Int32Array(64);
  function sha256(bytes) {
    var length = bytes.length;
    var padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
    padded.set(bytes);
    padded[length] = 0x80;
    var bitsHigh = Math.floor(length / 0x20000000), bitsLow = (length << 3) >>> 0;
    var end = padded.length;
    padded[end - 8] = bitsHigh >>> 24;
    padded[end - 7] = bitsHigh >>> 16;
    padded[end - 6] = bitsHigh >>> 8;
    padded[end - 5] = bitsHigh;
    padded[end - 4] = bitsLow >>> 24;
    padded[end - 3] = bitsLow >>> 16;
    padded[end - 2] = bitsLow >>> 8;
    padded[end - 1] = bitsLow;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var offset = 0; offset < end; offset += 64) {
      for (var i = 0; i < 16; i++) {
        var j = offset + i * 4;
        W[i] = (padded[j] << 24) | (padded[j + 1] << 16) | (padded[j + 2] << 8) | padded[j + 3];
      }
      for (i = 16; i < 64; i++) {
        var w15 = W[i - 15], w2 = W[i - 2];
        var s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
        var s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0;
      h1 = (h1 + b) | 0;
      h2 = (h2 + c) | 0;
      h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0;
      h5 = (h5 + f) | 0;
      h6 = (h6 + g) | 0;
      h7 = (h7 + h) | 0;
    }
    var out = new Uint8Array(32);
    [h0, h1, h2, h3, h4, h5, h6, h7].forEach(function (word, k) {
      out[k * 4] = word >>> 24;
      out[k * 4 + 1] = (word >>> 16) & 255;
      out[k * 4 + 2] = (word >>> 8) & 255;
      out[k * 4 + 3] = word & 255;
    });
    return out;
  }

  function utf8(text) {
    if (window.TextEncoder) return new TextEncoder().encode(text);
    var s = unescape(encodeURIComponent(text)), bytes = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return bytes;
  }

  function leadingZeroBits(digest) {
    var bits = 0;
    for (var i = 0; i < digest.length; i++) {
      var byte = digest[i];
      if (byte === 0) {
        bits += 8;
        continue;
      }
      for (var mask = 0x80; !(byte & mask); mask >>= 1) bits++;
      return bits;
    }
    return bits;
  }

  var subtle = window.crypto && window.crypto.subtle && window.isSecureContext !== false ? window.crypto.subtle : null;
  var BATCH = 256; // hashes per round: crypto.subtle in parallel, our own between yields to the page

  function findWithSubtle(challenge, bits, start) {
    var jobs = [];
    for (var n = start; n < start + BATCH; n++) {
      jobs.push(subtle.digest("SHA-256", utf8(challenge + ":" + n)));
    }
    return Promise.all(jobs).then(function (digests) {
      for (var k = 0; k < digests.length; k++) {
        if (leadingZeroBits(new Uint8Array(digests[k])) >= bits) return String(start + k);
      }
      return findWithSubtle(challenge, bits, start + BATCH);
    });
  }

  function findWithOwn(challenge, bits) {
    return new Promise(function (resolve) {
      var n = 0;
      (function round() {
        for (var stop = n + BATCH * 8; n < stop; n++) {
          if (leadingZeroBits(sha256(utf8(challenge + ":" + n))) >= bits) {
            resolve(String(n));
            return;
          }
        }
        setTimeout(round, 0); // keep the page responsive between rounds
      })();
    });
  }

  function find(challenge, bits) {
    if (subtle) {
      return findWithSubtle(challenge, bits, 0).catch(function () {
        return findWithOwn(challenge, bits);
      });
    }
    return findWithOwn(challenge, bits);
  }

  // The form's own field: form.elements, not querySelector, which would also find a field of another form
  // placed inside this one by a script. (A box that is not a form, sent by fetch: its inputs.)
  function field(form, name) {
    var input = form.elements ? form.elements.namedItem(name) : form.querySelector('input[name="' + name + '"]');
    if (input && !input.tagName && input.length) input = input[0];
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    return input;
  }

  // Fetch a challenge for `form` (its data-pow URL), solve it, fill the form's fields.
  function solve(form) {
    var url = form.getAttribute("data-pow");
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("challenge " + response.status);
        return response.json();
      })
      .then(function (issued) {
        return find(issued.challenge, issued.bits).then(function (nonce) {
          field(form, "pow_challenge").value = issued.challenge;
          field(form, "pow_nonce").value = nonce;
          return { challenge: issued.challenge, nonce: nonce };
        });
      });
  }

  function statusFor(form) {
    var node = form.querySelector("[data-pow-status]");
    if (!node) {
      node = document.createElement("p");
      node.className = "pow-status small muted";
      node.setAttribute("data-pow-status", "");
      node.setAttribute("role", "status");
      var button = form.querySelector('[type="submit"]');
      if (button && button.parentNode) button.parentNode.insertBefore(node, button.nextSibling);
      else form.appendChild(node);
    }
    return node;
  }

  function buttons(form, disabled) {
    form.querySelectorAll('button[type="submit"], input[type="submit"], button:not([type])').forEach(function (b) {
      b.disabled = disabled;
    });
  }

  var passing = null; // the form being sent after its proof: its own submit event goes through
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-pow") || form.hasAttribute("data-pow-fetch")) return;
    if (passing === form) {
      passing = null;
      return;
    }
    if (event.defaultPrevented) return; // another script (a check of its own) stopped it
    event.preventDefault();
    var submitter = event.submitter || null;
    var status = statusFor(form);
    status.textContent = form.getAttribute("data-pow-checking") || WORDS.checking;
    status.classList.remove("hint-warn");
    buttons(form, true);
    solve(form).then(
      function () {
        status.textContent = "";
        buttons(form, false);
        passing = form;
        if (form.requestSubmit) {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          passing = null;
          HTMLFormElement.prototype.submit.call(form);
        }
      },
      function () {
        buttons(form, false);
        status.textContent = form.getAttribute("data-pow-failed") || WORDS.failed;
        status.classList.add("hint-warn");
      }
    );
  });

  window.gmPow = { solve: solve, sha256: sha256, leadingZeroBits: leadingZeroBits };
})();
