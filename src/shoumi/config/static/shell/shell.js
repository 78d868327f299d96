// shoumi shell behaviour. Loaded from our own origin; no inline scripts (CSP).
(function () {
  "use strict";

  // Idle timeout: the server logs an idle session out on its next request;
  // this only sends the browser to the login page when the time is up, so an
  // unattended screen stops showing client data.
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  if (idleSeconds > 0) {
    var loginUrl = body.getAttribute("data-login-url");
    var timer = null;
    var reset = function () {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () {
        window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
      }, (idleSeconds + 5) * 1000);
    };
    document.addEventListener("htmx:afterRequest", reset);
    reset();
  }

  // Elements marked data-hide-after="N" are removed N seconds after they
  // appear (revealed values), also when they arrive through htmx.
  var scheduleHide = function (root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("[data-hide-after]") : [];
    Array.prototype.forEach.call(nodes, function (node) {
      var seconds = parseInt(node.getAttribute("data-hide-after"), 10) || 30;
      window.setTimeout(function () {
        var replacement = node.getAttribute("data-hidden-text") || "";
        var span = document.createElement("span");
        span.className = "masked";
        span.textContent = replacement;
        node.replaceWith(span);
      }, seconds * 1000);
    });
  };
  document.addEventListener("DOMContentLoaded", function () { scheduleHide(document); });
  document.addEventListener("htmx:load", function (event) { scheduleHide(event.target); });
})();
