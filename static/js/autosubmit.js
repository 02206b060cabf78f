/* Menus marked data-autosubmit apply at once: changing one submits its form.
   Without JavaScript the form's own button does it (the fallback); with it,
   a button marked data-autosubmit-button is hidden, having nothing to add. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    if (!form) return;
    form.querySelectorAll("[data-autosubmit-button]").forEach(function (button) { button.hidden = true; });
    select.addEventListener("change", function () {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  });
})();
