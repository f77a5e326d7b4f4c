pip install pyjwt
---
import json
import urllib.parse

import jwt
---
def verify(headers, body):
    # {WHERE}.
    # Only {ALG}: the algorithm is never taken from the token's header.
    {TOKEN}
    claims = jwt.decode(token, SECRET, algorithms=["{ALG}"])
    print("hook", json.dumps(claims.get("events")), flush=True)
    return True
