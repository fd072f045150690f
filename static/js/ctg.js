/* CTG page behaviours, loaded by every page (no inline script: the
   Content-Security-Policy forbids it). Each behaviour is declared in the
   markup with a data- attribute. */
(function () {
  "use strict";

  // <form data-confirm="Question ?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <button data-add-row="prefix">: add one form to the formset "prefix",
  // from <template id="prefix-template"> into #prefix-rows.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) return;
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-template");
    var rows = document.getElementById(prefix + "-rows");
    if (!total || !template || !rows) return;
    var html = template.innerHTML.replace(/__prefix__/g, total.value);
    rows.insertAdjacentHTML("beforeend", html);
    total.value = parseInt(total.value, 10) + 1;
  });

  // A table wider than the screen scrolls sideways in its .table-responsive box: while it
  // does, the box takes the keyboard focus (the arrow keys scroll it) and is a region named
  // after its table (RGAA 7.3, 12.8). Only the attributes set here are taken back.
  function tableName(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    for (var el = box.previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) return el.textContent.trim();
    }
    var section = box.closest("[aria-labelledby]");
    var heading = section && document.getElementById(section.getAttribute("aria-labelledby"));
    return heading ? heading.textContent.trim() : "";
  }
  function scrollableTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var name = tableName(box);
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "Tableau défilant" + (name ? " : " + name : ""));
        box.setAttribute("data-ctg-scrollable", "");
      } else if (!scrolls && box.hasAttribute("data-ctg-scrollable")) {
        ["tabindex", "role", "aria-label", "data-ctg-scrollable"].forEach(function (attribute) {
          box.removeAttribute(attribute);
        });
      }
    });
  }
  scrollableTables();
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(scrollableTables, 150);
  });

  // <input data-filter-checks="#box">: show only the checkboxes of #box whose label
  // contains the typed text (case and accents ignored). Hidden until this script runs.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("[data-filter-checks]").forEach(function (input) {
    var box = document.querySelector(input.getAttribute("data-filter-checks"));
    if (!box) return;
    input.hidden = false;
    // Enter in the filter must not submit the form it sits in.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      box.querySelectorAll(".form-check").forEach(function (check) {
        check.hidden = wanted !== "" && fold(check.textContent).indexOf(wanted) === -1;
      });
    });
  });
})();
