// Evaluation score sheet: the live total and grade as the evaluator types (the server computes
// the sealed total again on submission; this is only a guide). No inline script: strict CSP.
(function () {
  "use strict";
  function number(input) {
    var value = parseFloat(String(input.value || "").replace("，", ".").replace(",", "."));
    return isNaN(value) ? null : value;
  }
  function update(form) {
    var total = 0;
    var complete = true;
    form.querySelectorAll("[data-evaluation-score]").forEach(function (input) {
      var value = number(input);
      var max = parseFloat(input.getAttribute("data-max"));
      if (value === null || value < 0 || value > max) { complete = false; return; }
      total += value;
    });
    var bonus = form.querySelector("[data-evaluation-bonus]");
    var penalty = form.querySelector("[data-evaluation-penalty]");
    total += (bonus && number(bonus)) || 0;
    total -= (penalty && number(penalty)) || 0;
    total = Math.max(0, Math.min(100, total));
    var out = document.getElementById("evaluation-total");
    var grade = document.getElementById("evaluation-grade");
    var holder = out && out.closest("[data-pass-mark]");
    if (!out) { return; }
    out.textContent = total.toFixed(2) + (complete ? "" : " …");
    if (grade && holder) {
      var passMark = parseFloat(holder.getAttribute("data-pass-mark"));
      var labels = holder.dataset;
      var code = total < passMark ? "fail" : total >= 90 ? "excellent" : total >= 75 ? "good" : "pass";
      grade.textContent = labels["grade" + code.charAt(0).toUpperCase() + code.slice(1)] || code;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("evaluation-form");
    if (!form) { return; }
    form.addEventListener("input", function () { update(form); });
    update(form);
  });
})();
