// A real OpenID provider for the tests: panva's certified oidc-provider, on a loopback port.
//
//   node provider.js CONFIG.json
//
// CONFIG: {"jwks": {"keys": [private JWK]}, "clients": [oidc-provider client metadata],
//          "accounts_file": "accounts.json", "faults_file": "faults.json"}
// accounts.json (re-read at every sign-in, so a test can remove a person or change their groups):
//   {"alice": {"password": "...", "name": "Alice Smith", "email": "...", "groups": ["reviewer-admins"]}}
// faults.json (optional, re-read at every token response) makes the provider misbehave for the
// failure-path tests: {"id_token": "bad_signature" | "wrong_audience" | "expired"} re-signs the
// ID token it just issued (same claims and nonce) with another key, for another client, or expired.
// Prints "READY <issuer URL>" once listening. PKCE (S256) is required of every client.
// The sign-in page is a plain form (login, password); consent is granted on sign-in.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider, { interactionPolicy } from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(fs.readFileSync(config.accounts_file, 'utf8'));

function claimsOf(login) {
  const person = accounts()[login];
  if (!person) return undefined;
  return {
    sub: `sub-${login}`,
    preferred_username: login,
    name: person.name,
    email: person.email,
    email_verified: true,
    groups: person.groups,
  };
}

const providerKey = crypto.createPrivateKey({ key: config.jwks.keys[0], format: 'jwk' });

function signJwt(header, claims, key) {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.`
    + Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function faultOf() {
  if (!config.faults_file || !fs.existsSync(config.faults_file)) return undefined;
  return JSON.parse(fs.readFileSync(config.faults_file, 'utf8')).id_token;
}

function spoiled(idToken, fault) {
  const [header, claims] = idToken.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));
  const now = Math.floor(Date.now() / 1000);
  switch (fault) {
    case 'bad_signature': // the provider's key id, someone else's key
      return signJwt(header, claims, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    case 'wrong_audience':
      return signJwt(header, { ...claims, aud: 'some-other-client' }, providerKey);
    case 'expired':
      return signJwt(header, { ...claims, iat: now - 900, exp: now - 120 }, providerKey);
    default:
      throw new Error(`unknown id_token fault ${JSON.stringify(fault)}`);
  }
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}</body></html>`);
}

function loginForm(res, uid, error, status = 200) {
  page(res, status, 'Test provider sign-in', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label>Login <input name="login" autocomplete="username"></label>
      <label>Password <input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit">Sign in at the provider</button>
    </form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function grantEverything(provider, details, accountId) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope));
  return grant.save();
}

// A person deleted while signed in at the provider must sign in again (and cannot), as at a real
// provider; oidc-provider's default policy assumes the session's account still exists.
function interactionsPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login').checks.add(new interactionPolicy.Check(
    'account_removed', 'the signed-in account no longer exists',
    (ctx) => (ctx.oidc.session.accountId && !ctx.oidc.account
      ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT),
  ), 0);
  return policy;
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: config.jwks,
    cookies: { keys: ['reviewer-test-provider-cookie-key'] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    conformIdTokenClaims: false, // profile, email and groups in the ID token, as Entra, Okta and Keycloak can
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // Plain pages: the defaults import web fonts, which a closed test network cannot fetch.
        async logoutSource(ctx, form) {
          ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head><body>
            <h1>Sign out of the test provider?</h1>${form}
            <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            <button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>'
            + '<body><h1>Signed out of the test provider</h1></body></html>';
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Provider error</title></head>`
        + `<body><h1>Provider error</h1><p>${escape(out.error)}: ${escape(out.error_description || '')}</p></body></html>`;
    },
    interactions: { policy: interactionsPolicy(), url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const login = id.replace(/^sub-/, '');
      const claims = claimsOf(login);
      if (!claims) return undefined;
      return { accountId: id, claims: async () => claims };
    },
    ttl: { IdToken: 300, AccessToken: 300, Session: 3600, Interaction: 600, Grant: 3600 },
  });
  provider.on('server_error', (ctx, error) => process.stderr.write(`server_error at ${ctx.path}: ${error.stack}\n`));
  provider.use(async (ctx, next) => {
    await next();
    const fault = ctx.path === '/token' && ctx.body && ctx.body.id_token ? faultOf() : undefined;
    if (fault) ctx.body = { ...ctx.body, id_token: spoiled(ctx.body.id_token, fault) };
  });
  const handle = provider.callback();
  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (!match) {
      handle(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'POST' && match[2]) {
        const form = await readForm(req);
        const login = form.get('login') || '';
        const person = accounts()[login];
        if (!person || person.password !== form.get('password')) {
          loginForm(res, details.uid, 'Unknown login or wrong password.', 401);
          return;
        }
        const accountId = `sub-${login}`;
        const grantId = await grantEverything(provider, details, accountId);
        await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } },
          { mergeWithLastSubmission: false });
        return;
      }
      if (details.prompt.name === 'consent') {
        const grantId = await grantEverything(provider, details, details.session.accountId);
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      loginForm(res, details.uid, '');
    } catch (error) {
      page(res, 400, 'Test provider error', `<p>${escape(error.message)}</p>`);
    }
  });
  process.stdout.write(`READY ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
