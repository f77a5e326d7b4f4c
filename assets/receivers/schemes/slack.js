nothing to install: Node's crypto (Slack's verifier lives inside Bolt)
---
const crypto = require('crypto');
---
function verify(headers, body) {
  // X-Slack-Signature: "v0=" and the hex HMAC-SHA256 of "v0:{timestamp}:{body}",
  // compared in constant time; the timestamp within 5 minutes of now.
  const timestamp = headers['x-slack-request-timestamp'] || '';
  const age = Math.floor(Date.now() / 1000) - Number(timestamp);
  if (!/^[0-9]+$/.test(timestamp) || Math.abs(age) > 300) return false;
  const mac = crypto.createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body);
  const expected = Buffer.from('v0=' + mac.digest('hex'));
  const given = Buffer.from(headers['x-slack-signature'] || '');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
