// Production payment page: Stripe's Payment Element confirms the PaymentIntent in the browser
// (card numbers go to Stripe, never to this server). The server learns the outcome from the signed
// webhook, not from this script. Against a local Stripe server the page has a test-card form instead
// and this file is not loaded (see grants/stripe_gateway.py).
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var lang = (document.documentElement.lang || "").toLowerCase();
  var locale = lang.indexOf("zh") === 0 ? "zh" : lang.indexOf("en") === 0 ? "en" : "auto";
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret, locale: locale });
  var payment = elements.create("payment");
  payment.mount("#payment-element");
  var errors = document.getElementById("payment-errors");
  var button = document.getElementById("payment-submit");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.hidden = true;
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        // Only reached on an immediate error; success redirects to the return URL.
        if (result.error) {
          errors.textContent = result.error.message;
          errors.hidden = false;
          button.disabled = false;
        }
      });
  });
})();
