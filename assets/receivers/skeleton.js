{ABOUT}
// Bodies over 1 MiB get 413; slow and idle clients are timed out.
//
{INSTALL}
//   {ENV}=... PORT=3000 node receiver.js
const http = require('http');
{IMPORTS}

const secret = process.env.{ENV};
if (!secret) {
  console.error("set {ENV} to {ENV_WHAT}");
  process.exit(1);
}
const port = Number(process.env.PORT || 3000);
const MAX_BODY = 1 << 20; // a webhook is a few kilobytes

{VERIFY}

const server = http.createServer((req, res) => {
  const tooLarge = () => {
    res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' }).end('body too large');
    req.destroy();
  };
  if (Number(req.headers['content-length'] || 0) > MAX_BODY) {
    tooLarge();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      tooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => req.destroy());
  req.on('end', () => {
    if (size > MAX_BODY) return;
    const body = Buffer.concat(chunks);
    // Every way a check fails (a throw, a rejection, false) is a forged or broken request.
    Promise.resolve()
      .then(() => verify(req.headers, body))
      .catch(() => false)
      .then((genuine) => {
        if (!genuine) {
          res.writeHead(401, { 'Content-Type': 'text/plain' }).end('invalid signature');
          return;
        }
        // Senders retry: process each event (each message id) once.
        res.writeHead(200).end();
      });
  });
});
// A client gets 10 s for its head and its whole request, and 5 s idle between
// requests; no client can hold the server.
server.headersTimeout = 10000;
server.requestTimeout = 10000;
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1');
