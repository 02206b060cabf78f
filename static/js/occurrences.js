// The essay page opened from a search (essays.views._mark_links): 上一处 /
// 下一处 step from the current mark (<mark id="m<k>">) to the one before or
// after it, the keys n / p do the same, and the current mark is marked. The
// links already work without this script (to the page's first or last mark).
(function () {
  var nav = document.querySelector(".occurrence-nav[data-marks]");
  if (!nav) return;
  var first = parseInt(nav.dataset.first || "0", 10);
  var last = parseInt(nav.dataset.last || "0", 10);
  var total = parseInt(nav.dataset.marks, 10);
  var prev = nav.querySelector(".occ-prev"), next = nav.querySelector(".occ-next");
  var position = nav.querySelector(".occ-position");
  var current = 0;

  function fromHash() {
    var m = /^#m(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) : 0;
  }
  function mark(k) {
    var old = document.querySelector("mark.current");
    if (old) old.classList.remove("current");
    var el = k ? document.getElementById("m" + k) : null;
    if (!el) return;
    current = k;
    el.classList.add("current");
    if (position) position.textContent = "第 " + k + " / " + total + " 处";
  }
  function target(step) {
    var k = current ? current + step : (step > 0 ? first : last);
    if (k >= first && k <= last && first) return "#m" + k;
    return step > 0 ? nav.dataset.afterUrl : nav.dataset.beforeUrl;
  }
  function go(step, event) {
    var href = target(step);
    if (!href) { if (event) event.preventDefault(); return; }
    if (href.charAt(0) === "#") {
      if (event) event.preventDefault();
      var k = parseInt(href.slice(2), 10);
      history.replaceState(null, "", href);
      mark(k);
      document.getElementById("m" + k).scrollIntoView({block: "center"});
    } else if (!event) {
      location.href = href;
    } else {
      event.currentTarget.href = href;
    }
  }
  prev.addEventListener("click", function (e) { go(-1, e); });
  next.addEventListener("click", function (e) { go(1, e); });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (e.ctrlKey || e.metaKey || e.altKey || tag === "input" || tag === "textarea" || tag === "select") return;
    if (e.key === "n") go(1, null);
    else if (e.key === "p") go(-1, null);
  });
  window.addEventListener("hashchange", function () { mark(fromHash()); });
  mark(fromHash());
})();
