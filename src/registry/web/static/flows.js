// The transparency register's flow diagram: a Plotly Sankey of institution -> institution, one band per
// legal authority. Data comes from the page (#flows-data), its labels in the page's language; Plotly is served by
// this site. The table after the diagram (#flow-table) says the same for keyboards and screen readers.
(function () {
  "use strict";
  var holder = document.getElementById("flow-diagram");
  var source = document.getElementById("flows-data");
  if (!holder || !source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = data.colours || {};
  function fade(hex) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + ",0.55)";
  }
  var trace = {
    type: "sankey",
    orientation: "h",
    arrangement: "snap",
    valueformat: "d",
    valuesuffix: " " + ((data.text || {}).agreements || "agreements"),
    node: {
      label: data.nodes.map(function (n) { return n.label; }),
      customdata: data.nodes.map(function (n) { return n.id; }),
      pad: 18, thickness: 18,
      color: data.nodes.map(function () { return "#33475b"; }),
      line: { color: "#1b2631", width: 0.5 },
      hovertemplate: "%{label}<extra></extra>"
    },
    link: {
      source: data.links.map(function (l) { return l.source; }),
      target: data.links.map(function (l) { return l.target; }),
      value: data.links.map(function (l) { return l.value; }),
      label: data.links.map(function (l) { return l.label; }),
      color: data.links.map(function (l) { return fade(colours[l.authority] || "#999999"); }),
      hovertemplate: "%{source.label} → %{target.label}<br>%{label}: %{value}<extra></extra>"
    }
  };
  var height = Math.max(320, 60 * data.nodes.length);
  Plotly.newPlot(holder, [trace], {
    font: { family: "system-ui, sans-serif", size: 13, color: "#1b2631" },
    margin: { l: 8, r: 8, t: 8, b: 8 },
    height: height,
    paper_bgcolor: "rgba(0,0,0,0)"
  }, { displayModeBar: false, responsive: true });
})();
