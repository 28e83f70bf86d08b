/* exscan's HTML report: the host table (sort, filter) and each host's detail,
 * drawn from the page's JSON blocks.  Untrusted text only ever goes into
 * textContent or SVG text nodes, never into markup. */
(function () {
  "use strict";
  var V = ["unknown", "clean", "at-risk", "vulnerable", "compromised"];
  var PAGE = 500;
  var rows = JSON.parse(document.getElementById("rows").textContent);
  var details = null;
  var state = { v: "", b: "", q: "", k: 1, dir: -1, limit: PAGE, open: -1 };
  var tbody = document.querySelector("#hosts tbody");
  var fv = document.getElementById("fv");
  var fb = document.getElementById("fb");
  var fq = document.getElementById("fq");
  var shown = document.getElementById("shown");
  var more = document.getElementById("more");
  var pane = document.getElementById("detail");
  var SVG = "http://www.w3.org/2000/svg";
  var search = rows.map(function (r) {
    return (r[0] + "\n" + r[2] + "\n" + r[3]).toLowerCase();
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function detail(i) {
    if (!details) details = JSON.parse(document.getElementById("details").textContent);
    return details[i];
  }

  /* builds for the filter, most hosts first */
  (function () {
    var seen = {};
    rows.forEach(function (r) { seen[r[2]] = (seen[r[2]] || 0) + 1; });
    Object.keys(seen).sort(function (a, b) { return seen[b] - seen[a] || (a < b ? -1 : 1); })
      .forEach(function (b) {
        var o = el("option", null, (b || "-") + " (" + seen[b] + ")");
        o.value = b;
        fb.appendChild(o);
      });
  })();

  function matching() {
    var out = [], q = state.q.toLowerCase(), v = state.v === "" ? -1 : +state.v;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (v >= 0 && r[1] !== v) continue;
      if (state.b !== "" && r[2] !== state.b) continue;
      if (q && search[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    var k = state.k, d = state.dir;
    out.sort(function (a, b) {
      var x = rows[a][k], y = rows[b][k];
      if (k === 0 || k === 2 || k === 3) { x = String(x).toLowerCase(); y = String(y).toLowerCase(); }
      if (x < y) return -d;
      if (x > y) return d;
      return rows[a][0] < rows[b][0] ? -1 : rows[a][0] > rows[b][0] ? 1 : a - b;
    });
    return out;
  }

  function render() {
    var list = matching(), frag = document.createDocumentFragment();
    var n = Math.min(list.length, state.limit);
    for (var j = 0; j < n; j++) {
      var i = list[j], r = rows[i], tr = el("tr");
      var td = el("td"), btn = el("button", "hostlink", r[0]);
      btn.type = "button";
      tr.dataset.i = i;
      if (i === state.open) tr.className = "open";
      td.appendChild(btn);
      tr.appendChild(td);
      td = el("td");
      td.appendChild(el("span", "badge v" + r[1], V[r[1]]));
      tr.appendChild(td);
      tr.appendChild(el("td", null, r[2] || "-"));
      tr.appendChild(el("td", null, r[3] + (r[4] ? " [incomplete]" : "")));
      tr.appendChild(el("td", null, r[5]));
      frag.appendChild(tr);
    }
    tbody.textContent = "";
    tbody.appendChild(frag);
    shown.textContent = list.length + " of " + rows.length + " hosts" +
      (n < list.length ? " (first " + n + " shown)" : "");
    more.hidden = n >= list.length;
    document.querySelectorAll("#hosts th").forEach(function (th) {
      th.className = +th.dataset.k === state.k ? (state.dir > 0 ? "asc" : "desc") : "";
    });
  }

  function iso(t) { return Date.parse(t); }

  /* the timeline on a time axis: one lane per source, per-day log counts as bars */
  function axis(d) {
    /* inode change times are left to the event list: copying or extracting an
     * image sets them to that day, which would squeeze everything else */
    var ev = d.t.filter(function (e) { return e[1] !== "file-changed" && !isNaN(iso(e[0])); });
    var days = d.d || [];
    if (!ev.length && !days.length) return null;
    var lo = Infinity, hi = -Infinity;
    ev.forEach(function (e) { var t = iso(e[0]); lo = Math.min(lo, t); hi = Math.max(hi, t); });
    days.forEach(function (x) {
      var t = iso(x[0] + "T00:00:00Z");
      lo = Math.min(lo, t); hi = Math.max(hi, t + 864e5);
    });
    if (hi - lo < 36e5) { lo -= 18e5; hi += 18e5; }
    var W = 960, L = 90, R = 20, lanes = ["log", "event-log", "file"];
    var laneY = { "log": 40, "event-log": 70, "file": 100 }, H = 170;
    var x = function (t) { return L + (t - lo) / (hi - lo) * (W - L - R); };
    var s = svg("svg", { "class": "axis", width: W, height: H, viewBox: "0 0 " + W + " " + H,
      role: "img", "aria-label": "timeline" });
    lanes.forEach(function (l) {
      s.appendChild(svg("text", { x: 4, y: laneY[l] + 4 }, l));
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: laneY[l], y2: laneY[l], stroke: "#e5e7eb" }));
    });
    /* log attempts and successes per day, heights relative to the busiest day */
    var top = 1;
    days.forEach(function (x0) { top = Math.max(top, x0[2] + x0[3]); });
    days.forEach(function (x0) {
      var t = iso(x0[0] + "T00:00:00Z"), w = Math.max(2, x(t + 864e5) - x(t));
      var ha = 24 * x0[2] / top, hs = 24 * x0[3] / top;
      var g = svg("g", {});
      g.appendChild(svg("title", {}, x0[0] + " " + x0[1] + ": " + x0[2] + " attempts, " +
        x0[3] + " successes"));
      g.appendChild(svg("rect", { "class": "day-a", x: x(t), y: 134 - ha, width: w, height: ha }));
      g.appendChild(svg("rect", { "class": "day-s", x: x(t), y: 134 - ha - hs, width: w, height: hs }));
      s.appendChild(g);
    });
    s.appendChild(svg("text", { x: 4, y: 132 }, "logs/day"));
    s.appendChild(svg("line", { x1: L, x2: W - R, y1: 135, y2: 135, stroke: "#9ca3af" }));
    for (var k = 0; k <= 5; k++) {
      var t = lo + (hi - lo) * k / 5, xx = x(t);
      s.appendChild(svg("line", { x1: xx, x2: xx, y1: 135, y2: 140, stroke: "#9ca3af" }));
      s.appendChild(svg("text", { x: xx, y: 155,
        "text-anchor": k === 0 ? "start" : k === 5 ? "end" : "middle" },
        new Date(t).toISOString().slice(0, 16).replace("T", " ")));
    }
    ev.forEach(function (e) {
      var y = laneY[e[2]] || 100;
      var g = svg("g", { "class": "ev" });
      g.appendChild(svg("title", {}, e[0] + "  " + e[4] + (e[5] ? "  " + e[5] : "")));
      var shape = e[1] === "logs-begin" || e[1] === "logs-end"
        ? svg("rect", { x: x(iso(e[0])) - 1, y: y - 9, width: 2, height: 18, "class": "sev-info" })
        : svg("circle", { cx: x(iso(e[0])), cy: y, r: e[3] === "alert" ? 6 : 4.5, "class": "sev-" + e[3] });
      g.appendChild(shape);
      s.appendChild(g);
    });
    return s;
  }

  function table(head, data, cls) {
    var t = el("table", cls), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    data.forEach(function (r) {
      var tr2 = el("tr");
      r.forEach(function (c, j) {
        tr2.appendChild(el("td", (head[j] === "path" ? "path" : head[j] === "sha256" ? "hash" : null), c));
      });
      t.appendChild(tr2);
    });
    return t;
  }

  function list(title, items) {
    if (!items.length) return;
    pane.appendChild(el("h4", null, title));
    var ul = el("ul");
    items.forEach(function (s) { ul.appendChild(el("li", null, s)); });
    pane.appendChild(ul);
  }

  function open(i) {
    var r = rows[i], d = detail(i);
    state.open = i;
    pane.textContent = "";
    pane.className = "v" + r[1];
    var close = el("button", "close", "close");
    close.type = "button";
    close.addEventListener("click", function () {
      pane.hidden = true;
      state.open = -1;
      link("");
      render();
    });
    pane.appendChild(close);
    var h3 = el("h3");
    h3.appendChild(el("span", "host", r[0]));
    h3.appendChild(document.createTextNode(" "));
    h3.appendChild(el("span", "badge v" + r[1], V[r[1]]));
    pane.appendChild(h3);
    if (d.m) pane.appendChild(el("p", "meta", d.m));
    pane.appendChild(el("h4", null, "Why"));
    var ul = el("ul", "reasons"), mainSeen = false;
    d.r.forEach(function (x) {
      /* the reason that decides the verdict: the first at its level */
      var isMain = !mainSeen && x[0] === V[r[1]];
      var li = el("li", isMain ? "main" : null);
      mainSeen = mainSeen || isMain;
      li.appendChild(el("span", "badge v" + Math.max(0, V.indexOf(x[0])), x[0]));
      li.appendChild(document.createTextNode(" " + x[1]));
      ul.appendChild(li);
    });
    pane.appendChild(ul);
    var m = d.s, names = [["first_attempt", "first exploitation"], ["first_success", "first success"],
      ["first_shell", "first shell"], ["last_activity", "last activity"]];
    var mrows = names.filter(function (n) { return m[n[0]]; })
      .map(function (n) { var e = m[n[0]]; return [n[1], e[0], e[4], e[5]]; });
    if (mrows.length || d.t.length) {
      pane.appendChild(el("h4", null, "Timeline"));
      if (mrows.length) pane.appendChild(table(["moment", "time (UTC)", "what", "path"], mrows, "moments"));
      var a = axis(d);
      if (a) {
        pane.appendChild(a);
        pane.appendChild(el("p", "legend", "dots: log, event-log and file events (red alert, " +
          "orange warning, amber notice; hover for details); bars: logged attempts (amber) and " +
          "successes (red) per day; grey marks: how far the logs reach; inode change times are in " +
          "the event list only"));
      }
      if (d.t.length) {
        var det = el("details"), sum = el("summary", null, d.t.length + (d.t.length === 1 ? " event" : " events") +
          (m.omitted ? " (" + m.omitted + " more in the JSON report)" : ""));
        det.appendChild(sum);
        det.appendChild(table(["time (UTC)", "type", "source", "severity", "what", "path"], d.t, "events"));
        pane.appendChild(det);
      }
    }
    list("What to do", d.x);
    list("Evidence to preserve", d.e);
    if (d.c.length) {
      pane.appendChild(el("h4", null, "Active checks"));
      pane.appendChild(table(["check", "result", "evidence"], d.c));
    }
    if (d.f.length) {
      pane.appendChild(el("h4", null, "Findings"));
      var f = d.f.slice();
      if (d.fm) f.push(["", d.fm + " more findings in the JSON report", "", "", "", "", ""]);
      pane.appendChild(table(["kind", "path", "rule / family", "score", "severity", "sha256", "time"], f, "findings"));
    }
    pane.hidden = false;
    link(r[0]);
    render();
    pane.scrollIntoView();
    window.scrollBy(0, -document.querySelector(".controls").offsetHeight - 8);
  }

  /* report.html#HOST opens that host: a link to one host of a fleet report */
  function link(name) {
    try {
      history.replaceState(null, "", name ? "#" + encodeURIComponent(name) : location.pathname);
    } catch (e) { /* some viewers refuse it: the page works without */ }
  }

  function set(k, v) { state[k] = v; state.limit = PAGE; render(); }
  fv.addEventListener("change", function () { set("v", fv.value); });
  fb.addEventListener("change", function () { set("b", fb.value); });
  var timer = 0;
  fq.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { set("q", fq.value); }, 120);
  });
  more.addEventListener("click", function () { state.limit += PAGE * 4; render(); });
  document.querySelectorAll(".count").forEach(function (b) {
    b.addEventListener("click", function () { fv.value = b.dataset.v; set("v", b.dataset.v); });
  });
  document.querySelectorAll("#hosts th").forEach(function (th) {
    th.addEventListener("click", function () {
      var k = +th.dataset.k;
      state.dir = state.k === k ? -state.dir : (k === 1 || k === 5 ? -1 : 1);
      state.k = k;
      render();
    });
  });
  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (tr && e.target.closest("button")) open(+tr.dataset.i);
  });
  render();
  if (location.hash.length > 1) {
    var want = "";
    try { want = decodeURIComponent(location.hash.slice(1)); } catch (e) { want = ""; }
    for (var i = 0; i < rows.length; i++) {
      if (rows[i][0] === want) { open(i); break; }
    }
  }
  document.body.dataset.ready = "1";
})();
