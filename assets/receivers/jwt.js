npm install jsonwebtoken
---
const jwt = require('jsonwebtoken');
---
function verify(headers, body) {
  // {WHERE}.
  // Only {ALG}: the algorithm is never taken from the token's header.
  {TOKEN}
  const claims = jwt.verify(token, secret, { algorithms: ['{ALG}'] });
  console.log('hook', JSON.stringify(claims.events));
  return true;
}
