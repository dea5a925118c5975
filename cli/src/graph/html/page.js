// stackforge graph --format html: lays out and draws the construct-level model embedded in
// #model, with zoom and pan, search, a stack filter and a side panel. Hand-written, no
// library: the page works offline and stays byte-deterministic.
"use strict";
(function () {
  const model = JSON.parse(document.getElementById("model").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const REMOVED = { color: "#e53e3e", dash: "8 4", text: "removed by the change (in the committed templates only)" };
  const EDGE = {
    traffic: { color: "#c53030", dash: "", width: 2.5, text: "traffic (security groups, listeners)" },
    data_access: { color: "#2b6cb0", dash: "7 4", width: 1.6, text: "data access (IAM grants, backups)" },
    alerting: { color: "#c05621", dash: "2 4", width: 2.2, text: "alerting (metrics, alarms, topics)" },
    uses: { color: "#a0aec0", dash: "", width: 1, text: "uses (other references)" },
  };
  const STATUS = {
    added: { fill: "#c6f6d5", border: "#2f855a", text: "added" },
    updated: { fill: "#bee3f8", border: "#2b6cb0", text: "updated" },
    replaced: { fill: "#fed7d7", border: "#c53030", text: "replaced" },
    may_replace: { fill: "#feebc8", border: "#c05621", text: "may be replaced" },
    removed: { fill: "#e2e8f0", border: "#718096", text: "removed" },
    affected: { fill: "#e9d8fd", border: "#6b46c1", text: "affected by a replacement" },
  };

  const svg = document.getElementById("picture");
  const canvas = document.getElementById("canvas");
  const panel = document.getElementById("panel");
  const el = (name, attrs, parent) => {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  };
  const html = (name, text, parent, cls) => {
    const e = document.createElement(name);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  };

  // Layout: computed by stackforge (the same as `graph --format svg`): stacks top to
  // bottom in deploy order on one grid, links routed through the gaps between the nodes.
  const L = model.layout;
  const pos = L.nodes;

  // Drawing.
  const defs = el("defs", {}, svg);
  const arrows = Object.assign({ added: "#2f855a", removed: REMOVED.color }, ...Object.keys(EDGE).map((k) => ({ [k]: EDGE[k].color })));
  for (const kind of Object.keys(arrows).sort()) {
    const m = el("marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: "9", refY: "5", markerUnits: "userSpaceOnUse", markerWidth: "9", markerHeight: "9", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: arrows[kind] }, m);
  }
  const viewport = el("g", { id: "viewport" }, svg);
  const stackLayer = el("g", {}, viewport);
  const linkLayer = el("g", {}, viewport);
  const nodeLayer = el("g", {}, viewport);
  const stackEls = [];
  L.stacks.forEach((b) => {
    b.si = b.stack;
    const s = model.stacks[b.si];
    const g = el("g", { class: "stackbox", "data-stack": s.name }, stackLayer);
    const r = el("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8 }, g);
    if (s.change && s.change.status === "added") r.setAttribute("style", "stroke:#2f855a;stroke-width:3");
    if (s.change && s.change.status === "removed") r.setAttribute("style", "stroke:#718096;stroke-dasharray:6 4");
    let name = (b.si + 1) + ". " + s.name;
    if (s.change && s.change.status !== "unchanged") name += " (stack " + s.change.status + ")";
    el("text", { x: b.x + 8, y: b.y + 15, class: "name" }, g).textContent = name;
    el("text", { x: b.x + 8, y: b.y + 28 }, g).textContent = s.stack_name;
    stackEls[b.si] = g;
  });
  const center = (i) => ({ x: pos[i].x + pos[i].w / 2, y: pos[i].y + pos[i].h / 2 });
  const linkEls = model.links.map((l, k) => {
    const route = L.links[k];
    const st = EDGE[l.kind] || EDGE.uses;
    const g = el("g", { class: "link", "data-kind": l.kind, "data-from": l.from, "data-to": l.to, "data-status": l.status || "" }, linkLayer);
    let color = st.color, dash = st.dash, width = st.width, marker = l.kind;
    if (l.status === "added") { color = "#2f855a"; width = 3; marker = "added"; }
    if (l.status === "removed") { color = REMOVED.color; dash = REMOVED.dash; width = 2; marker = "removed"; }
    const d = route.points.map(([x, y], n) => `${n ? "L" : "M"}${x},${y}`).join(" ");
    el("path", { d, stroke: color, "stroke-width": width, "stroke-dasharray": dash, "stroke-linejoin": "round", "marker-end": `url(#arrow-${marker})` }, g);
    if (route.label) {
      const t = el("text", { x: route.label[0], y: route.label[1], fill: color, "text-anchor": "middle" }, g);
      t.textContent = l.labels.join(", ");
    }
    return g;
  });
  const nodeEls = model.nodes.map((n, i) => {
    const cls = ["node", n.role];
    const g = el("g", { class: cls.join(" "), "data-index": i, "data-name": n.name, "data-kind": n.kind, "data-path": n.path || "", "data-status": n.status || "" }, nodeLayer);
    const { x, y, w, h } = pos[i];
    const shape = el("rect", { x, y, width: w, height: h, rx: n.role === "external" ? h / 2 : 6 }, g);
    if (n.status && STATUS[n.status]) {
      const s = STATUS[n.status];
      shape.setAttribute("style", `fill:${s.fill};stroke:${s.border};stroke-width:3${n.status === "removed" ? ";stroke-dasharray:6 3" : ""}`);
    }
    el("text", { x: x + w / 2, y: y + 20, "text-anchor": "middle" }, g).textContent = n.name;
    const kind = n.status ? `${n.kind} · ${STATUS[n.status].text}` : n.kind;
    const kt = el("text", { x: x + w / 2, y: y + 37, "text-anchor": "middle", class: "kind" }, g);
    kt.textContent = kind;
    // Long kinds shrink to fit the box (about 0.56 em per character).
    const size = Math.min(11, Math.floor((w - 10) / (kind.length * 0.56)));
    if (size < 11) kt.setAttribute("style", `font-size:${Math.max(size, 6)}px`);
    el("title", {}, g).textContent = n.path || n.name;
    g.addEventListener("click", (ev) => { if (!moved) select(i); ev.stopPropagation(); });
    return g;
  });

  // Legend, in the picture where the layout keeps room for it: the edge kinds drawn,
  // removed links, and the change colours present.
  const rows = [];
  for (const kind in EDGE) {
    if (model.links.some((l) => l.kind === kind)) rows.push({ line: EDGE[kind], text: EDGE[kind].text });
  }
  if (model.links.some((l) => l.status === "removed")) rows.push({ line: { color: REMOVED.color, width: 2, dash: REMOVED.dash }, text: REMOVED.text });
  for (const st in STATUS) {
    if (model.nodes.some((n) => n.status === st)) rows.push({ swatch: STATUS[st], text: STATUS[st].text });
  }
  const [lx, ly] = L.legend, LINE = 14;
  const legend = el("g", { id: "legend" }, viewport);
  el("rect", { x: lx, y: ly, width: 300, height: (rows.length + 1) * LINE + 6, rx: 4, class: "frame" }, legend);
  el("text", { x: lx + 8, y: ly + 14, class: "title" }, legend).textContent = "Legend";
  rows.forEach((r, k) => {
    const y = ly + (k + 1) * LINE + 10;
    if (r.line) el("line", { x1: lx + 8, y1: y - 4, x2: lx + 42, y2: y - 4, stroke: r.line.color, "stroke-width": r.line.width, "stroke-dasharray": r.line.dash }, legend);
    else el("rect", { x: lx + 14, y: y - 9, width: 24, height: 9, rx: 2, fill: r.swatch.fill, stroke: r.swatch.border, "stroke-width": 2 }, legend);
    el("text", { x: lx + 50, y }, legend).textContent = r.text;
  });

  // Zoom and pan.
  let view = { x: 20, y: 20, k: 1 };
  const apply = () => viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
  const fit = () => {
    const w = L.width + 40;
    const h = L.height + 40;
    const cw = canvas.clientWidth || 1000, ch = canvas.clientHeight || 700;
    const k = Math.min(cw / w, ch / h, 1.5);
    view = { x: (cw - w * k) / 2 + 20 * k, y: 20 * k, k };
    apply();
  };
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    const k = Math.min(4, Math.max(0.1, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view = { x: px - ((px - view.x) * k) / view.k, y: py - ((py - view.y) * k) / view.k, k };
    apply();
  }, { passive: false });
  let drag = null, moved = false;
  canvas.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y }; moved = false; });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { moved = true; canvas.classList.add("dragging"); }
    view.x = drag.vx + dx; view.y = drag.vy + dy; apply();
  });
  window.addEventListener("mouseup", () => { drag = null; canvas.classList.remove("dragging"); });
  document.getElementById("fit").addEventListener("click", fit);
  const focus = (i) => {
    const c = center(i), cw = canvas.clientWidth || 1000, ch = canvas.clientHeight || 700;
    view.x = cw / 2 - c.x * view.k; view.y = ch / 2 - c.y * view.k; apply();
  };

  // Search.
  const search = document.getElementById("search");
  const found = document.getElementById("found");
  const matches = (n, q) => [n.name, n.kind, n.path || ""].concat(n.resources.flatMap((r) => [r.logical_id, r.type]))
    .some((s) => s.toLowerCase().includes(q));
  let hits = [];
  const runSearch = () => {
    const q = search.value.trim().toLowerCase();
    hits = q ? model.nodes.map((n, i) => i).filter((i) => matches(model.nodes[i], q)) : [];
    nodeEls.forEach((g, i) => {
      g.classList.toggle("match", hits.includes(i));
      g.classList.toggle("dim", q !== "" && !hits.includes(i));
    });
    found.textContent = q ? `${hits.length} found` : "";
  };
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && hits.length) { select(hits[0]); focus(hits[0]); } });

  // Stack filter.
  const stackSelect = document.getElementById("stack");
  model.stacks.forEach((s, si) => {
    const o = html("option", `${si + 1}. ${s.name}`, stackSelect);
    o.value = String(si);
  });
  const filter = () => {
    const v = stackSelect.value;
    const shown = (i) => v === "" || model.nodes[i].stack === null || String(model.nodes[i].stack) === v;
    nodeEls.forEach((g, i) => g.classList.toggle("hidden", !shown(i)));
    stackEls.forEach((g, si) => g && g.classList.toggle("hidden", v !== "" && String(si) !== v));
    linkEls.forEach((g, k) => g.classList.toggle("hidden", !(shown(model.links[k].from) && shown(model.links[k].to))));
  };
  stackSelect.addEventListener("change", filter);

  // Side panel.
  const badge = (status, parent) => {
    if (!status || !STATUS[status]) return;
    const b = html("span", STATUS[status].text, parent, "badge");
    b.style.background = STATUS[status].fill; b.style.borderColor = STATUS[status].border;
  };
  const select = (i) => {
    nodeEls.forEach((g, k) => g.classList.toggle("selected", k === i));
    const n = model.nodes[i];
    panel.textContent = "";
    const h = html("h2", n.name, panel);
    badge(n.status, h);
    const facts = html("table", null, panel);
    const fact = (k, v) => { if (!v) return; const tr = html("tr", null, facts); html("td", k, tr); html("td", v, tr); };
    fact("kind", n.kind);
    fact("construct path", n.path);
    if (n.stack !== null) {
      const s = model.stacks[n.stack];
      fact("stack", `${n.stack + 1}. ${s.name} (${s.stack_name})`);
      if (s.dependencies.length) fact("depends on", s.dependencies.join(", "));
      if (s.change) {
        fact("stack change", `${s.change.status}: ${s.change.summary}`);
        s.change.entries.forEach((e) => fact("", e));
      }
    }
    if (n.outbound.length) fact("to internet", n.outbound.join(", "));
    if (n.nested.length) {
      html("h3", "Constructs inside", panel);
      const ul = html("ul", null, panel);
      n.nested.forEach((c) => html("li", `${c.path} (${c.kind})`, ul));
    }
    const links = model.links.map((l, k) => [l, k]).filter(([l]) => l.from === i || l.to === i);
    if (links.length) {
      html("h3", "Connected to", panel);
      const ul = html("ul", null, panel);
      links.forEach(([l]) => {
        const out = l.from === i, other = out ? l.to : l.from;
        const li = html("li", `${EDGE[l.kind].text.split(" (")[0]} ${out ? "to" : "from"} `, ul);
        const a = html("a", model.nodes[other].name, li);
        a.addEventListener("click", () => { select(other); focus(other); });
        if (l.labels.length) html("span", `: ${l.labels.join(", ")}`, li);
        if (l.status) badge(l.status, li);
      });
    }
    if (n.resources.length) {
      html("h3", `Resources (${n.resources.length})`, panel);
      n.resources.forEach((r) => {
        const d = html("div", null, panel, "res");
        const head = html("div", null, d);
        html("span", r.logical_id, head, "lid");
        html("span", " " + r.type, head, "type");
        badge(r.status, head);
        if (r.path) html("div", r.path, d, "type");
        if (r.changes.length || r.notes.length) {
          const ul = html("ul", null, d);
          r.changes.forEach((c) => html("li", c, ul));
          r.notes.forEach((c) => html("li", c, ul));
        }
        if (r.properties.length) {
          const t = html("table", null, d);
          r.properties.forEach(([k, v]) => { const tr = html("tr", null, t); html("td", k, tr); html("td", v, tr); });
        }
      });
    }
    panel.dataset.node = n.path || n.name;
  };

  // Start: fitted, then what the URL asks (#search=TEXT, #node=PATH, #stack=NAME).
  fit();
  window.addEventListener("resize", fit);
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (params.get("stack")) {
    const si = model.stacks.findIndex((s) => s.name === params.get("stack"));
    if (si >= 0) { stackSelect.value = String(si); filter(); }
  }
  if (params.get("search")) { search.value = params.get("search"); runSearch(); }
  if (params.get("node")) {
    const i = model.nodes.findIndex((n) => n.path === params.get("node") || n.name === params.get("node"));
    if (i >= 0) select(i);
  }
  document.body.dataset.ready = "true";
})();
