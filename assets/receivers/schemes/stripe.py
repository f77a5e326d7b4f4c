pip install stripe
---
import stripe
---
def verify(headers, body):
    # Stripe's own check: a v1 signature over "{t}.{body}" with the whole whsec_...
    # secret (any one of several, while a secret is rotated), t within 5 minutes.
    stripe.Webhook.construct_event(body, headers.get("stripe-signature", ""), SECRET)
    return True
