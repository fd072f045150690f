/* Committee form: the thematic only matters for a thematic group. */
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  var box = document.getElementById("div_id_thematic");
  if (!kind || !box) return;
  function sync() { box.hidden = kind.value !== "thematic"; }
  kind.addEventListener("change", sync);
  sync();
})();
