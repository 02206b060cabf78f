/* The upload form's drop zone: files dropped on it become the file input's
   files, and the chosen files are listed. Without JavaScript (or without
   drag and drop) the native file picker does the same job. */
(function () {
  "use strict";
  function init() {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("id_files");
    var list = document.getElementById("chosen-files");
    if (!zone || !input || !list) return;
    var hint = zone.querySelector(".drop-hint");
    if (hint) hint.hidden = false;
    function show() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name;
        list.appendChild(item);
      });
      if (input.files.length) {
        var total = document.createElement("li");
        total.className = "chosen-total";
        total.textContent = "共 " + input.files.length + " 个文件";
        list.appendChild(total);
      }
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
