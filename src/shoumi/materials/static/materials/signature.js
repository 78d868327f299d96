// Signature pad for the intake form, loaded from our own origin because the
// CSP allows no inline scripts. Pointer events cover mouse, pen and touch, so
// a client can sign on a tablet. touch-action: none in materials.css stops the
// page from scrolling while they sign. The drawing goes to the server as a PNG
// data URL in a hidden field, and the server checks it and stores it encrypted.
(function () {
  "use strict";

  var canvas = document.getElementById("signature-pad");
  if (!canvas) { return; }
  var target = document.getElementById(canvas.getAttribute("data-target"));
  var context = canvas.getContext("2d");
  var drawing = false;
  var hasInk = false;
  var last = null;

  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";

  // Canvas pixels differ from CSS pixels when the box is scaled to the screen.
  var point = function (event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height)
    };
  };

  var store = function () {
    if (target) { target.value = hasInk ? canvas.toDataURL("image/png") : ""; }
  };

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
    context.fill();
    hasInk = true;
  });

  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    event.preventDefault();
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
  });

  var finish = function () {
    if (!drawing) { return; }
    drawing = false;
    store();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("pointerleave", finish);

  var clear = document.getElementById("signature-clear");
  if (clear) {
    clear.addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      hasInk = false;
      store();
    });
  }
})();
