// Black-box tests of examples/auth_server and examples/resource_server: real processes, real HTTP on
// loopback, node's built-in fetch, net and node:test only.
//
//   node servers.test.mjs --auth <auth_server> --resource <resource_server> [--redis-server <redis-server>]
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
    AUTH,
    CLIENT,
    REDIS_SERVER,
    RESOURCE,
    USERS,
    arg,
    assertBearerChallenge,
    assertInvalidGrant,
    basic,
    call,
    claimsOf,
    cleanEnv,
    cookieValue,
    form,
    freshDir,
    json,
    kidOf,
    login,
    posts,
    refreshForm,
    start,
    startAuth,
    startResource,
} from './harness.mjs';

const PROMTOOL = arg('--promtool', 'promtool');

describe('the tutorial flow', () => {
    test('login, GET /posts, access expiry, refresh, logout, refresh fails', async () => {
        const auth = await startAuth(['--access-ttl', '2s']);
        const rs = await startResource(auth);
        const l = await login(auth);
        assert.equal(l.body.token_type, 'Bearer');
        assert.equal(l.body.expires_in, 2);
        assert.equal(l.headers.get('cache-control'), 'no-store');
        assert.equal(typeof l.body.refresh_token, 'string');
        assert.equal(claimsOf(l.body.access_token).sub, 'Kyle');

        let p = await posts(rs, l.body.access_token);
        assert.equal(p.status, 200);
        assert.deepEqual(p.body, [{ username: 'Kyle', title: 'Post 1' }]);
        const jim = await login(auth, 'Jim', 'jim-password');
        assert.deepEqual((await posts(rs, jim.body.access_token)).body, [{ username: 'Jim', title: 'Post 2' }]);

        await sleep(2200);
        p = await posts(rs, l.body.access_token);
        assertBearerChallenge(p);
        assert.match(p.body.error_description, /expired/);

        // The tutorial's body shape {"token": ...} and RFC 6749's form both refresh.
        const t1 = await call(`${auth.url}/token`, json({ token: l.body.refresh_token }));
        assert.equal(t1.status, 200, JSON.stringify(t1.body));
        assert.equal(t1.headers.get('cache-control'), 'no-store');
        assert.notEqual(t1.body.refresh_token, l.body.refresh_token);
        const t2 = await refreshForm(auth, t1.body.refresh_token);
        assert.equal(t2.status, 200, JSON.stringify(t2.body));
        assert.equal((await posts(rs, t2.body.access_token)).status, 200);

        const out = await call(`${auth.url}/logout`, json({ refresh_token: t2.body.refresh_token }));
        assert.equal(out.status, 204);
        assertInvalidGrant(await refreshForm(auth, t2.body.refresh_token));
    });

    test('login answers unknown users and wrong passwords alike, in similar time', async () => {
        const auth = await startAuth();
        const time = async (user, password) => {
            const t0 = performance.now();
            const r = await call(`${auth.url}/login`, json({ username: user, password }));
            return { r, ms: performance.now() - t0 };
        };
        const wrong = [], unknown = [];
        for (let i = 0; i < 3; ++i) {
            wrong.push(await time('Kyle', 'nope'));
            unknown.push(await time('nobody', 'nope'));
        }
        for (const { r } of [...wrong, ...unknown]) {
            assert.equal(r.status, 401);
            assert.deepEqual(r.body, { error: 'invalid_credentials', error_description: 'wrong username or password' });
        }
        const median = (xs) => xs.map((x) => x.ms).sort((a, b) => a - b)[1];
        const ratio = median(wrong) / median(unknown);
        assert.ok(ratio > 0.33 && ratio < 3, `wrong password ${median(wrong)} ms, unknown user ${median(unknown)} ms`);
        const missing = await call(`${auth.url}/login`, json({ username: 'Kyle' }));
        assert.equal(missing.status, 400);
        assert.equal(missing.body.error, 'invalid_request');
        // Passwords never reach the log.
        await sleep(200);
        assert.doesNotMatch(auth.output, /kyle-password|nope/);
    });
});

describe('the cookie flow', () => {
    test('login sets the refresh cookie; /refresh needs X-CSRF, rotates the cookie and detects reuse', async () => {
        const auth = await startAuth();
        const l = await login(auth);
        assert.equal(l.cookies.length, 1);
        const c = l.cookies[0];
        for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
            assert.ok(c.split('; ').includes(attr), `${attr} missing in ${c}`);
        const rt0 = cookieValue(c);
        assert.equal(rt0, l.body.refresh_token);

        const noCsrf = await call(`${auth.url}/refresh`, { method: 'POST', headers: { cookie: `__Host-jot_refresh=${rt0}` } });
        assert.equal(noCsrf.status, 403);
        const noCookie = await call(`${auth.url}/refresh`, { method: 'POST', headers: { 'x-csrf': '1' } });
        assert.equal(noCookie.status, 400);

        const r1 = await call(`${auth.url}/refresh`, { method: 'POST', headers: { cookie: `other=1; __Host-jot_refresh=${rt0}`, 'x-csrf': '1' } });
        assert.equal(r1.status, 200, JSON.stringify(r1.body));
        assert.equal(r1.headers.get('cache-control'), 'no-store');
        assert.equal(typeof r1.body.access_token, 'string');
        assert.equal(r1.body.refresh_token, undefined, 'the cookie flow keeps the refresh token out of the body');
        const rt1 = cookieValue(r1.cookies[0]);
        assert.ok(rt1 && rt1 !== rt0);

        // The old cookie again: reuse. The family is revoked and the cookie cleared.
        const reuse = await call(`${auth.url}/refresh`, { method: 'POST', headers: { cookie: `__Host-jot_refresh=${rt0}`, 'x-csrf': '1' } });
        assertInvalidGrant(reuse);
        assert.match(reuse.cookies[0] ?? '', /^__Host-jot_refresh=;.*Max-Age=0/);
        assertInvalidGrant(await call(`${auth.url}/refresh`, { method: 'POST', headers: { cookie: `__Host-jot_refresh=${rt1}`, 'x-csrf': '1' } }));
    });

    test('/logout takes the refresh token from the cookie and clears it; 204 even if unknown', async () => {
        const auth = await startAuth();
        const l = await login(auth);
        const out = await call(`${auth.url}/logout`, { method: 'POST', headers: { cookie: `__Host-jot_refresh=${l.body.refresh_token}` } });
        assert.equal(out.status, 204);
        assert.match(out.cookies[0] ?? '', /^__Host-jot_refresh=;.*Max-Age=0/);
        assertInvalidGrant(await refreshForm(auth, l.body.refresh_token));
        assert.equal((await call(`${auth.url}/logout`, json({ refresh_token: 'garbage' }))).status, 204);
        assert.equal((await call(`${auth.url}/logout`, { method: 'POST' })).status, 204);
    });
});

describe('reuse detection and revocation over HTTP', () => {
    test('a rotated refresh token presented again revokes its family', async () => {
        const auth = await startAuth();
        const l = await login(auth);
        const r1 = await refreshForm(auth, l.body.refresh_token);
        assert.equal(r1.status, 200);
        const reuse = await refreshForm(auth, l.body.refresh_token);
        assertInvalidGrant(reuse);
        assert.match(reuse.body.error_description, /already used/);
        assertInvalidGrant(await refreshForm(auth, r1.body.refresh_token));
        await auth.waitFor(/event reuse_detected sub=Kyle/);
    });

    test('within --grace the predecessor gets the same successor', async () => {
        const auth = await startAuth(['--grace', '30s']);
        const l = await login(auth);
        const a = await refreshForm(auth, l.body.refresh_token);
        const b = await refreshForm(auth, l.body.refresh_token);
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
        assert.equal(a.body.refresh_token, b.body.refresh_token);
    });

    test('/logout-all revokes every session of the subject and its earlier access tokens', async () => {
        const auth = await startAuth();
        const rs = await startResource(auth, ['--store', 'memory']);
        const s1 = await login(auth);
        const s2 = await login(auth);
        const other = await login(auth, 'Jim', 'jim-password');
        assertBearerChallenge(await call(`${auth.url}/logout-all`, { method: 'POST' }));
        assertBearerChallenge(await call(`${auth.url}/logout-all`, { method: 'POST', headers: { authorization: 'Bearer nope' } }));
        const out = await call(`${auth.url}/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${s1.body.access_token}` } });
        assert.equal(out.status, 204);
        assertInvalidGrant(await refreshForm(auth, s1.body.refresh_token));
        assertInvalidGrant(await refreshForm(auth, s2.body.refresh_token));
        assert.equal((await refreshForm(auth, other.body.refresh_token)).status, 200);
        const intro = (tok) => call(`${auth.url}/introspect`, { ...form({ token: tok }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('api-gateway', 'gateway-secret') } });
        assert.deepEqual((await intro(s1.body.access_token)).body, { active: false });
        assert.deepEqual((await intro(s2.body.access_token)).body, { active: false });
        assert.equal((await intro(other.body.access_token)).body.active, true);
        // A fresh login after logout-all works.
        await sleep(1100);
        const again = await login(auth);
        assert.equal((await intro(again.body.access_token)).body.active, true);
        assert.ok(rs);
    });

    test('/revoke (RFC 7009): 200 always; refresh tokens end their session, access tokens are denied', async () => {
        const auth = await startAuth();
        const l = await login(auth);
        const r = await call(`${auth.url}/revoke`, form({ token: l.body.refresh_token, token_type_hint: 'refresh_token' }));
        assert.equal(r.status, 200);
        assertInvalidGrant(await refreshForm(auth, l.body.refresh_token));
        assert.equal((await call(`${auth.url}/revoke`, form({ token: 'garbage' }))).status, 200);
        assert.equal((await call(`${auth.url}/revoke`, form({ token: l.body.refresh_token }))).status, 200);
        const l2 = await login(auth);
        assert.equal((await call(`${auth.url}/revoke`, form({ token: l2.body.access_token, token_type_hint: 'access_token' }))).status, 200);
        const intro = await call(`${auth.url}/introspect`, { ...form({ token: l2.body.access_token }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('api-gateway', 'gateway-secret') } });
        assert.deepEqual(intro.body, { active: false });
        const missing = await call(`${auth.url}/revoke`, form({}));
        assert.equal(missing.status, 400);
        assert.equal(missing.body.error, 'invalid_request');
    });

    test('a resource server with --store honours logout, revoke and logout-all before expiry', async () => {
        const dir = freshDir();
        const store = `sqlite:${join(dir, 'jot.db')}`;
        const auth = await startAuth(['--store', store], { cwd: dir });
        const rs = await startResource(auth, ['--store', store]);
        await revocationHonoured(auth, rs);
    });
});

// Logout, revoke and logout-all each end an access token at `rs` at once.
async function revocationHonoured(auth, rs) {
    const a = await login(auth);
    assert.equal((await posts(rs, a.body.access_token)).status, 200);
    await call(`${auth.url}/logout`, json({ refresh_token: a.body.refresh_token }));
    assertBearerChallenge(await posts(rs, a.body.access_token));
    const b = await login(auth);
    assert.equal((await posts(rs, b.body.access_token)).status, 200);
    await call(`${auth.url}/revoke`, form({ token: b.body.access_token }));
    assertBearerChallenge(await posts(rs, b.body.access_token));
    const c = await login(auth);
    assert.equal((await posts(rs, c.body.access_token)).status, 200);
    await call(`${auth.url}/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${c.body.access_token}` } });
    assertBearerChallenge(await posts(rs, c.body.access_token));
}

describe('logs', () => {
    test('--log-format json: every line of both servers is a JSON object with stable fields, and no token', async () => {
        const auth = await startAuth(['--log-format', 'json']);
        const rs = await startResource(auth, ['--log-format', 'json']);
        const l = await login(auth);
        assert.equal((await posts(rs, l.body.access_token)).status, 200);
        const r = await refreshForm(auth, l.body.refresh_token);
        assert.equal(r.status, 200);
        assertInvalidGrant(await refreshForm(auth, l.body.refresh_token));  // reuse: the family is revoked
        assert.equal((await call(`${auth.url}/nope`)).status, 404);
        await auth.waitFor(/"event":"reuse_detected"/);
        for (const server of [auth, rs]) assert.equal((await server.stop()).code, 0);
        const secrets = [l.body.access_token, l.body.refresh_token, r.body.access_token, r.body.refresh_token, 'kyle-password'];
        const events = new Set();
        for (const server of [auth, rs]) {
            const lines = (server.output + server.errors).split('\n').filter((x) => x !== '');
            assert.ok(lines.length >= 4, server.output);
            for (const line of lines) {
                const o = JSON.parse(line);  // throws on a line that is not JSON
                assert.equal(typeof o, 'object', line);
                assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, line);
                assert.ok(['info', 'warn', 'error'].includes(o.level), line);
                assert.equal(typeof o.event, 'string', line);
                if (o.event === 'request') {
                    assert.equal(typeof o.route, 'string', line);
                    assert.equal(typeof o.status, 'number', line);
                    assert.equal(typeof o.duration_ms, 'number', line);
                    assert.equal(o.peer, '127.0.0.1', line);
                }
                for (const s of secrets) assert.ok(!line.includes(s), `a secret in: ${line}`);
                events.add(`${o.event} ${o.route ?? ''} ${o.status ?? ''}`.trim());
            }
        }
        for (const e of ['issued', 'rotated', 'reuse_detected', 'request /login 200', 'request /token 200', 'request /token 400', 'request /nope 404', 'request /posts 200'])
            assert.ok(events.has(e), `no ${e} in ${[...events].join(', ')}`);
    });

    test('--log-format json reports a start-up failure as JSON too; a bad --log-format is refused', async () => {
        const bad = spawnSync(AUTH, ['--log-format', 'json', '--store', 'sqlite:/proc/no/such/dir/jot.db'], { cwd: freshDir(), env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
        assert.notEqual(bad.status, 0);
        const line = JSON.parse(bad.stderr.trim().split('\n').pop());
        assert.equal(line.level, 'error');
        assert.equal(line.event, 'exit');
        assert.equal(line.program, 'auth_server');
        const wrong = spawnSync(RESOURCE, ['--log-format', 'xml'], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
        assert.equal(wrong.status, 2);
        assert.match(wrong.stderr, /--log-format/);
    });
});

// The samples of a Prometheus text exposition, as a map from `name{labels}` to the value.
function samples(text) {
    const out = new Map();
    for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
        assert.ok(m, `not a sample line: ${line}`);
        out.set(m[1], Number(m[2]));
    }
    return out;
}

// GET /metrics, checked by promtool; resolves to its samples and its text.
async function scrape(url) {
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    const checked = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20000 });
    assert.ok(!checked.error, `cannot run promtool (${PROMTOOL}; Debian package prometheus): ${checked.error}`);
    assert.equal(checked.status, 0, `promtool check metrics:\n${checked.stdout}${checked.stderr}\n${text}`);
    return { text, at: samples(text) };
}

describe('metrics', () => {
    test('GET /metrics on both servers passes promtool and counts requests, latency, lifecycle events, logins, store calls and JWKS fetches', async () => {
        const dir = freshDir();
        const store = ['--store', `sqlite:${join(dir, 'jot.db')}`];
        const auth = await startAuth(store, { cwd: dir });
        const rs = await startResource(auth, store);
        const l = await login(auth);
        assert.equal((await posts(rs, l.body.access_token)).status, 200);
        assert.equal((await call(`${auth.url}/login`, json({ username: 'Kyle', password: 'wrong' }))).status, 401);
        const r = await refreshForm(auth, l.body.refresh_token);
        assert.equal(r.status, 200);
        assertInvalidGrant(await refreshForm(auth, l.body.refresh_token));  // reuse: the family is revoked
        assert.equal((await call(`${auth.url}/no-such-path-${Date.now()}`)).status, 404);
        assert.equal((await posts(rs, r.body.access_token)).status, 401);  // its session was revoked
        assert.equal((await posts(rs, 'not-a-token')).status, 401);

        const a = await scrape(`${auth.url}/metrics`);
        const want = (m, key, check) => assert.ok(m.at.has(key) && check(m.at.get(key)), `${key} = ${m.at.get(key)} in:\n${m.text}`);
        want(a, 'jot_http_requests_total{method="POST",route="/login",status="200"}', (v) => v === 1);
        want(a, 'jot_http_requests_total{method="POST",route="/login",status="401"}', (v) => v === 1);
        want(a, 'jot_http_requests_total{method="POST",route="/token",status="200"}', (v) => v === 1);
        want(a, 'jot_http_requests_total{method="POST",route="/token",status="400"}', (v) => v === 1);
        want(a, 'jot_http_requests_total{method="*",route="unmatched",status="404"}', (v) => v === 1);
        assert.ok(!a.text.includes('no-such-path'), 'a request path became a label');
        want(a, 'jot_http_request_duration_seconds_bucket{method="POST",route="/login",le="+Inf"}', (v) => v === 2);
        want(a, 'jot_http_request_duration_seconds_count{method="POST",route="/login"}', (v) => v === 2);
        want(a, 'jot_http_request_duration_seconds_sum{method="POST",route="/login"}', (v) => v > 0);
        want(a, 'jot_lifecycle_events_total{kind="issued"}', (v) => v === 1);
        want(a, 'jot_lifecycle_events_total{kind="rotated"}', (v) => v === 1);
        want(a, 'jot_lifecycle_events_total{kind="reuse_detected"}', (v) => v === 1);
        want(a, 'jot_lifecycle_events_total{kind="expired"}', (v) => v === 0);
        want(a, 'jot_login_attempts_total{outcome="success"}', (v) => v === 1);
        want(a, 'jot_login_attempts_total{outcome="invalid_credentials"}', (v) => v === 1);
        want(a, 'jot_login_attempts_total{outcome="throttled"}', (v) => v === 0);
        want(a, 'jot_store_call_duration_seconds_count{call="rotate"}', (v) => v === 2);
        want(a, 'jot_store_errors_total{call="rotate"}', (v) => v === 0);
        want(a, 'jot_http_open_connections', (v) => v >= 1);
        want(a, 'jot_http_work_queue_depth', (v) => v === 0);
        want(a, 'jot_http_connections_refused_total', (v) => v === 0);

        const b = await scrape(`${rs.url}/metrics`);
        want(b, 'jot_http_requests_total{method="GET",route="/posts",status="200"}', (v) => v === 1);
        want(b, 'jot_http_requests_total{method="GET",route="/posts",status="401"}', (v) => v === 2);
        want(b, 'jot_http_request_duration_seconds_bucket{method="GET",route="/posts",le="+Inf"}', (v) => v === 3);
        want(b, 'jot_jwks_fetches_total{outcome="ok"}', (v) => v >= 1);
        want(b, 'jot_jwks_fetches_total{outcome="error"}', (v) => v === 0);
        want(b, 'jot_jwks_fetch_duration_seconds_count', (v) => v >= 1);
        want(b, 'jot_jwks_refresh_failures_total{reason="not_jwks"}', (v) => v === 0);
        want(b, 'jot_jwks_keys', (v) => v >= 1);
        const lookups = [...b.at.keys()].filter((k) => /^jot_store_call_duration_seconds_count\{call="lookup_access(_async)?"\}$/.test(k));
        assert.equal(lookups.length, 1, b.text);
        assert.equal(b.at.get(lookups[0]), 2);  // the token that verified, twice; 'not-a-token' never asks
        for (const server of [auth, rs]) assert.equal((await server.stop()).code, 0);
    });

    test('--metrics-listen moves /metrics off the public listener; off removes it; a bad address is refused', async () => {
        const auth = await startAuth(['--metrics-listen', '127.0.0.1:0']);
        await auth.waitFor(/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
        const at = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(auth.output)[1];
        assert.equal((await call(`${auth.url}/metrics`)).status, 404);
        await login(auth);
        const m = await scrape(at);
        assert.equal(m.at.get('jot_http_requests_total{method="POST",route="/login",status="200"}'), 1);
        assert.equal((await auth.stop()).code, 0);

        const off = await startAuth(['--metrics-listen', 'off']);
        assert.equal((await call(`${off.url}/metrics`)).status, 404);
        assert.equal((await off.stop()).code, 0);

        for (const wrong of ['9100', '127.0.0.1:', '127.0.0.1:70000', 'host:port'])
            for (const binary of [AUTH, RESOURCE]) {
                const r = spawnSync(binary, ['--metrics-listen', wrong], { cwd: freshDir(), env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
                assert.equal(r.status, 2, `${wrong}: ${r.stdout}${r.stderr}`);
                assert.match(r.stderr, /--metrics-listen/);
            }
    });
});

describe('introspection (RFC 7662)', () => {
    test('needs client Basic authentication and reports claims or inactive', async () => {
        const auth = await startAuth();
        const l = await login(auth);
        const ask = (token, authz) => call(`${auth.url}/introspect`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authz ? { authorization: authz } : {}) },
            body: new URLSearchParams({ token }).toString(),
        });
        for (const bad of [undefined, basic('api-gateway', 'wrong'), basic('nobody', 'gateway-secret'), 'Basic !!!', `Bearer ${l.body.access_token}`]) {
            const r = await ask(l.body.access_token, bad);
            assert.equal(r.status, 401, `authorization ${bad}`);
            assert.equal(r.body.error, 'invalid_client');
            assert.match(r.headers.get('www-authenticate') ?? '', /^Basic/);
        }
        const ok = basic('api-gateway', 'gateway-secret');
        const at = await ask(l.body.access_token, ok);
        assert.equal(at.status, 200);
        assert.equal(at.headers.get('cache-control'), 'no-store');
        assert.equal(at.body.active, true);
        assert.equal(at.body.sub, 'Kyle');
        assert.equal(at.body.aud, 'jot-example-api');
        assert.equal(typeof at.body.exp, 'number');
        const rt = await ask(l.body.refresh_token, ok);
        assert.equal(rt.body.active, true);
        assert.equal(rt.body.token_type, 'refresh_token');
        assert.equal(rt.body.sub, 'Kyle');
        assert.deepEqual((await ask('garbage', ok)).body, { active: false });
        const wrongSecret = l.body.refresh_token.slice(0, -2) + (l.body.refresh_token.at(-2) === 'A' ? 'B' : 'A') + l.body.refresh_token.at(-1);
        assert.deepEqual((await ask(wrongSecret, ok)).body, { active: false });
        const next = await refreshForm(auth, l.body.refresh_token);
        assert.deepEqual((await ask(l.body.refresh_token, ok)).body, { active: false }, 'a rotated refresh token is inactive');
        await call(`${auth.url}/logout`, json({ refresh_token: next.body.refresh_token }));
        assert.deepEqual((await ask(next.body.access_token, ok)).body, { active: false }, 'logout ends the session\'s access tokens');
    });
});

describe('keys', () => {
    test('the keys directory is 0700 with 0600 keys, and a restart reuses them', async () => {
        const auth = await startAuth();
        const keys = join(auth.dir, 'keys');
        assert.equal(statSync(keys).mode & 0o777, 0o700);
        const files = readdirSync(keys).filter((f) => f.endsWith('.pem'));
        assert.equal(files.length, 1);
        assert.match(files[0], /^\d+-ES256\.pem$/);
        assert.equal(statSync(join(keys, files[0])).mode & 0o777, 0o600);
        const kid = kidOf((await login(auth)).body.access_token);
        await auth.stop();
        const again = await startAuth([], { cwd: auth.dir });
        assert.equal(kidOf((await login(again)).body.access_token), kid);
        assert.equal(readdirSync(keys).filter((f) => f.endsWith('.pem')).length, 1);
    });

    test('SIGHUP rotates the signing key; the resource server follows through the JWKS without a restart', async () => {
        const auth = await startAuth(['--jwks-max-age', '1s', '--key-publish-lead', '1s']);
        const rs = await startResource(auth);
        const before = await login(auth);
        assert.equal((await posts(rs, before.body.access_token)).status, 200);
        auth.child.kill('SIGHUP');
        await auth.waitFor(/now signing with/);
        const jwks = await call(`${auth.url}/.well-known/jwks.json`);
        assert.equal(jwks.body.keys.length, 2);
        for (const k of jwks.body.keys) assert.equal(k.d, undefined, 'no private member is published');
        const afterRotation = await login(auth);
        assert.notEqual(kidOf(afterRotation.body.access_token), kidOf(before.body.access_token));
        await sleep(1100);  // the resource server refetches at most once per --jwks-min-interval (1s here)
        assert.equal((await posts(rs, afterRotation.body.access_token)).status, 200);
        assert.equal((await posts(rs, before.body.access_token)).status, 200, 'the retired key still verifies');
        await rs.waitFor(/jwks: loaded 2 key\(s\)/);
    });

    test('--rotate-keys-every rotates on a schedule', async () => {
        const auth = await startAuth(['--rotate-keys-every', '2s', '--keys-reload', '1s', '--jwks-max-age', '1s', '--key-publish-lead', '1s']);
        const first = kidOf((await login(auth)).body.access_token);
        await auth.waitFor(/now signing with/, 8000);
        assert.notEqual(kidOf((await login(auth)).body.access_token), first);
    });
});

describe('pre-published signing keys', () => {
    test('after a forged-kid warm-up and SIGHUP, fresh tokens pass GET /posts throughout: the new key is published first', { timeout: 60000 }, async () => {
        const auth = await startAuth(['--jwks-max-age', '2s', '--key-publish-lead', '3s', '--keys-reload', '1s']);
        const rs = await start(RESOURCE, ['--jwks-url', `${auth.url}/.well-known/jwks.json`, '--jwks-min-interval', '2s'], { cwd: auth.dir, name: 'resource_server' });
        const first = await login(auth);
        const oldKid = kidOf(first.body.access_token);
        const [h, p, sig] = first.body.access_token.split('.');
        const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url')), kid: 'warm-up' })).toString('base64url')}.${p}.${sig}`;
        assert.equal((await posts(rs, forged)).status, 401);  // uses up the resource server's refetch allowance
        auth.child.kill('SIGHUP');
        await auth.waitFor(/keys: published/);
        const published = (await call(`${auth.url}/.well-known/jwks.json`)).body.keys.map((k) => k.kid);
        assert.equal(published.length, 2);
        assert.ok(published.includes(oldKid));
        const newKid = published.find((k) => k !== oldKid);
        const failures = [];
        const kids = [];
        const until = Date.now() + 10000;
        while (Date.now() < until) {
            const l = await login(auth);
            kids.push(kidOf(l.body.access_token));
            const r = await posts(rs, l.body.access_token);
            if (r.status !== 200) failures.push(r.status);
            await sleep(250);
        }
        assert.deepEqual(failures, []);
        assert.equal(kids[0], oldKid, 'tokens in the lead carry the old kid');
        assert.equal(kids[kids.length - 1], newKid, 'after the lead the new key signs');
    });

    test('--key-publish-lead shorter than --jwks-max-age stops the server with status 2', () => {
        const r = spawnSync(AUTH, ['--store', 'memory', '--jwks-max-age', '60s', '--key-publish-lead', '10s'], { cwd: freshDir(), env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
        assert.equal(r.status, 2);
        assert.match(r.stderr, /--key-publish-lead.*--jwks-max-age/);
    });
});

describe('persistence', () => {
    test('an auth server restarted on SQLite keeps refresh tokens working and revoked ones revoked', async () => {
        const dir = freshDir();
        const auth = await startAuth(['--store', 'sqlite:./data/jot.db'], { cwd: dir });
        const live = await login(auth);
        const rotated = await refreshForm(auth, live.body.refresh_token);
        const revoked = await login(auth, 'Jim', 'jim-password');
        assert.equal((await call(`${auth.url}/logout`, json({ refresh_token: revoked.body.refresh_token }))).status, 204);
        const stopped = await auth.stop('SIGINT');
        assert.equal(stopped.code, 0, 'a clean exit on SIGINT');
        assert.ok(existsSync(join(dir, 'data', 'jot.db')));

        const again = await startAuth(['--store', 'sqlite:./data/jot.db'], { cwd: dir });
        const rs = await startResource(again);
        assert.equal((await posts(rs, rotated.body.access_token)).status, 200, 'access tokens from before the restart verify');
        const next = await refreshForm(again, rotated.body.refresh_token);
        assert.equal(next.status, 200, JSON.stringify(next.body));
        assertInvalidGrant(await refreshForm(again, revoked.body.refresh_token));
        assertInvalidGrant(await refreshForm(again, live.body.refresh_token));  // reuse, after the restart
        assertInvalidGrant(await refreshForm(again, next.body.refresh_token));  // ... which revoked the family
    });

    test('the default store is SQLite under ./jot-data', async () => {
        const dir = freshDir();
        const auth = await start(AUTH, [...USERS], { cwd: dir, name: 'auth_server' });
        await login(auth);
        assert.ok(existsSync(join(dir, 'jot-data', 'jot.db')));
        assert.ok(existsSync(join(dir, 'jot-data', 'keys')));
        await auth.stop();
    });
});

describe('two instances sharing Redis and a keys directory', () => {
    // A redis-server on a free loopback port in `dir`, up and answering.
    async function startRedis(dir) {
        const port = await new Promise((resolve) => {
            const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
        });
        const redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
        let up = false;
        for (let i = 0; i < 100 && !up; ++i) {
            up = await new Promise((resolve) => {
                const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
                s.on('error', () => resolve(false));
            });
            if (!up) await sleep(50);
        }
        assert.ok(up, 'redis-server started');
        return { port, redis };
    }

    test('a resource server checking revocation in Redis: logout, revoke, logout-all, 200 requests at once, ' +
         '503 while Redis is down, and recovery', async (t) => {
        if (spawnSync(REDIS_SERVER, ['--version']).status !== 0) {
            t.skip(`${REDIS_SERVER} is not installed`);
            return;
        }
        const dir = freshDir();
        let { port, redis } = await startRedis(dir);
        try {
            const store = ['--store', `redis://127.0.0.1:${port}`];
            let auth;
            try {
                auth = await startAuth(store, { cwd: dir });
            } catch (e) {
                if (/no Redis backend/.test(String(e))) { t.skip('this build has no Redis store'); return; }
                throw e;
            }
            const rs = await startResource(auth, store);
            await revocationHonoured(auth, rs);
            // Many lookups in flight at once share the store's connection: each gets its own answer.
            const live = await login(auth);
            const ended = await login(auth, 'Jim', 'jim-password');
            await call(`${auth.url}/logout`, json({ refresh_token: ended.body.refresh_token }));
            const many = await Promise.all(Array.from({ length: 200 }, (_, i) => posts(rs, i % 2 ? ended.body.access_token : live.body.access_token)));
            many.forEach((r, i) => { if (i % 2) assertBearerChallenge(r); else assert.equal(r.status, 200); });
            assert.deepEqual(many[0].body.map((p) => p.username), ['Kyle']);
            // Redis gone: the check fails closed with 503, at once; back (empty): the session is unknown.
            redis.kill('SIGKILL');
            await new Promise((resolve) => redis.once('exit', resolve));
            const down = await posts(rs, live.body.access_token);
            assert.equal(down.status, 503);
            assert.equal(down.body.error, 'temporarily_unavailable');
            redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
            let back;
            for (let i = 0; i < 100; ++i) {
                back = await posts(rs, live.body.access_token);
                if (back.status !== 503) break;
                await sleep(50);
            }
            assertBearerChallenge(back);
        } finally {
            redis.kill('SIGTERM');
        }
    });

    test('log in on A, refresh on B, reuse the old token on A: the family is revoked on both', async (t) => {
        if (spawnSync(REDIS_SERVER, ['--version']).status !== 0) {
            t.skip(`${REDIS_SERVER} is not installed`);
            return;
        }
        const dir = freshDir();
        const { port, redis } = await startRedis(dir);
        try {
            const store = ['--store', `redis://127.0.0.1:${port}`, '--keys', join(dir, 'shared-keys')];
            let a;
            try {
                a = await startAuth(store, { cwd: dir });
            } catch (e) {
                if (/no Redis backend/.test(String(e))) { t.skip('this build has no Redis store'); return; }
                throw e;
            }
            const b = await startAuth(store, { cwd: dir });
            const l = await login(a);
            const onB = await refreshForm(b, l.body.refresh_token);
            assert.equal(onB.status, 200, JSON.stringify(onB.body));
            assert.equal(kidOf(onB.body.access_token), kidOf(l.body.access_token), 'one keys directory, one signing key');
            assertInvalidGrant(await refreshForm(a, l.body.refresh_token));
            assertInvalidGrant(await refreshForm(b, onB.body.refresh_token));
            assertInvalidGrant(await refreshForm(a, onB.body.refresh_token));
            // The revoked session's access tokens are over on both; a new session's verify on the other one.
            const ask = (server, token) => call(`${server.url}/introspect`, { ...form({ token }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('api-gateway', 'gateway-secret') } });
            assert.deepEqual((await ask(b, l.body.access_token)).body, { active: false });
            assert.deepEqual((await ask(a, onB.body.access_token)).body, { active: false });
            const fresh = await login(a);
            const intro = await call(`${b.url}/introspect`, { ...form({ token: fresh.body.access_token }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('api-gateway', 'gateway-secret') } });
            assert.equal(intro.body.active, true);
        } finally {
            redis.kill('SIGTERM');
        }
    });

    test('failed logins are counted across both instances: 429 from the 6th, for any password; others unaffected', async () => {
        const dir = freshDir();
        const { port, redis } = await startRedis(dir);
        try {
            const args = ['--store', `redis://127.0.0.1:${port}`, '--keys', join(dir, 'shared-keys'), '--login-throttle-backoff', '2s'];
            const a = await startAuth(args, { cwd: dir });
            const b = await startAuth(args, { cwd: dir });
            const attempt = (server, password, user = 'Kyle') => call(`${server.url}/login`, json({ username: user, password }));
            for (let i = 0; i < 5; ++i) assert.equal((await attempt(i % 2 ? b : a, 'wrong')).status, 401, `failure ${i + 1}`);
            for (let i = 5; i < 10; ++i) {
                const r = await attempt(i % 2 ? b : a, 'wrong');
                assert.equal(r.status, 429, `attempt ${i + 1}`);
                assert.equal(r.body.error, 'too_many_attempts');
                assert.ok(Number(r.headers.get('retry-after')) >= 1);
            }
            const refused = await attempt(a, 'kyle-password');
            assert.equal(refused.status, 429, 'the right password is refused too');
            assert.equal((await attempt(b, 'jim-password', 'Jim')).status, 200, 'another user is unaffected');
            await sleep(Number(refused.headers.get('retry-after')) * 1000 + 100);
            assert.equal((await attempt(b, 'kyle-password')).status, 200, 'after Retry-After the right password works');
            assert.equal((await attempt(a, 'wrong')).status, 401, 'a success starts the count again');
        } finally {
            redis.kill('SIGTERM');
        }
    });
});

describe('bad input', () => {
    test('malformed bodies, wrong content types, huge bodies and garbage tokens get 4xx; the servers live on', async () => {
        const auth = await startAuth();
        const rs = await startResource(auth);
        const expect4xx = async (r, status, error) => {
            assert.equal(r.status, status, JSON.stringify(r.body));
            if (error) assert.equal(r.body.error, error);
        };
        const post = (path, body, type = 'application/json', headers = {}) =>
            call(`${auth.url}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
        await expect4xx(await post('/login', '{"username": "Kyle", '), 400, 'invalid_request');
        await expect4xx(await post('/login', '[1,2,3]'), 400, 'invalid_request');
        await expect4xx(await post('/login', '"just a string"'), 400, 'invalid_request');
        await expect4xx(await post('/login', '{"username": 1, "password": ["x"]}'), 400, 'invalid_request');
        await expect4xx(await post('/login', '{"a":'.repeat(2000) + '1' + '}'.repeat(2000)), 400, 'invalid_request');
        await expect4xx(await post('/login', '{"username":"Kyle","password":"kyle-password"}', 'text/plain'), 415, 'invalid_request');
        await expect4xx(await post('/login', 'x'.repeat(1 << 20)), 413);
        await expect4xx(await post('/token', 'grant_type=refresh_token&refresh_token=a&refresh_token=b', 'application/x-www-form-urlencoded'), 400, 'invalid_request');
        await expect4xx(await post('/token', 'grant_type=refresh_token&refresh_token=%zz', 'application/x-www-form-urlencoded'), 400, 'invalid_request');
        await expect4xx(await post('/token', 'grant_type=password&username=a', 'application/x-www-form-urlencoded'), 400, 'unsupported_grant_type');
        await expect4xx(await post('/token', 'refresh_token=abc', 'application/x-www-form-urlencoded'), 400, 'invalid_request');
        await expect4xx(await post('/token', '{}'), 400, 'invalid_request');
        for (const garbage of ['garbage', 'a'.repeat(22) + '.' + 'b'.repeat(43), '\u00e9'.repeat(40), 'x'.repeat(4000)])
            assertInvalidGrant(await post('/token', JSON.stringify({ refresh_token: garbage })));
        await expect4xx(await post('/refresh', '', 'text/plain', { cookie: '__Host-jot_refresh=%%%garbage', 'x-csrf': '1' }), 400, 'invalid_grant');
        await expect4xx(await post('/refresh', '', 'text/plain', { cookie: '__Host-jot_refresh', 'x-csrf': '1' }), 400, 'invalid_request');
        await expect4xx(await post('/logout', 'not json'), 400, 'invalid_request');
        await expect4xx(await post('/introspect', 'token=x', 'application/x-www-form-urlencoded', { authorization: 'Basic ' + 'A'.repeat(5000) }), 401, 'invalid_client');
        await expect4xx(await call(`${auth.url}/nowhere`), 404);
        assert.equal((await call(`${auth.url}/login`)).status >= 400, true);

        for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer ' + 'x'.repeat(6000), 'Basic abc', 'Bearer eyJ.eyJ.sig', 'Bearer ' + '.'.repeat(50)]) {
            const r = await call(`${rs.url}/posts`, { headers: { authorization: header } });
            assert.equal(r.status, 401, header.slice(0, 40));
        }
        // A token for another audience, signed by the right key, is refused too.
        const l = await login(auth);
        const [h, , s] = l.body.access_token.split('.');
        const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(l.body.access_token), sub: 'Jim' })).toString('base64url')}.${s}`;
        assertBearerChallenge(await posts(rs, forged));

        // A POST without Content-Length has no body (RFC 9112 §6.3): answered at once, not after a timeout.
        const t0 = performance.now();
        const raw = await new Promise((resolve, reject) => {
            let got = '';
            const sock = net.connect(auth.port, '127.0.0.1', () => sock.write('POST /logout HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
            sock.on('data', (d) => { got += d; });
            sock.on('close', () => resolve(got));
            sock.on('error', reject);
        });
        assert.match(raw, /^HTTP\/1\.1 204/);
        assert.ok(performance.now() - t0 < 2000, 'no wait for a body that was never announced');

        // Raw bytes that are not HTTP at all.
        for (const server of [auth, rs]) {
            await new Promise((resolve) => {
                const sock = net.connect(server.port, '127.0.0.1', () => sock.end('\x00\x01\x02 GARBAGE /\r\n\r\n\xff\xfe'));
                sock.on('data', () => {});
                sock.on('close', resolve);
                sock.on('error', resolve);
            });
            assert.equal((await call(`${server.url}/healthz`)).status, 200);
        }
        assert.equal((await posts(rs, l.body.access_token)).status, 200);
        await sleep(200);
        assert.doesNotMatch(auth.output, new RegExp(l.body.refresh_token.slice(23)), 'no secret in the log');
        assert.doesNotMatch(rs.output, /eyJ/, 'no token in the log');
        assert.match(auth.output, /POST \/login 200 \d+\.\d{3}ms/);
    });
});

describe('login and cookie hardening', () => {
    test('the refresh cookie is __Host- prefixed when Secure, plain jot_refresh without', async () => {
        const secure = await login(await startAuth());
        assert.match(secure.cookies[0], /^__Host-jot_refresh=[^;]+; HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=\d+$/);
        assert.doesNotMatch(secure.cookies[0], /Domain=/i);
        const plain = await login(await startAuth(['--no-cookie-secure']));
        assert.match(plain.cookies[0], /^jot_refresh=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    });

    test('cross-site /login and /logout get 403; the own origin and --allowed-origin pass', async () => {
        const auth = await startAuth(['--allowed-origin', 'https://app.example']);
        const creds = { username: 'Kyle', password: 'kyle-password' };
        const post = (path, headers) => call(`${auth.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(creds) });
        for (const path of ['/login', '/logout']) {
            for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, { origin: 'null' }]) {
                const r = await post(path, headers);
                assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}`);
                assert.equal(r.body.error, 'invalid_request');
                assert.equal(r.cookies.length, 0);
            }
        }
        assert.equal((await post('/login', { origin: auth.url, 'sec-fetch-site': 'same-origin' })).status, 200);
        assert.equal((await post('/login', { origin: 'https://app.example' })).status, 200);
        assert.equal((await post('/login', {})).status, 200);  // not a browser: neither header
        assert.equal((await post('/logout', { origin: auth.url })).status, 204);
    });

    test('on defaults, two concurrent cookie refreshes both succeed with one new cookie', async () => {
        const auth = await startAuth([], { defaults: true });
        const l = await login(auth);
        const refresh = () => call(`${auth.url}/refresh`, { method: 'POST', headers: { cookie: l.cookies[0].split(';')[0], 'x-csrf': '1' } });
        const [a, b] = await Promise.all([refresh(), refresh()]);
        assert.equal(a.status, 200, JSON.stringify(a.body));
        assert.equal(b.status, 200, JSON.stringify(b.body));
        assert.equal(cookieValue(a.cookies[0]), cookieValue(b.cookies[0]));
        assert.notEqual(cookieValue(a.cookies[0]), cookieValue(l.cookies[0]));
    });

    test('a users file with a hash below the OWASP cost stops the server with status 2 unless --allow-weak-hashes', async () => {
        const dir = freshDir();
        // m=8 KiB, t=1: Argon2's cheapest cost; such a hash is quick to brute-force and its timing stands out.
        const cheap = '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$0dJ2zhxT1+NzDzZLe6G3RFDD6gy6h6XbWp5oHkspQzs';
        writeFileSync(join(dir, 'users.json'), JSON.stringify({ Kyle: cheap }));
        const r = spawnSync(AUTH, ['--store', 'memory', '--keys', join(dir, 'keys'), '--users', join(dir, 'users.json'), '--port', '0'],
            { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /below the server's m=19456,t=2.*--allow-weak-hashes/);
        const ok = await start(AUTH, ['--store', 'memory', '--keys', join(dir, 'keys'), '--users', join(dir, 'users.json'), '--allow-weak-hashes'], { cwd: dir, name: 'auth_server' });
        assert.equal((await call(`${ok.url}/healthz`)).status, 200);
        await ok.stop();
    });
});

describe('the resource server on a JWKS the test controls', () => {
    // Serves the auth server's JWKS (or a failure) and counts what it is asked.
    async function jwksServer(auth) {
        const upstream = await (await fetch(`${auth.url}/.well-known/jwks.json`)).text();
        const state = { mode: 'ok', maxAge: 3600, etag: '"v1"', fetches: 0, conditional: 0, body: upstream };
        const server = http.createServer((req, res) => {
            ++state.fetches;
            if (req.headers['if-none-match']) ++state.conditional;
            if (state.mode === 'down') return req.socket.destroy();
            if (state.mode === '500') { res.writeHead(500); return res.end('oops'); }
            if (state.mode === 'garbage') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"keys": [nope'); }
            if (state.mode === 'huge') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(100 * 1024) })); }
            const headers = { 'content-type': 'application/json', 'cache-control': `max-age=${state.maxAge}`, etag: state.etag };
            if (req.headers['if-none-match'] === state.etag) { res.writeHead(304, headers); return res.end(); }
            res.writeHead(200, headers);
            res.end(state.body);
        });
        await new Promise((r) => server.listen(0, '127.0.0.1', r));
        state.url = `http://127.0.0.1:${server.address().port}/jwks.json`;
        state.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
        return state;
    }
    const forge = (jwt, kid) => {
        const [h, p, s] = jwt.split('.');
        return `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url')), kid })).toString('base64url')}.${p}.${s}`;
    };
    const startRs = (auth, jwks, extra = []) => start(RESOURCE, ['--jwks-url', jwks.url, ...extra], { cwd: auth.dir, name: 'resource_server' });

    test('max-age is honoured without any unknown kid, with If-None-Match, and a 304 keeps the keys', { timeout: 30000 }, async () => {
        const auth = await startAuth();
        const jwks = await jwksServer(auth);
        jwks.maxAge = 1;
        const rs = await startRs(auth, jwks, ['--jwks-min-interval', '1s']);
        const l = await login(auth);
        for (let i = 0; i < 14; ++i) {
            assert.equal((await posts(rs, l.body.access_token)).status, 200);
            await sleep(250);
        }
        assert.ok(jwks.fetches >= 3, `${jwks.fetches} fetches in 3.5 s at max-age=1`);
        assert.ok(jwks.conditional >= 2, `${jwks.conditional} conditional fetches`);
        assert.equal((await posts(rs, l.body.access_token)).status, 200);  // the 304s kept the keys
        await jwks.close();
    });

    test('200 tokens with distinct unknown kids cause at most one extra fetch per minimum interval', { timeout: 30000 }, async () => {
        const auth = await startAuth();
        const jwks = await jwksServer(auth);
        const rs = await startRs(auth, jwks, ['--jwks-min-interval', '2s']);
        const l = await login(auth);
        await sleep(2100);  // past the start-up fetch's interval
        const before = jwks.fetches;
        const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => posts(rs, forge(l.body.access_token, `bogus-${i}`))));
        assert.ok(answers.every((r) => r.status === 401));
        assert.ok(jwks.fetches - before <= 1, `${jwks.fetches - before} fetches`);
        assert.equal((await posts(rs, l.body.access_token)).status, 200);
        await jwks.close();
    });

    test('JWKS down, 500, garbage or 100 KiB: valid tokens still verify with the keys held', { timeout: 60000 }, async () => {
        const auth = await startAuth();
        const jwks = await jwksServer(auth);
        const rs = await startRs(auth, jwks, ['--jwks-min-interval', '1s']);
        const l = await login(auth);
        for (const mode of ['down', '500', 'garbage', 'huge']) {
            jwks.mode = mode;
            await sleep(1100);
            const before = jwks.fetches;
            assert.equal((await posts(rs, forge(l.body.access_token, `unknown-${mode}`))).status, 401);  // triggers a fetch
            assert.ok(jwks.fetches > before, `${mode}: no fetch`);
            assert.equal((await posts(rs, l.body.access_token)).status, 200, mode);
        }
        jwks.mode = 'ok';
        await rs.waitFor(/jwks fetch answered HTTP 500/);
        await jwks.close();
    });

    test('--jwks-min-interval 0s is refused with exit status 2', () => {
        const r = spawnSync(RESOURCE, ['--port', '0', '--jwks-min-interval', '0s'], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr + r.stdout, /jwks-min-interval/);
    });

    test("the auth server's JWKS has Cache-Control and a strong ETag, and answers If-None-Match with 304", async () => {
        const auth = await startAuth(['--jwks-max-age', '45s']);
        const first = await fetch(`${auth.url}/.well-known/jwks.json`);
        assert.equal(first.status, 200);
        assert.equal(first.headers.get('cache-control'), 'public, max-age=45');
        const etag = first.headers.get('etag');
        assert.match(etag, /^"[A-Za-z0-9_-]{43}"$/);
        const again = await fetch(`${auth.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } });
        assert.equal(again.status, 304);
        assert.equal(await again.text(), '');
        assert.equal((await fetch(`${auth.url}/.well-known/jwks.json`, { headers: { 'if-none-match': '"other"' } })).status, 200);
    });

    test('an access token of a session ended by /logout (refresh token only) fails /logout-all and /introspect', async () => {
        const auth = await startAuth();
        const l = await login(auth);
        const other = await login(auth);
        assert.equal((await call(`${auth.url}/logout`, json({ refresh_token: l.body.refresh_token }))).status, 204);
        const all = await call(`${auth.url}/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${l.body.access_token}` } });
        assertBearerChallenge(all);
        const i = await call(`${auth.url}/introspect`, { ...form({ token: l.body.access_token }), headers: { ...form({}).headers, authorization: basic('api-gateway', 'gateway-secret') } });
        assert.equal(i.status, 200);
        assert.equal(i.body.active, false);
        assert.equal((await refreshForm(auth, other.body.refresh_token)).status, 200);  // the other session lives on
    });
});

describe('configuration', () => {
    const fails = (args, env = {}) => spawnSync(AUTH, args, { cwd: freshDir(), env: cleanEnv(env), encoding: 'utf8', timeout: 20000 });

    test('unknown flags and bad values stop the server with a clear message', () => {
        let r = fails(['--store', 'memory', '--no-such-flag']);
        assert.equal(r.status, 2);
        assert.match(r.stderr + r.stdout, /no-such-flag/);
        r = fails(['--store', 'memory', '--access-ttl', '5x']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr + r.stdout, /access-ttl.*5x/);
        r = fails(['--store', 'memory', '--alg', 'HS256']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /HS256/);
        r = fails(['--store', 'nosuch://x']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /--store/);
        r = fails(['--store', 'memory', '--grace', '20d']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /grace/);
        r = fails(['--store', 'memory'], { JOT_REFRESH_IDLE_TTL: 'forever' });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr + r.stdout, /refresh-idle-ttl.*forever/);
        r = fails(['--store', 'memory', '--user', 'no-colon']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /NAME:PASSWORD/);
    });

    test('settings come from JOT_* variables and a .env file; flags win', async () => {
        const dir = freshDir();
        writeFileSync(join(dir, '.env'), '# demo\nJOT_ISSUER=https://from-dotenv.example\nexport JOT_AUDIENCE="aud-from-dotenv"\nJOT_ACCESS_TTL=7m\n');
        const auth = await start(AUTH, ['--store', 'memory', '--keys', join(dir, 'keys'), '--access-ttl', '3m'],
            { cwd: dir, env: { JOT_USER: 'Kyle:kyle-password', JOT_AUDIENCE: 'aud-from-env' }, name: 'auth_server' });
        const l = await login(auth);
        const c = claimsOf(l.body.access_token);
        assert.equal(c.iss, 'https://from-dotenv.example');
        assert.equal(c.aud, 'aud-from-env');
        assert.equal(l.body.expires_in, 180);
        await auth.stop();
    });

    test('--users reads Argon2id hashes from a JSON file', async () => {
        const dir = freshDir();
        // auth_server --hash-password reads a password on standard input and prints its Argon2id hash.
        const hash = spawnSync(AUTH, ['--hash-password'], { input: 'hunter2\n', encoding: 'utf8' });
        assert.equal(hash.status, 0, hash.stderr);
        writeFileSync(join(dir, 'users.json'), JSON.stringify({ alice: hash.stdout.trim() }));
        const auth = await start(AUTH, ['--store', 'memory', '--keys', join(dir, 'keys'), '--users', join(dir, 'users.json')], { cwd: dir, name: 'auth_server' });
        assert.equal((await call(`${auth.url}/login`, json({ username: 'alice', password: 'hunter2' }))).status, 200);
        assert.equal((await call(`${auth.url}/login`, json({ username: 'alice', password: 'hunter3' }))).status, 401);
        await auth.stop();
    });

    test('SIGTERM and SIGINT stop both servers cleanly', async () => {
        const auth = await startAuth();
        const rs = await startResource(auth);
        assert.deepEqual(await rs.stop('SIGINT'), { code: 0, signal: null });
        assert.deepEqual(await auth.stop('SIGTERM'), { code: 0, signal: null });
    });
});
