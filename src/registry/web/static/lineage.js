// The lineage picture of a dataset page: sources on the left, derived datasets on the right, one arrow
// per derivation labelled with its activity. Reads GET /datasets/{id}/lineage (the public view) and
// draws it with Cytoscape.js (static/vendor/); its words (titles, activities, help) come from the page
// (#lineage-labels), in the page's language. Click a dataset to open its page.
(function () {
  "use strict";
  var holder = document.getElementById("lineage-picture");
  if (!holder || typeof cytoscape === "undefined") { return; }
  var current = holder.getAttribute("data-dataset");
  var words = JSON.parse((document.getElementById("lineage-labels") || {}).textContent || "{}");
  var titles = words.titles || {}, activities = words.activities || {}, text = words.text || {};
  function say(key, fallback) { return text[key] || fallback; }
  // Okabe-Ito colours, readable by colour-blind people
  var COLOURS = { linkage: "#0072B2", aggregation: "#E69F00", deidentification: "#009E73", extraction: "#CC79A7" };
  var KINDS = {};
  Object.keys(COLOURS).forEach(function (k) { KINDS[k] = { colour: COLOURS[k], label: activities[k] || k }; });
  var OTHER = { colour: "#6b7f93", label: say("other", "other or not recorded") };

  function kindOf(activity) { return KINDS[activity] || OTHER; }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }

  function draw(answer) {
    if (!answer.edges || answer.edges.length === 0) {
      holder.setAttribute("data-state", "empty");
      return;
    }
    var elements = [];
    answer.nodes.forEach(function (n) {
      elements.push({ group: "nodes", data: {
        id: n.id, label: titles[n.id] || n.title || n.id, current: n.id === current ? 1 : 0, retired: n.retired ? 1 : 0 } });
    });
    answer.edges.forEach(function (e) {
      var k = kindOf(e.activity);
      elements.push({ group: "edges", data: {
        id: e.from + "->" + e.to, source: e.from, target: e.to, label: e.activity ? k.label : "", colour: k.colour } });
    });

    var canvas = el("div", { "class": "lineage-canvas", role: "img",
      "aria-label": say("picture", "Lineage diagram: %(nodes)s datasets, %(edges)s derivations.")
        .replace("%(nodes)s", String(answer.nodes.length)).replace("%(edges)s", String(answer.edges.length)) });
    holder.appendChild(canvas);
    var cy = cytoscape({
      container: canvas,
      elements: elements,
      minZoom: 0.3,
      maxZoom: 2.5,
      boxSelectionEnabled: false,
      autoungrabify: false,
      style: [
        { selector: "node", style: {
          "shape": "round-rectangle", "width": 160, "height": 58, "background-color": "#eef3f8",
          "border-width": 1, "border-color": "#33475b", "label": "data(label)", "color": "#1b2631",
          "font-size": 11, "text-wrap": "wrap", "text-max-width": 148, "line-height": 1.15, "text-valign": "center",
          "text-halign": "center" } },
        { selector: "node[current = 1]", style: {
          "background-color": "#1b3a5c", "color": "#ffffff", "border-width": 2, "font-weight": "bold" } },
        { selector: "node[retired = 1]", style: { "border-style": "dashed", "opacity": 0.7 } },
        { selector: "edge", style: {
          "width": 2, "curve-style": "bezier", "line-color": "data(colour)", "target-arrow-color": "data(colour)",
          "target-arrow-shape": "triangle", "label": "data(label)", "font-size": 10, "color": "#33475b",
          "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2,
          "text-rotation": "autorotate" } },
        { selector: "node:selected", style: { "border-color": "#D55E00", "border-width": 3 } }
      ],
      layout: { name: "null" }
    });
    cy.layout({
      name: "breadthfirst",
      directed: true,
      roots: cy.nodes().roots(),
      spacingFactor: 1.1,
      padding: 16,
      // breadthfirst lays out top to bottom; turn it so sources sit left and derived datasets right
      transform: function (node, pos) { return { x: pos.y * 1.9, y: pos.x * 0.55 }; }
    }).run();
    cy.on("tap", "node", function (evt) {
      var id = evt.target.id();
      if (id !== current) { window.location.href = (words.prefix || "") + "/datasets/" + encodeURIComponent(id); }
    });
    cy.on("mouseover", "node", function (evt) {
      if (evt.target.id() !== current) { canvas.style.cursor = "pointer"; }
    });
    cy.on("mouseout", "node", function () { canvas.style.cursor = ""; });
    cy.ready(function () { cy.fit(undefined, 16); });

    var bar = el("div", { "class": "lineage-bar" });
    var legend = el("ul", { "class": "lineage-legend", "aria-label": say("legend", "Activities") });
    var used = {};
    answer.edges.forEach(function (e) { used[kindOf(e.activity).label] = kindOf(e.activity).colour; });
    Object.keys(used).sort().forEach(function (label) {
      var li = el("li");
      var sw = el("span", { "class": "swatch" });
      sw.style.background = used[label];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(label));
      legend.appendChild(li);
    });
    var fit = el("button", { type: "button" }, say("fit", "Fit"));
    fit.addEventListener("click", function () { cy.fit(undefined, 16); });
    bar.appendChild(el("span", {}, say("help", "Sources left, derived datasets right. Click a dataset to open it.")));
    bar.appendChild(legend);
    bar.appendChild(fit);
    holder.appendChild(bar);
    holder.setAttribute("data-state", "ready");
    holder.setAttribute("data-nodes", String(cy.nodes().length));
    holder.setAttribute("data-edges", String(cy.edges().length));
    window.registryLineage = cy;
  }

  holder.setAttribute("data-state", "loading");
  fetch(holder.getAttribute("data-lineage-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("lineage: HTTP " + r.status); } return r.json(); })
    .then(draw)
    .catch(function () { holder.setAttribute("data-state", "failed"); });
}());
