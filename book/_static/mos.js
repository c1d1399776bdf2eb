/* The book's mean-opinion-score test (book/mos.md): the protocol of Ledig et al. 2017, Sec. 3.3, in the browser.
 *
 * Plain JavaScript, no framework, nothing fetched but the page's own manifest and crops, nothing sent anywhere.
 * The manifest (book/_static/mos/manifest.json, written by scripts/make_mos_crops.py) lists the crops; the page:
 *   1. calibration: nearest neighbour (score 1) and the original HR (score 5) of two images;
 *   2. every crop alone, at a fixed size, in a random order (seeded shuffle kept with the session), method
 *      hidden, rated 1 (bad) to 5 (excellent) with buttons or keys 1-5;
 *   3. results: per method the reader's count, mean and 95% confidence interval next to the paper's MOS
 *      (Tables 1 and 2), and the distribution of the ratings per method (like the paper's Fig. 5).
 * The session lives in localStorage (a reload resumes), can be downloaded as CSV and started over.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "srgan-lite-mos-v1";
  var DISPLAY_PX = 384; // CSS pixels of every crop on screen (the crops are 128 x 128 HR pixels)
  var SCORE_LABELS = { 1: "bad", 2: "poor", 3: "fair", 4: "good", 5: "excellent" };
  // The paper's MOS at 4x (Ledig et al. 2017): Table 2 (SRGAN = SRGAN-VGG54) and, for SRGAN-MSE, Table 1.
  // The same numbers as book/09_evaluation.ipynb's PAPER_TABLE2 / PAPER_TABLE1_SRGAN_MSE.
  var PAPER_MOS = {
    nearest: { Set5: 1.28, Set14: 1.20, source: "Table 2" },
    bicubic: { Set5: 1.97, Set14: 1.80, source: "Table 2" },
    SRCNN: { Set5: 2.57, Set14: 2.26, source: "Table 2" },
    SelfExSR: { Set5: 2.65, Set14: 2.34, source: "Table 2" },
    DRCN: { Set5: 3.26, Set14: 2.84, source: "Table 2" },
    ESPCN: { Set5: 2.89, Set14: 2.52, source: "Table 2" },
    SRResNet: { Set5: 3.37, Set14: 2.98, source: "Table 2" },
    "SRGAN-MSE": { Set5: 3.77, Set14: 3.43, source: "Table 1" },
    SRGAN: { Set5: 3.58, Set14: 3.72, source: "Table 2 (SRGAN-VGG54)" },
    HR: { Set5: 4.32, Set14: 4.32, source: "Table 2" }
  };
  var PAPER_ONLY = ["SRCNN", "SelfExSR", "DRCN", "ESPCN"]; // rated by the paper's raters, not shipped here
  // Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
  var T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
    2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];

  // ------------------------------------------------------------------ small helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg(tag, attrs, children) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, String(attrs[key]));
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function mulberry32(seed) { // a small seeded PRNG: the same seed gives the same order
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function shuffled(items, seed) { // Fisher-Yates with the seeded PRNG
    var random = mulberry32(seed), out = items.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1)), tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  function newSeed() {
    if (window.crypto && window.crypto.getRandomValues) return window.crypto.getRandomValues(new Uint32Array(1))[0];
    return Math.floor(Math.random() * 4294967296);
  }

  function tQuantile(df) { // 97.5% quantile of Student's t (a Cornish-Fisher expansion beyond the table)
    if (df <= T975.length) return T975[df - 1];
    var z = 1.959964;
    return z + (z * z * z + z) / (4 * df) + (5 * Math.pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * df * df);
  }

  function stats(scores) {
    var n = scores.length;
    if (!n) return { n: 0 };
    var mean = scores.reduce(function (s, x) { return s + x; }, 0) / n;
    if (n < 2) return { n: n, mean: mean };
    var variance = scores.reduce(function (s, x) { return s + (x - mean) * (x - mean); }, 0) / (n - 1);
    var sd = Math.sqrt(variance), half = tQuantile(n - 1) * sd / Math.sqrt(n);
    // The interval is clipped to the scale: no rating lies outside 1..5, so neither does a mean.
    return { n: n, mean: mean, sd: sd, low: Math.max(1, mean - half), high: Math.min(5, mean + half) };
  }

  function fixed(x) { return (Math.round(x * 100) / 100).toFixed(2); }

  function csvField(value) {
    var text = String(value === null || value === undefined ? "" : value);
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // ------------------------------------------------------------------ storage (memory when localStorage is off)
  var memory = {};
  var storage = {
    ok: (function () {
      try {
        var probe = STORAGE_KEY + "-probe";
        window.localStorage.setItem(probe, "1");
        window.localStorage.removeItem(probe);
        return true;
      } catch (error) {
        return false;
      }
    })(),
    get: function () {
      var text = this.ok ? window.localStorage.getItem(STORAGE_KEY) : memory[STORAGE_KEY];
      if (!text) return null;
      try { return JSON.parse(text); } catch (error) { return null; }
    },
    set: function (value) {
      var text = JSON.stringify(value);
      if (this.ok) {
        try { window.localStorage.setItem(STORAGE_KEY, text); return; } catch (error) { this.ok = false; }
      }
      memory[STORAGE_KEY] = text;
    },
    clear: function () {
      if (this.ok) window.localStorage.removeItem(STORAGE_KEY);
      delete memory[STORAGE_KEY];
    }
  };

  // ------------------------------------------------------------------ the app
  function MosApp(root, manifest, manifestUrl) {
    this.root = root;
    this.manifest = manifest;
    this.base = manifestUrl;
    this.crops = {};
    this.methods = {};
    var self = this;
    manifest.crops.forEach(function (crop) { self.crops[crop.id] = crop; });
    manifest.methods.forEach(function (m) { self.methods[m.method] = m; });
    this.key = manifest.crops.map(function (c) { return c.id; }).sort().join(",");
    this.notice = "";
    this.session = this.load();
    this.onKey = this.onKey.bind(this);
    document.addEventListener("keydown", this.onKey);
    this.render();
  }

  MosApp.prototype.url = function (file) { return new URL(file, this.base).href; };

  MosApp.prototype.fresh = function () {
    var seed = newSeed();
    return {
      version: 1, manifest: this.key, seed: seed, created: new Date().toISOString(), calibrated: false,
      order: shuffled(this.manifest.crops.map(function (c) { return c.id; }), seed), ratings: []
    };
  };

  MosApp.prototype.load = function () {
    var session = storage.get();
    if (session && session.version === 1 && session.manifest === this.key && Array.isArray(session.order) &&
        Array.isArray(session.ratings)) {
      return session;
    }
    if (session && session.ratings && session.ratings.length) {
      this.notice = "The crops have changed since your last visit (the script that makes them was rerun), so the " +
        "test starts over. Your earlier " + session.ratings.length + " ratings were discarded.";
    }
    session = this.fresh();
    storage.set(session);
    return session;
  };

  MosApp.prototype.save = function () { storage.set(this.session); };

  MosApp.prototype.view = function () {
    if (!this.session.calibrated) return "calibration";
    return this.session.ratings.length < this.session.order.length ? "rating" : "results";
  };

  MosApp.prototype.render = function () {
    var view = this.view();
    this.root.setAttribute("data-view", view);
    this.root.setAttribute("data-ready", "false");
    this.root.removeAttribute("data-crop");
    this.root.textContent = "";
    if (this.notice) this.root.appendChild(el("p", { class: "mos-notice", role: "status", text: this.notice }));
    if (!storage.ok) {
      this.root.appendChild(el("p", { class: "mos-notice", text: "This browser does not let the page keep data " +
        "(localStorage is off): your ratings are lost when you leave the page." }));
    }
    if (view === "calibration") this.renderCalibration();
    else if (view === "rating") this.renderRating();
    else this.renderResults();
  };

  MosApp.prototype.toolbar = function () {
    var self = this, n = this.session.ratings.length;
    var bar = el("div", { class: "mos-toolbar" }, [
      el("button", { type: "button", class: "mos-secondary", "data-action": "download", disabled: n ? null : true,
        text: "Download CSV (" + n + " rating" + (n === 1 ? "" : "s") + ")", onclick: function () { self.download(); } }),
      el("button", { type: "button", class: "mos-secondary", "data-action": "start-over", text: "Start over",
        onclick: function () { self.askStartOver(bar); } })
    ]);
    return bar;
  };

  MosApp.prototype.askStartOver = function (bar) {
    var self = this, n = this.session.ratings.length;
    if (!n) { this.startOver(); return; }
    if (bar.querySelector(".mos-confirm")) return;
    var keep;
    var box = el("div", { class: "mos-confirm", role: "alertdialog", "aria-label": "Start over?" }, [
      el("span", { text: "Discard your " + n + " rating" + (n === 1 ? "" : "s") + " and start again with a new order? " }),
      el("button", { type: "button", class: "mos-danger", "data-action": "confirm-start-over", text: "Yes, start over",
        onclick: function () { self.startOver(); } }),
      keep = el("button", { type: "button", class: "mos-secondary", text: "Keep my ratings",
        onclick: function () { box.remove(); } })
    ]);
    bar.appendChild(box);
    keep.focus();
  };

  MosApp.prototype.startOver = function () {
    this.notice = "";
    storage.clear();
    this.session = this.fresh();
    this.save();
    this.render();
    var heading = this.root.querySelector("h2");
    if (heading) heading.focus();
  };

  MosApp.prototype.image = function (crop, alt, extra) {
    return el("img", Object.assign({ src: this.url(crop.file), width: DISPLAY_PX, height: DISPLAY_PX, alt: alt,
      class: "mos-crop", decoding: "async", draggable: "false" }, extra || {}));
  };

  MosApp.prototype.renderCalibration = function () {
    var self = this, m = this.manifest;
    var n = this.session.order.length;
    this.root.appendChild(el("h2", { tabindex: "-1", text: "Step 1: calibration" }));
    this.root.appendChild(el("p", {}, [
      "As the paper's raters did, first look at the two ends of the scale. For each image below, the left crop is ",
      el("strong", { text: "nearest-neighbour upsampling" }), " of the 4\u00d7 downscaled image: rate output like it ",
      el("strong", { text: "1 (bad)" }), ". The right crop is the ", el("strong", { text: "original photograph" }),
      ": rate output like it ", el("strong", { text: "5 (excellent)" }),
      ". These images are not part of the test."
    ]));
    var list = el("div", { class: "mos-calibration" });
    m.calibration.forEach(function (pair) {
      var name = pair.set + " " + pair.image;
      list.appendChild(el("div", { class: "mos-pair" }, ["nearest", "HR"].map(function (method) {
        var crop = pair[method], score = crop.score;
        return el("figure", { class: "mos-anchor" }, [
          self.image(crop, name + ": " + (method === "HR" ? "the original" : "nearest-neighbour upsampling") +
            ", score " + score),
          el("figcaption", {}, [el("strong", { text: "score " + score }), " (" + SCORE_LABELS[score] + "): " +
            (method === "HR" ? "the original" : "nearest neighbour") + ", " + name])
        ]);
      })));
    });
    this.root.appendChild(list);
    this.root.appendChild(el("h2", { class: "mos-h", text: "Step 2: rate " + n + " crops" }));
    this.root.appendChild(el("p", {}, [
      "Next you see " + n + " crops, one at a time, in a random order, each " + DISPLAY_PX + "\u00d7" + DISPLAY_PX +
      " pixels on screen. Some are the original, the others were made from a 4\u00d7 smaller image by interpolation " +
      "or by one of the book's networks; you are not told which. Rate each from 1 (bad) to 5 (excellent) with the " +
      "buttons or the keys 1 to 5. There is no time limit. Your ratings stay in this browser: a reload resumes " +
      "where you were."
    ]));
    this.root.appendChild(el("button", { type: "button", class: "mos-primary", "data-action": "start",
      text: "I have seen both ends of the scale: start rating", onclick: function () {
        self.session.calibrated = true;
        self.session.calibrated_at = new Date().toISOString();
        self.save();
        self.notice = "";
        self.render();
        var first = self.root.querySelector(".mos-score");
        if (first) first.focus();
      } }));
    this.root.appendChild(this.toolbar());
    this.root.setAttribute("data-ready", "true");
  };

  MosApp.prototype.renderRating = function () {
    var self = this;
    this.root.appendChild(el("h2", { tabindex: "-1", text: "Rate this image" }));
    this.progressText = el("p", { class: "mos-progress-text", "aria-live": "polite" });
    this.progress = el("progress", { class: "mos-progress", max: this.session.order.length, value: 0,
      "aria-label": "crops rated" });
    this.root.appendChild(el("div", { class: "mos-progress-row" }, [this.progress, this.progressText]));
    this.current = el("img", { width: DISPLAY_PX, height: DISPLAY_PX, alt: "", class: "mos-crop mos-rated",
      draggable: "false" });
    this.current.addEventListener("load", function () {
      if (self.current.getAttribute("data-crop") === self.root.getAttribute("data-crop")) self.root.setAttribute("data-ready", "true");
    });
    this.current.addEventListener("error", function () {
      self.progressText.textContent = "This image did not load: reload the page.";
    });
    this.root.appendChild(el("figure", { class: "mos-stage" }, [this.current]));
    var buttons = el("div", { class: "mos-scores", role: "group", "aria-label": "Your score for this image" });
    [1, 2, 3, 4, 5].forEach(function (score) {
      buttons.appendChild(el("button", { type: "button", class: "mos-score", "data-score": score,
        "aria-keyshortcuts": String(score), onclick: function () { self.rate(score); } }, [
        el("span", { class: "mos-score-number", text: String(score) }),
        el("span", { class: "mos-score-label", text: SCORE_LABELS[score] })
      ]));
    });
    this.root.appendChild(buttons);
    this.root.appendChild(el("p", { class: "mos-hint", text: "Keys 1\u20135 rate the image too. The method behind each " +
      "crop is revealed only in the results." }));
    this.root.appendChild(this.toolbar());
    this.showCurrent();
  };

  MosApp.prototype.showCurrent = function () {
    var index = this.session.ratings.length, total = this.session.order.length;
    var id = this.session.order[index], crop = this.crops[id];
    this.root.setAttribute("data-ready", "false");
    this.root.setAttribute("data-crop", id);
    this.root.setAttribute("data-index", String(index));
    this.progress.value = index;
    this.progressText.textContent = "Image " + (index + 1) + " of " + total + " (" + index + " rated)";
    this.current.setAttribute("data-crop", id);
    this.current.alt = "image " + (index + 1) + " of " + total + ", method hidden";
    this.current.src = this.url(crop.file);
    if (this.current.complete && this.current.naturalWidth > 0) this.root.setAttribute("data-ready", "true");
    var next = this.session.order[index + 1];
    if (next) { // preload the next one (kept referenced, so that it is not dropped half-way)
      this.preloaded = new Image();
      this.preloaded.src = this.url(this.crops[next].file);
    }
    var download = this.root.querySelector("[data-action=download]");
    if (download) {
      download.disabled = index === 0;
      download.textContent = "Download CSV (" + index + " rating" + (index === 1 ? "" : "s") + ")";
    }
  };

  MosApp.prototype.rate = function (score) {
    if (this.view() !== "rating" || this.root.getAttribute("data-ready") !== "true") return; // image not on screen yet
    var id = this.session.order[this.session.ratings.length];
    this.session.ratings.push({ id: id, score: score, time: new Date().toISOString() });
    this.save();
    var pressed = this.root.querySelector('.mos-score[data-score="' + score + '"]');
    if (pressed) {
      pressed.classList.add("mos-pressed");
      setTimeout(function () { pressed.classList.remove("mos-pressed"); }, 150);
    }
    if (this.session.ratings.length < this.session.order.length) {
      this.showCurrent();
    } else {
      this.session.finished = new Date().toISOString();
      this.save();
      this.render();
      var heading = this.root.querySelector("h2");
      if (heading) heading.focus();
    }
  };

  MosApp.prototype.onKey = function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (this.view() !== "rating" || !/^[1-5]$/.test(event.key)) return;
    event.preventDefault();
    this.rate(Number(event.key));
  };

  MosApp.prototype.rows = function () { // one per rating, in the order given
    var self = this;
    return this.session.ratings.map(function (r) {
      var crop = self.crops[r.id] || {};
      return { time: r.time, id: r.id, image: crop.image, set: crop.set, region: crop.region, method: crop.method,
        score: r.score };
    });
  };

  MosApp.prototype.download = function () {
    var lines = ["timestamp,crop_id,image,set,region,method,score"];
    this.rows().forEach(function (r) {
      lines.push([r.time, r.id, r.image, r.set, r.region, r.method, r.score].map(csvField).join(","));
    });
    var blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    var url = URL.createObjectURL(blob);
    var link = el("a", { href: url, download: "srgan-lite-mos-ratings.csv", class: "mos-hidden" });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  };

  MosApp.prototype.summary = function () {
    var byMethod = {};
    this.manifest.methods.forEach(function (m) { byMethod[m.method] = []; });
    this.rows().forEach(function (r) { if (byMethod[r.method]) byMethod[r.method].push(r.score); });
    return this.manifest.methods.map(function (m) {
      var s = stats(byMethod[m.method]);
      s.method = m;
      s.scores = byMethod[m.method];
      return s;
    });
  };

  MosApp.prototype.renderResults = function () {
    var summary = this.summary(), total = this.session.ratings.length;
    this.root.appendChild(el("h2", { tabindex: "-1", text: "Your results" }));
    var sets = {};
    this.manifest.crops.forEach(function (c) { sets[c.set] = true; });
    this.root.appendChild(el("p", {}, [
      "You rated " + total + " crops (" + this.manifest.regions.length + " regions of " + Object.keys(sets).sort().join(" and ") +
      ", each by " + this.manifest.methods.length + " methods). Your mean opinion score per method, next to the " +
      "paper's (26 raters, whole images, 4\u00d7):"
    ]));
    this.root.appendChild(this.table(summary));
    this.root.appendChild(this.ranking(summary));
    this.root.appendChild(el("h3", { class: "mos-h", text: "How your ratings are spread" }));
    this.root.appendChild(this.figure(summary));
    this.root.appendChild(this.toolbar());
    this.root.setAttribute("data-ready", "true");
  };

  MosApp.prototype.table = function (summary) {
    var head = el("thead", {}, [
      el("tr", {}, [
        el("th", { scope: "col", rowspan: 2, text: "method" }),
        el("th", { scope: "colgroup", colspan: 3, class: "mos-group", text: "your ratings" }),
        el("th", { scope: "colgroup", colspan: 2, class: "mos-group", text: "paper's MOS" })
      ]),
      el("tr", {}, ["n", "mean", "95% CI", "Set5", "Set14"].map(function (h) {
        return el("th", { scope: "col", class: "mos-num", text: h });
      }))
    ]);
    var body = el("tbody");
    summary.forEach(function (s) {
      var paper = PAPER_MOS[s.method.paper] || {};
      body.appendChild(el("tr", { "data-method": s.method.method }, [
        el("th", { scope: "row", class: "mos-method", text: s.method.label }),
        el("td", { class: "mos-num", "data-col": "n", text: String(s.n) }),
        el("td", { class: "mos-num", "data-col": "mean", "data-value": s.n ? String(s.mean) : null,
          text: s.n ? fixed(s.mean) : "\u2013" }),
        el("td", { class: "mos-num", "data-col": "ci",
          text: s.n > 1 ? fixed(s.low) + "\u2013" + fixed(s.high) : "\u2013" }),
        el("td", { class: "mos-num", "data-col": "paper-set5", text: paper.Set5 ? fixed(paper.Set5) : "\u2013" }),
        el("td", { class: "mos-num", "data-col": "paper-set14", text: paper.Set14 ? fixed(paper.Set14) : "\u2013" })
      ]));
    });
    PAPER_ONLY.forEach(function (name) {
      var paper = PAPER_MOS[name];
      body.appendChild(el("tr", { class: "mos-paper-only", "data-paper-method": name }, [
        el("th", { scope: "row", class: "mos-method", text: name + " (not in this test)" }),
        el("td", { class: "mos-num", text: "" }), el("td", { class: "mos-num", text: "" }),
        el("td", { class: "mos-num", text: "" }),
        el("td", { class: "mos-num", text: fixed(paper.Set5) }), el("td", { class: "mos-num", text: fixed(paper.Set14) })
      ]));
    });
    var sources = {};
    summary.forEach(function (s) { var p = PAPER_MOS[s.method.paper]; if (p) sources[s.method.paper] = p.source; });
    var caption = el("caption", {}, [
      "Mean opinion score, 1 (bad) to 5 (excellent). 95% CI: Student's t interval, mean \u00b1 t(0.975, n\u22121)" +
      "\u00b7sd/\u221an with sd the sample standard deviation of your n ratings, clipped to the scale 1\u20135 " +
      "(undefined for n < 2). Paper: " +
      "Ledig et al. (2017), Table 2 (4\u00d7; its SRGAN is SRGAN-VGG54), and Table 1 for SRGAN-MSE, the variant " +
      "that srgan_mse_x4 trains."
    ]);
    return el("div", { class: "mos-table-wrap" }, [el("table", { class: "mos-results" }, [caption, head, body])]);
  };

  MosApp.prototype.ranking = function (summary) {
    var rated = summary.filter(function (s) { return s.n; }).slice();
    rated.sort(function (a, b) { return b.mean - a.mean; });
    var paper = summary.filter(function (s) { return PAPER_MOS[s.method.paper]; }).slice();
    paper.sort(function (a, b) { return PAPER_MOS[b.method.paper].Set14 - PAPER_MOS[a.method.paper].Set14; });
    var names = function (list) { return list.map(function (s) { return s.method.paper; }).join(" > "); };
    return el("p", { class: "mos-ranking" }, [
      el("strong", { text: "Your order: " }), names(rated), el("br"),
      el("strong", { text: "The paper's order (Set14): " }), names(paper)
    ]);
  };

  MosApp.prototype.figure = function (summary) {
    // Like the paper's Fig. 5: one column per method, one cell per score, shaded by the share of the method's
    // ratings with that score; the red marker is the mean (bins centred on the scores).
    var cell = 56, left = 64, top = 16, colW = 104, height = top + 5 * cell + 66;
    var width = left + summary.length * colW + 12;
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img",
      class: "mos-figure", "aria-labelledby": "mos-figure-title mos-figure-desc" });
    chart.appendChild(svg("title", { id: "mos-figure-title", text: "Distribution of your ratings per method" }));
    chart.appendChild(svg("desc", { id: "mos-figure-desc", text: summary.map(function (s) {
      var counts = [1, 2, 3, 4, 5].map(function (k) { return s.scores.filter(function (x) { return x === k; }).length; });
      return s.method.label + ": " + counts.map(function (c, i) { return c + " \u00d7 " + (i + 1); }).join(", ");
    }).join("; ") }));
    for (var k = 1; k <= 5; k++) {
      var y = top + (5 - k) * cell;
      chart.appendChild(svg("text", { x: left - 10, y: y + cell / 2 + 5, "text-anchor": "end", class: "mos-axis",
        text: String(k) }));
    }
    chart.appendChild(svg("text", { x: 14, y: top + 2.5 * cell, class: "mos-axis", "text-anchor": "middle",
      transform: "rotate(-90 14 " + (top + 2.5 * cell) + ")", text: "score" }));
    summary.forEach(function (s, i) {
      var x = left + i * colW;
      for (var k = 1; k <= 5; k++) {
        var count = s.scores.filter(function (v) { return v === k; }).length, share = s.n ? count / s.n : 0;
        var y = top + (5 - k) * cell;
        chart.appendChild(svg("rect", { x: x + 4, y: y + 2, width: colW - 8, height: cell - 4, rx: 3,
          class: "mos-cell", "fill-opacity": (0.06 + 0.94 * share).toFixed(3), "data-method": s.method.method,
          "data-score": k, "data-count": count }));
        if (count) {
          chart.appendChild(svg("text", { x: x + colW / 2, y: y + cell / 2 + 5, "text-anchor": "middle",
            class: share > 0.5 ? "mos-count mos-count-dark" : "mos-count", text: String(count) }));
        }
      }
      if (s.n) {
        var my = top + (5 - s.mean) * cell + cell / 2;
        chart.appendChild(svg("circle", { cx: x + colW / 2 + 24, cy: my, r: 6, class: "mos-mean",
          "data-method": s.method.method }, [svg("title", { text: s.method.label + ": mean " + fixed(s.mean) })]));
      }
      var words = s.method.label.replace(/ \(/, "\n(").split("\n");
      words.forEach(function (line, j) {
        chart.appendChild(svg("text", { x: x + colW / 2, y: top + 5 * cell + 20 + 16 * j, "text-anchor": "middle",
          class: j ? "mos-axis mos-axis-small" : "mos-axis", text: line }));
      });
    });
    return el("figure", { class: "mos-figure-wrap" }, [
      el("div", { class: "mos-figure-scroll" }, [chart]),
      el("figcaption", { text: "Your ratings: one column per method, one row per score; the darker a cell, the " +
        "larger the share of that method's ratings with that score (the number is the count); the red dot is " +
        "your mean, placed on the same scale. Compare the paper's Fig. 5 (BSD100, 26 raters \u00d7 100 images per " +
        "method), where nearest neighbour is almost always rated 1 and the original almost always 5." })
    ]);
  };

  // ------------------------------------------------------------------ start
  function start() {
    var root = document.getElementById("mos-app");
    if (!root) return;
    var manifestUrl = new URL(root.getAttribute("data-manifest") || "mos/manifest.json", document.baseURI).href;
    fetch(manifestUrl, { cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (manifest) {
        if (!manifest.crops || !manifest.crops.length) throw new Error("the manifest lists no crops");
        window.srganLiteMos = new MosApp(root, manifest, manifestUrl);
      })
      .catch(function (error) {
        root.setAttribute("data-view", "error");
        root.textContent = "";
        root.appendChild(el("p", { class: "mos-notice", role: "alert", text: "The test could not load its crops (" +
          manifestUrl + ": " + error.message + "). Open the book through a web server (for example `python -m " +
          "http.server -d _build/html`) rather than as a file." }));
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
