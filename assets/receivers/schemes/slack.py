pip install slack_sdk
---
from slack_sdk.signature import SignatureVerifier
---
VERIFIER = SignatureVerifier(SECRET)


def verify(headers, body):
    # Slack's own check: v0 over "v0:{timestamp}:{body}", the timestamp within 5 minutes.
    return VERIFIER.is_valid(
        body,
        headers.get("x-slack-request-timestamp", ""),
        headers.get("x-slack-signature", ""),
    )
