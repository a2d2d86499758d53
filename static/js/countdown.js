/*
 * Keeps the server-rendered countdown of a call page ("还剩 5 天 3 小时") current while the page is
 * open. Progressive enhancement: without this script the page shows the text the server rendered.
 *
 * Everything comes from data attributes on the element (no inline script, strict CSP):
 *   data-countdown-target    ISO date-time the countdown runs to (closing or opening of the call)
 *   data-countdown-now       the server's clock when it rendered the page: the server clock decides,
 *                            so a wrong clock on the phone does not move the deadline
 *   data-countdown-template  the sentence in the page's language, with {time}
 *   data-countdown-units     {"day": ["{n} day", "{n} days"], "hour": [...], "minute": [...]}
 *   data-countdown-done      what to show when the moment has passed
 *   data-countdown-disables  id of the Apply link to disable when the call closes (optional)
 * The text is built like cms/call_facts.py builds it: the two largest units, rounded down.
 */
(function () {
  "use strict";

  var MINUTE = 60 * 1000;
  var HOUR = 60 * MINUTE;
  var DAY = 24 * HOUR;

  function unit(units, name, count) {
    var forms = units[name];
    return (count === 1 ? forms[0] : forms[1]).replace("{n}", String(count));
  }

  function describe(left, units) {
    var days = Math.floor(left / DAY);
    var hours = Math.floor((left % DAY) / HOUR);
    var minutes = Math.floor((left % HOUR) / MINUTE);
    var parts = [];
    if (days > 0) {
      parts.push(unit(units, "day", days));
      if (hours > 0) parts.push(unit(units, "hour", hours));
    } else if (hours > 0) {
      parts.push(unit(units, "hour", hours));
      if (minutes > 0) parts.push(unit(units, "minute", minutes));
    } else {
      parts.push(unit(units, "minute", Math.max(minutes, 1)));
    }
    return parts.join(" ");
  }

  function disable(id) {
    var link = id && document.getElementById(id);
    if (!link) return;
    link.setAttribute("aria-disabled", "true");
    link.removeAttribute("href");
  }

  function start(element) {
    var data = element.dataset;
    var target = Date.parse(data.countdownTarget);
    var serverNow = Date.parse(data.countdownNow);
    var units;
    try {
      units = JSON.parse(data.countdownUnits);
    } catch (error) {
      return; // keep the server's text
    }
    if (isNaN(target) || isNaN(serverNow) || !units || !data.countdownTemplate) return;
    var skew = serverNow - Date.now();
    var text = element.querySelector("[data-countdown-text]") || element;
    var REFRESH = 20 * 1000;

    function tick() {
      var left = target - (Date.now() + skew);
      if (left <= 0) {
        text.textContent = data.countdownDone || "";
        disable(data.countdownDisables);
        return;
      }
      text.textContent = data.countdownTemplate.replace("{time}", describe(left, units));
      // Wake up at the deadline itself when it comes before the next refresh.
      window.setTimeout(tick, Math.min(REFRESH, left + 50));
    }

    tick();
  }

  function init() {
    var elements = document.querySelectorAll("[data-countdown-target]");
    for (var i = 0; i < elements.length; i += 1) start(elements[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
