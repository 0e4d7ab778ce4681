// Progressive enhancement for the report form: "use my location" fills the coordinates.
// The form works completely without this script.
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (!button || !navigator.geolocation) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(
      function (position) {
        document.getElementById("latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = position.coords.longitude.toFixed(6);
        status.textContent = button.dataset.found || "";
      },
      function () {
        status.textContent = button.dataset.failed || "";
      },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });
})();
