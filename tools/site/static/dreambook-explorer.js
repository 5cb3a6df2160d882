// Served by the site itself (tools/site/static, see dreambook/widgets/static.py).
// A static explorer holds, in a JSON script, the picture and alt text its Python
// code drew at every point of a grid of its controls; this swaps them as the
// native controls (range inputs, radio groups) move. No request is made.
(function () {
  "use strict";
  function init(root) {
    var dataEl = root.querySelector("script.dbx-data");
    var img = root.querySelector("img.dbx-picture");
    if (!dataEl || !img) return;
    var spec = JSON.parse(dataEl.textContent);
    var sel = spec.controls.map(function (c) { return c.index; });
    function show() {
      var k = 0;
      for (var i = 0; i < spec.controls.length; i++) {
        k = k * spec.controls[i].labels.length + sel[i];
      }
      var state = spec.states[k];
      img.src = "data:" + spec.mime + ";base64," + spec.images[state[0]];
      img.alt = state[1];
      root.setAttribute("data-dbx-state", String(k));
    }
    root.querySelectorAll("[data-dbx-control]").forEach(function (input) {
      var i = Number(input.getAttribute("data-dbx-control"));
      var control = spec.controls[i];
      function moved() {
        if (input.type === "radio" && !input.checked) return;
        sel[i] = Number(input.value);
        if (input.type === "range") {
          var text = control.labels[sel[i]];
          input.setAttribute("aria-valuetext", control.label + " = " + text);
          var out = root.querySelector('output[for="' + input.id + '"]');
          if (out) out.textContent = text;
        }
        show();
      }
      input.addEventListener("input", moved);
      input.addEventListener("change", moved);
    });
    show();
    root.classList.add("dbx-ready");
  }
  function initAll() {
    document.querySelectorAll(".dbx-explorer").forEach(init);
    // matplotlib's HTML animations (to_jshtml) leave their frame slider unnamed.
    document.querySelectorAll('input[id^="_anim_slider"]').forEach(function (el) {
      if (!el.getAttribute("aria-label")) el.setAttribute("aria-label", "animation frame");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
