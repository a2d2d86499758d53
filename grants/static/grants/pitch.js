/*
 * The live pitch (路演) screens: the 8 + 7 minute timer, and the judge's score form.
 * Everything comes from data attributes (no inline script: the site runs under a strict CSP).
 *
 * Timer — [data-pitch-timer]:
 *   data-started      ISO date-time the officer pressed "Start pitch" (from the server)
 *   data-now          the server's clock when it rendered the element
 *   data-pitch, data-qa   the pitch and the questions in seconds
 *   data-label-pitch  e.g. "Pitch {clock}"; data-label-qa "Q&A {clock}"; data-label-over "Time up"
 * Every phone counts from the server's start time, corrected by the difference between the
 * server's clock and the phone's, so all phones and the room display agree even when a phone's
 * clock is wrong. htmx replaces the live panels every few seconds, so the timers are looked up
 * on every tick rather than bound once.
 *
 * Score form — [data-pitch-score] with inputs [data-score-input] (data-min, data-top,
 * data-weight, data-threshold, data-comment-for): shows the judge their own weighted total as
 * they type, and opens a criterion's comment box when its score falls below the call's
 * threshold (the server requires a comment there). Without this script the form still works.
 */
(function () {
  "use strict";

  var skews = typeof WeakMap === "function" ? new WeakMap() : null;

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function clock(seconds) {
    var whole = Math.max(0, Math.ceil(seconds));
    return pad(Math.floor(whole / 60)) + ":" + pad(whole % 60);
  }

  function skewOf(element, serverNow) {
    if (!skews) return serverNow - Date.now();
    if (!skews.has(element)) skews.set(element, serverNow - Date.now());
    return skews.get(element);
  }

  function tick(element) {
    var data = element.dataset;
    var started = Date.parse(data.started);
    var serverNow = Date.parse(data.now);
    var pitch = Number(data.pitch);
    var qa = Number(data.qa);
    if (isNaN(started) || isNaN(serverNow) || isNaN(pitch) || isNaN(qa)) return;
    var elapsed = Math.max(0, (Date.now() + skewOf(element, serverNow) - started) / 1000);
    var phase;
    var text;
    if (elapsed < pitch) {
      phase = "pitch";
      text = (data.labelPitch || "{clock}").replace("{clock}", clock(pitch - elapsed));
    } else if (elapsed < pitch + qa) {
      phase = "qa";
      text = (data.labelQa || "{clock}").replace("{clock}", clock(pitch + qa - elapsed));
    } else {
      phase = "over";
      text = data.labelOver || "";
    }
    if (element.textContent !== text) element.textContent = text;
    if (data.phase !== phase) element.setAttribute("data-phase", phase);
  }

  function tickAll() {
    var timers = document.querySelectorAll("[data-pitch-timer]");
    for (var i = 0; i < timers.length; i += 1) tick(timers[i]);
  }

  function scoreForm(form) {
    var inputs = form.querySelectorAll("[data-score-input]");
    var output = form.querySelector("[data-pitch-total]");

    function update() {
      var total = 0;
      var weights = 0;
      var complete = true;
      for (var i = 0; i < inputs.length; i += 1) {
        var input = inputs[i];
        var min = Number(input.dataset.min);
        var top = Number(input.dataset.top);
        var weight = Number(input.dataset.weight);
        var raw = input.value.trim();
        var value = raw === "" ? NaN : Number(raw);
        weights += weight;
        var box = document.getElementById(input.dataset.commentFor);
        if (isNaN(value) || value < min || value > top || top <= min) {
          complete = false;
          if (box) box.classList.remove("pitch-comment--needed");
          continue;
        }
        total += ((value - min) / (top - min)) * weight;
        var below = (value - min) * 100 < Number(input.dataset.threshold) * (top - min);
        if (box) {
          if (below) box.open = true;
          box.classList.toggle("pitch-comment--needed", below);
        }
      }
      if (!output) return;
      output.textContent =
        complete && weights > 0
          ? output.dataset.template.replace("{total}", ((total * 100) / weights).toFixed(2))
          : "";
    }

    form.addEventListener("input", update);
    update();
  }

  function init() {
    var forms = document.querySelectorAll("[data-pitch-score]");
    for (var i = 0; i < forms.length; i += 1) scoreForm(forms[i]);
    tickAll();
    window.setInterval(tickAll, 250);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
