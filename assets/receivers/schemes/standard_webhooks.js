npm install standardwebhooks
---
const { Webhook } = require('standardwebhooks');
---
const webhook = new Webhook(secret);

function verify(headers, body) {
  // Standard Webhooks' own check: a v1 signature over "{id}.{timestamp}.{body}" with
  // the key after whsec_ (any one of several), the timestamp within 5 minutes.
  webhook.verify(body, headers);
  return true;
}
