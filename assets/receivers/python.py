# A Truora hook receiver in Python: {WHERE}, verified with the
# hook's secret and {ALG} only (algorithms=["{ALG}"]), before any claim is used.
# Bodies over 1 MiB get 413, a chunked or bad length 411/400; each connection has
# its own thread, and a client silent for 10 s is dropped.
#
#   pip install pyjwt
#   TRUORA_HOOK_SECRET=... PORT=3000 python3 receiver.py
import http.server
import json
import os
import sys
import urllib.parse

import jwt

SECRET = os.environ.get("TRUORA_HOOK_SECRET") or sys.exit("set TRUORA_HOOK_SECRET to the hook's secret")
PORT = int(os.environ.get("PORT", "3000"))
MAX_BODY = 1 << 20  # a Truora hook is a few kilobytes


class Hook(http.server.BaseHTTPRequestHandler):
    timeout = 10  # seconds a client may stay silent (its socket's timeout)

    def do_POST(self):
        if "Transfer-Encoding" in self.headers:
            self.answer(411)  # chunked bodies are not read here: ask for a length
            return
        # No length: no body (RFC 9112 6.3), as when the token is in a header.
        length = self.headers.get("Content-Length", "0")
        if not length.strip().isdigit():
            self.answer(400)
            return
        if int(length) > MAX_BODY:
            self.answer(413)
            return
        body = self.rfile.read(int(length))
        try:
            {TOKEN}
            claims = jwt.decode(token, SECRET, algorithms=["{ALG}"])
        except (jwt.InvalidTokenError, ValueError, LookupError, TypeError):
            self.answer(401)
            return
        # Truora retries: process each event id once.
        print("hook", json.dumps(claims.get("events")), flush=True)
        self.answer(200)

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        if status >= 400 and status != 401:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


Server(("127.0.0.1", PORT), Hook).serve_forever()
