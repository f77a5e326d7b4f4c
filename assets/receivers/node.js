// A Truora hook receiver in Node: {WHERE}, verified with the
// hook's secret and {ALG} only (algorithms: ['{ALG}']), before any claim is used.
// Bodies over 1 MiB get 413; slow and idle clients are timed out.
//
//   npm install jsonwebtoken
//   TRUORA_HOOK_SECRET=... PORT=3000 node receiver.js
const http = require('http');
const jwt = require('jsonwebtoken');

const secret = process.env.TRUORA_HOOK_SECRET;
if (!secret) {
  console.error("set TRUORA_HOOK_SECRET to the hook's secret");
  process.exit(1);
}
const port = Number(process.env.PORT || 3000);
const MAX_BODY = 1 << 20; // a Truora hook is a few kilobytes

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
    let claims;
    try {
      {TOKEN}
      claims = jwt.verify(token, secret, { algorithms: ['{ALG}'] });
    } catch (err) {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('invalid hook');
      return;
    }
    // Truora retries: process each event id once.
    console.log('hook', JSON.stringify(claims.events));
    res.writeHead(200).end();
  });
});
// A client gets 10 s for its head and its whole request, and 5 s idle between
// requests; no client can hold the server.
server.headersTimeout = 10000;
server.requestTimeout = 10000;
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1');
