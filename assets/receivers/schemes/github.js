npm install @octokit/webhooks-methods
---
// @octokit/webhooks-methods is an ES module: imported when first needed.
---
async function verify(headers, body) {
  // Octokit's own check: X-Hub-Signature-256, "sha256=" and the hex HMAC-SHA256 of
  // the raw body, compared in constant time; the legacy SHA-1 header is not enough.
  const { verify: verifySignature } = await import('@octokit/webhooks-methods');
  return verifySignature(secret, body.toString('utf8'), headers['x-hub-signature-256'] || '');
}
