// A Truora hook receiver in Node: the raw body is the token, verified with the
// hook's secret and {ALG} only (algorithms: ['{ALG}']), before any claim is used.
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

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const token = Buffer.concat(chunks).toString('utf8').trim();
      let claims;
      try {
        claims = jwt.verify(token, secret, { algorithms: ['{ALG}'] });
      } catch (err) {
        res.writeHead(401, { 'Content-Type': 'text/plain' }).end('invalid hook');
        return;
      }
      // Truora retries: process each event id once.
      console.log('hook', JSON.stringify(claims.events));
      res.writeHead(200).end();
    });
  })
  .listen(port, '127.0.0.1');
