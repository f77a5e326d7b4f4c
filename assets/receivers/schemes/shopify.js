nothing to install: Node's crypto
---
const crypto = require('crypto');
---
function verify(headers, body) {
  // X-Shopify-Hmac-Sha256: the base64 HMAC-SHA256 of the raw body, compared in
  // constant time (equal lengths first: timingSafeEqual throws otherwise).
  const expected = Buffer.from(crypto.createHmac('sha256', secret).update(body).digest('base64'));
  const given = Buffer.from(headers['x-shopify-hmac-sha256'] || '');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
