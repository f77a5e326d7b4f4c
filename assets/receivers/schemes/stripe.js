npm install stripe
---
const Stripe = require('stripe');
---
function verify(headers, body) {
  // Stripe's own check: a v1 signature over "{t}.{body}" with the whole whsec_...
  // secret (any one of several, while a secret is rotated), t within 5 minutes.
  Stripe.webhooks.constructEvent(body, headers['stripe-signature'] || '', secret);
  return true;
}
