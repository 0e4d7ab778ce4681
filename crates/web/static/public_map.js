// The public map: loads the reports inside the visible area from /api/v1/public/reports and
// draws points and clusters. The list under the map works without this script.
(function () {
  "use strict";
  var element = document.getElementById("public-map");
  var status = document.getElementById("public-map-status");
  if (!element || !window.L || !window.fetch) {
    return;
  }
  element.hidden = false;
  var map = window.L.map(element, { keyboard: true }).setView([55.7558, 37.6173], 10);
  window.L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  var layer = window.L.layerGroup().addTo(map);
  var request = 0;

  function popup(properties) {
    var box = document.createElement("div");
    [properties.category, properties.status_name, properties.created, properties.district || ""].forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  function load() {
    var bounds = map.getBounds();
    var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map(function (n) { return n.toFixed(5); }).join(",");
    var current = ++request;
    fetch("/api/v1/public/reports?bbox=" + bbox + "&zoom=" + map.getZoom())
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (current !== request || !body.features) {
          return;
        }
        layer.clearLayers();
        body.features.forEach(function (feature) {
          var position = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
          var properties = feature.properties;
          if (properties.cluster) {
            window.L.circleMarker(position, { radius: 10 + Math.min(20, Math.sqrt(properties.count) * 2) })
              .bindTooltip(properties.label, { permanent: true, direction: "center", className: "cluster-label" })
              .on("click", function () { map.setView(position, map.getZoom() + 2); })
              .addTo(layer);
          } else {
            window.L.marker(position, { alt: properties.category }).bindPopup(popup(properties)).addTo(layer);
          }
        });
        status.textContent = body.truncated ? element.dataset.truncated : "";
      })
      .catch(function () {});
  }

  map.on("moveend", load);
  load();
})();
