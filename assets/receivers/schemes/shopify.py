nothing to install: the standard library's hmac
---
import base64
import hashlib
import hmac
---
def verify(headers, body):
    # X-Shopify-Hmac-Sha256: the base64 HMAC-SHA256 of the raw body, compared in
    # constant time.
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers.get("x-shopify-hmac-sha256", ""))
