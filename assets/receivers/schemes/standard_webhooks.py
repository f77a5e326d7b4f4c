pip install standardwebhooks
---
from standardwebhooks.webhooks import Webhook
---
WEBHOOK = Webhook(SECRET)


def verify(headers, body):
    # Standard Webhooks' own check: a v1 signature over "{id}.{timestamp}.{body}" with
    # the key after whsec_ (any one of several), the timestamp within 5 minutes.
    WEBHOOK.verify(body, headers)
    return True
