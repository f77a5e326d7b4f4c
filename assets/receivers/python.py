# A Truora hook receiver in Python: the raw body is the token, verified with the
# hook's secret and {ALG} only (algorithms=["{ALG}"]), before any claim is used.
#
#   pip install pyjwt
#   TRUORA_HOOK_SECRET=... PORT=3000 python3 receiver.py
import http.server
import json
import os
import sys

import jwt

SECRET = os.environ.get("TRUORA_HOOK_SECRET") or sys.exit("set TRUORA_HOOK_SECRET to the hook's secret")
PORT = int(os.environ.get("PORT", "3000"))


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            claims = jwt.decode(body.decode("utf-8").strip(), SECRET, algorithms=["{ALG}"])
        except (jwt.InvalidTokenError, UnicodeDecodeError):
            self.answer(401)
            return
        # Truora retries: process each event id once.
        print("hook", json.dumps(claims.get("events")), flush=True)
        self.answer(200)

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Hook).serve_forever()
