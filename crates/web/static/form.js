// Progressive enhancement for the report form. Without this script the form still works:
// address search is a plain GET form and coordinates can be typed.
// With it: "use my location", address suggestions while typing, a map picker when a tile
// server is configured, and a list of open reports of the same category nearby.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.fetch) {
    return;
  }
  var category = form.dataset.category;
  var latitude = document.getElementById("latitude");
  var longitude = document.getElementById("longitude");
  var address = document.getElementById("address");
  var suggestions = document.getElementById("address-suggestions");
  var status = document.getElementById("location-status");
  var duplicates = document.getElementById("duplicates");
  var locateButton = document.getElementById("use-location");
  var marker = null;
  var map = null;
  var places = [];

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function point() {
    var lat = parseFloat(latitude.value.replace(",", "."));
    var lon = parseFloat(longitude.value.replace(",", "."));
    return isFinite(lat) && isFinite(lon) ? { lat: lat, lon: lon } : null;
  }

  function showDuplicates() {
    var here = point();
    duplicates.textContent = "";
    if (!here || !category) {
      return;
    }
    getJson("/api/v1/reports/nearby?category=" + encodeURIComponent(category) + "&lat=" + here.lat + "&lon=" + here.lon)
      .then(function (body) {
        duplicates.textContent = "";
        if (body.reports.length === 0) {
          return;
        }
        var heading = document.createElement("h3");
        heading.textContent = duplicates.dataset.heading;
        var hint = document.createElement("p");
        hint.className = "hint";
        hint.textContent = duplicates.dataset.hint;
        var list = document.createElement("ul");
        list.className = "duplicate-list";
        body.reports.forEach(function (report) {
          var item = document.createElement("li");
          item.className = "duplicate";
          if (report.thumbnail_url) {
            // The page serves the same thumbnail under its own path, with the session cookie.
            var photo = document.createElement("img");
            photo.src = report.thumbnail_url.replace(/^\/api\/v1/, "");
            photo.alt = duplicates.dataset.photo + " " + report.number;
            photo.loading = "lazy";
            item.appendChild(photo);
          }
          var line = document.createElement("p");
          line.textContent = "№ " + report.number + " · " + report.status_name + " · " + report.created_text +
            " · " + report.distance_m + " " + duplicates.dataset.distance;
          item.appendChild(line);
          // The list sits inside the filing form, so joining is a button that sends that form,
          // with its CSRF token, to the join route instead.
          var join = document.createElement("button");
          join.type = "submit";
          join.className = "secondary";
          join.formAction = "/reports/" + encodeURIComponent(report.number) + "/followers";
          join.formMethod = "post";
          join.formEnctype = "application/x-www-form-urlencoded";
          join.formNoValidate = true;
          join.textContent = duplicates.dataset.join;
          item.appendChild(join);
          list.appendChild(item);
        });
        var rendered = document.getElementById("duplicates-list");
        if (rendered) {
          rendered.remove();
        }
        duplicates.appendChild(heading);
        duplicates.appendChild(hint);
        duplicates.appendChild(list);
      })
      .catch(function () { duplicates.textContent = ""; });
  }

  function setPoint(lat, lon, fillAddress) {
    latitude.value = lat.toFixed(6);
    longitude.value = lon.toFixed(6);
    if (map) {
      if (marker) {
        marker.setLatLng([lat, lon]);
      } else {
        marker = window.L.marker([lat, lon]).addTo(map);
      }
    }
    if (fillAddress) {
      getJson("/api/v1/geocode/reverse?lat=" + lat + "&lon=" + lon)
        .then(function (body) {
          if (body.place && address.value.trim() === "") {
            address.value = body.place.label;
          }
          if (!body.inside) {
            status.textContent = status.dataset.outside || "";
          }
        })
        .catch(function () {});
    }
    showDuplicates();
  }

  // Address suggestions while typing; choosing one fills the coordinates.
  var typingTimer = null;
  address.addEventListener("input", function () {
    var chosen = places.filter(function (place) { return place.label === address.value; })[0];
    if (chosen) {
      setPoint(chosen.lat, chosen.lon, false);
      return;
    }
    clearTimeout(typingTimer);
    var query = address.value.trim();
    if (query.length < 3) {
      return;
    }
    typingTimer = setTimeout(function () {
      getJson("/api/v1/geocode/search?q=" + encodeURIComponent(query))
        .then(function (body) {
          places = body.places;
          suggestions.textContent = "";
          places.forEach(function (place) {
            var option = document.createElement("option");
            option.value = place.label;
            suggestions.appendChild(option);
          });
        })
        .catch(function () {});
    }, 250);
  });

  latitude.addEventListener("change", showDuplicates);
  longitude.addEventListener("change", showDuplicates);

  if (locateButton && navigator.geolocation) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          setPoint(position.coords.latitude, position.coords.longitude, true);
          status.textContent = locateButton.dataset.found || "";
        },
        function () {
          status.textContent = locateButton.dataset.failed || "";
        },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
  }

  // The map appears only when a tile server is configured and Leaflet loaded; if tiles fail,
  // it hides itself and the fields above remain.
  var mapElement = document.getElementById("map");
  if (mapElement && window.L) {
    mapElement.hidden = false;
    document.getElementById("map-hint").hidden = false;
    var start = point() || { lat: 55.7558, lon: 37.6173 };
    map = window.L.map(mapElement, { keyboard: true }).setView([start.lat, start.lon], point() ? 16 : 11);
    var tiles = window.L.tileLayer(mapElement.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    var failures = 0;
    tiles.on("tileerror", function () {
      failures += 1;
      if (failures === 4) {
        mapElement.hidden = true;
        document.getElementById("map-hint").hidden = true;
      }
    });
    if (point()) {
      marker = window.L.marker([start.lat, start.lon]).addTo(map);
    }
    map.on("click", function (event) {
      setPoint(event.latlng.lat, event.latlng.lng, true);
    });
  }

  if (point()) {
    showDuplicates();
  }
})();
