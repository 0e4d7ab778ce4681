// Two OpenID Connect providers on 127.0.0.1 for Pomoshnik's sign-in tests, started by the Rust
// test harness (`tests/oidc/mod.rs`) with `node provider.mjs`.
//
// - The certified `oidc-provider` package with a one-field sign-in form: the account name typed
//   there becomes the subject. Account `unconfirmed` has `trusted: false` in userinfo, as an ESIA
//   account of the simplified level would; every other account is trusted.
// - A stand-in that speaks the same protocol (discovery, authorization code with PKCE S256,
//   client_secret_basic, JWKS) but issues ID tokens with one defect chosen by the client id:
//   `expired`, `wrong-nonce`, `wrong-audience`, or none for `valid`. oidc-provider has no setting
//   that issues such tokens, and the service must reject them.
//
// Environment: SERVICE_URL, the Pomoshnik base URL that callbacks go to. The script prints one
// JSON line `{"issuer": …, "crafted_issuer": …}` on standard output once both listen.

import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const serviceUrl = process.env.SERVICE_URL;
if (!serviceUrl) {
  console.error('SERVICE_URL is not set: expected the Pomoshnik base URL, such as http://127.0.0.1:8080');
  process.exit(2);
}

const CLIENT_SECRET = 'test-client-secret';
const callback = (code) => `${serviceUrl}/auth/${code}/callback`;

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function readForm(request) {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => resolve(new URLSearchParams(body)));
    request.on('error', reject);
  });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function base64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

function sendJson(response, status, value) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(value));
}

// --- The oidc-provider instance --------------------------------------------------------------

function accountClaims(accountId) {
  return {
    sub: accountId,
    email: `${accountId}@example.ru`,
    email_verified: true,
    trusted: accountId !== 'unconfirmed',
  };
}

async function startCertifiedProvider() {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'certified-key', use: 'sig', alg: 'RS256' };

  const client = (clientId, providerCode) => ({
    client_id: clientId,
    client_secret: CLIENT_SECRET,
    redirect_uris: [callback(providerCode)],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });

  const provider = new Provider(issuer, {
    clients: [client('pomoshnik-mosru', 'mosru'), client('pomoshnik-sberid', 'sberid'), client('pomoshnik-esia', 'esia')],
    jwks: { keys: [signingKey] },
    cookies: { keys: [base64url(randomBytes(32))] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], trust: ['trusted'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (context, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (context, accountId) => ({ accountId, claims: async () => accountClaims(accountId) }),
  });

  const providerCallback = provider.callback();
  server.on('request', (request, response) => {
    const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(request.url);
    if (!match) {
      providerCallback(request, response);
      return;
    }
    handleInteraction(provider, request, response, match[2] === '/login').catch((error) => {
      console.error(`interaction failed: ${error}`);
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('interaction failed');
    });
  });
  return issuer;
}

async function handleInteraction(provider, request, response, isLoginPost) {
  const details = await provider.interactionDetails(request, response);

  if (isLoginPost) {
    const form = await readForm(request);
    const accountId = (form.get('account') || '').trim();
    if (!/^[a-z0-9-]{1,40}$/.test(accountId)) {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('account: lowercase Latin letters, digits and dashes');
      return;
    }
    await provider.interactionFinished(request, response, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }

  if (details.prompt.name === 'login') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><title>Test provider sign-in</title></head><body>
<h1>Test provider sign-in (${escapeHtml(details.params.client_id)})</h1>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label for="account">Account</label> <input id="account" name="account" autofocus>
<button type="submit" id="sign-in">Sign in</button>
</form></body></html>`);
    return;
  }

  // Consent is granted at once: the tests exercise the relying party, not consent screens.
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(request, response, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

// --- The crafted-token stand-in --------------------------------------------------------------

const DEFECTS = new Set(['valid', 'expired', 'wrong-nonce', 'wrong-audience']);

function signJwt(privateKey, kid, claims) {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

function clientFromBasicAuth(header) {
  if (!header || !header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function craftedIdToken(issuer, clientId, nonce) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, sub: `crafted-${clientId}`, aud: clientId, iat: now, exp: now + 300, nonce };
  if (clientId === 'expired') {
    claims.iat = now - 900;
    claims.exp = now - 600;
  } else if (clientId === 'wrong-nonce') {
    claims.nonce = base64url(randomBytes(16));
  } else if (clientId === 'wrong-audience') {
    claims.aud = 'another-client';
  }
  return claims;
}

async function startCraftedProvider() {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'crafted-key';
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const codes = new Map();

  server.on('request', async (request, response) => {
    const url = new URL(request.url, issuer);

    if (request.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      sendJson(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
      return;
    }

    if (request.method === 'GET' && url.pathname === '/jwks') {
      sendJson(response, 200, { keys: [publicJwk] });
      return;
    }

    if (request.method === 'GET' && url.pathname === '/authorize') {
      const params = url.searchParams;
      const clientId = params.get('client_id');
      const problems = [];
      if (!DEFECTS.has(clientId)) problems.push('unknown client_id');
      if (params.get('redirect_uri') !== callback(clientId)) problems.push('redirect_uri is not registered');
      if (params.get('response_type') !== 'code') problems.push('response_type must be code');
      if (!(params.get('scope') || '').split(' ').includes('openid')) problems.push('scope must include openid');
      if (params.get('code_challenge_method') !== 'S256' || !params.get('code_challenge')) problems.push('PKCE S256 is required');
      if (!params.get('state') || !params.get('nonce')) problems.push('state and nonce are required');
      if (problems.length > 0) {
        response.writeHead(400, { 'content-type': 'text/plain' });
        response.end(problems.join('; '));
        return;
      }
      const code = base64url(randomBytes(24));
      codes.set(code, { clientId, nonce: params.get('nonce'), challenge: params.get('code_challenge'), redirectUri: params.get('redirect_uri') });
      const target = new URL(params.get('redirect_uri'));
      target.searchParams.set('code', code);
      target.searchParams.set('state', params.get('state'));
      response.writeHead(302, { location: target.toString() });
      response.end();
      return;
    }

    if (request.method === 'POST' && url.pathname === '/token') {
      const form = await readForm(request);
      const client = clientFromBasicAuth(request.headers.authorization);
      if (!client || client.secret !== CLIENT_SECRET || !DEFECTS.has(client.id)) {
        sendJson(response, 401, { error: 'invalid_client' });
        return;
      }
      const grant = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      const verifier = form.get('code_verifier') || '';
      const challenge = base64url(createHash('sha256').update(verifier).digest());
      if (form.get('grant_type') !== 'authorization_code' || !grant || grant.clientId !== client.id
        || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
        sendJson(response, 400, { error: 'invalid_grant' });
        return;
      }
      const idToken = signJwt(privateKey, kid, craftedIdToken(issuer, client.id, grant.nonce));
      sendJson(response, 200, { access_token: base64url(randomBytes(24)), token_type: 'Bearer', expires_in: 300, id_token: idToken });
      return;
    }

    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  return issuer;
}

const issuer = await startCertifiedProvider();
const craftedIssuer = await startCraftedProvider();
process.stdout.write(`${JSON.stringify({ issuer, crafted_issuer: craftedIssuer })}\n`);

// The harness closes standard input when it stops the provider, also when a test fails.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
