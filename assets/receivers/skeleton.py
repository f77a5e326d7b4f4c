{ABOUT}
# Bodies over 1 MiB get 413, a chunked or bad length 411/400; each connection has its
# own thread, and a client silent for 10 s is dropped.
#
{INSTALL}
#   {ENV}=... PORT=3000 python3 receiver.py
import http.server
import os
import sys
{IMPORTS}

SECRET = os.environ.get("{ENV}") or sys.exit("set {ENV} to {ENV_WHAT}")
PORT = int(os.environ.get("PORT", "3000"))
MAX_BODY = 1 << 20  # a webhook is a few kilobytes


{VERIFY}


class Hook(http.server.BaseHTTPRequestHandler):
    timeout = 10  # seconds a client may stay silent (its socket's timeout)

    def do_POST(self):
        if "Transfer-Encoding" in self.headers:
            self.answer(411)  # chunked bodies are not read here: ask for a length
            return
        length = self.headers.get("Content-Length", "0")
        if not length.strip().isdigit():
            self.answer(400)
            return
        if int(length) > MAX_BODY:
            self.answer(413)
            return
        body = self.rfile.read(int(length))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            genuine = verify(headers, body)
        except Exception:  # every way a check fails: a forged or broken request
            genuine = False
        if not genuine:
            self.answer(401)
            return
        # Senders retry: process each event (each message id) once.
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
