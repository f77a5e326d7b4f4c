nothing to install: the standard library's hmac
---
import hashlib
import hmac
---
def verify(headers, body):
    # X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw body, compared
    # in constant time; the legacy SHA-1 header alone is not enough.
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-hub-signature-256", ""))
