// An essay shown in pages (essays.views.essay_detail): a link to #p<n> that
// is not on this page, such as an older citation of /essays/<id>/#p350,
// goes to the page that holds paragraph n.
(function () {
  var body = document.querySelector(".essay-body[data-per-page]");
  if (!body) return;
  function go() {
    var m = /^#p(\d+)$/.exec(location.hash);
    if (!m || document.getElementById("p" + m[1])) return;
    var page = String(Math.floor((parseInt(m[1], 10) - 1) / parseInt(body.dataset.perPage, 10)) + 1);
    var params = new URLSearchParams(location.search);
    if ((params.get("page") || "1") === page) return;  // no such paragraph: stay
    params.set("page", page);
    location.replace(location.pathname + "?" + params.toString() + location.hash);
  }
  go();
  window.addEventListener("hashchange", go);
})();
