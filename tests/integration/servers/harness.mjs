// SPDX-License-Identifier: MIT
// What the black-box tests of the example servers share: command-line arguments, starting and stopping real
// server processes on loopback (each in a scratch directory removed at the end), and HTTP helpers.
//
//   node <test>.test.mjs --auth <auth_server> --resource <resource_server> [--redis-server <redis-server>]
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function arg(name, fallback) {
    const i = process.argv.indexOf(name);
    return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
export const AUTH = arg('--auth', process.env.JOT_TEST_AUTH_SERVER);
export const RESOURCE = arg('--resource', process.env.JOT_TEST_RESOURCE_SERVER);
export const REDIS_SERVER = arg('--redis-server', 'redis-server');
if (!AUTH || !RESOURCE) {
    console.error('usage: node servers.test.mjs --auth <auth_server> --resource <resource_server>');
    process.exit(2);
}

export const scratch = mkdtempSync(join(tmpdir(), 'jot-servers-'));
export const running = new Set();
after(async () => {
    await Promise.all([...running].map((p) => p.stop()));
    rmSync(scratch, { recursive: true, force: true });
});
let dirCount = 0;
export const freshDir = () => {
    const d = join(scratch, `t${++dirCount}`);
    spawnSync('mkdir', ['-p', d]);
    return d;
};

// The environment of a child: ours without any JOT_* variable, so that a developer's settings do not leak in.
export function cleanEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('JOT_')) env[k] = v;
    return { ...env, ...extra };
}

// Starts a server with --port 0 and resolves once it printed "listening on http://HOST:PORT".
export function start(binary, args, { cwd, env = {}, name = 'server' } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(binary, ['--port', '0', ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        let settled = false;
        const proc = {
            child,
            get output() { return out; },
            get errors() { return err; },
            exited: new Promise((r) => child.on('exit', (code, signal) => r({ code, signal }))),
            async stop(signal = 'SIGTERM') {
                running.delete(proc);
                if (child.exitCode !== null || child.signalCode !== null) return proc.exited;
                child.kill(signal);
                const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
                const r = await proc.exited;
                clearTimeout(timer);
                return r;
            },
            async waitFor(pattern, ms = 10000) {
                const until = Date.now() + ms;
                while (Date.now() < until) {
                    if (pattern.test(out)) return;
                    await sleep(50);
                }
                throw new Error(`${name}: no ${pattern} in output:\n${out}\n${err}`);
            },
        };
        child.stdout.on('data', (d) => {
            out += d;
            const m = /listening on (http:\/\/[0-9.]+:(\d+))/.exec(out);
            if (m && !settled) {
                settled = true;
                proc.url = m[1];
                proc.port = Number(m[2]);
                running.add(proc);
                resolve(proc);
            }
        });
        child.stderr.on('data', (d) => { err += d; });
        child.on('exit', (code) => {
            if (!settled) {
                settled = true;
                reject(new Error(`${name} exited with ${code} before listening:\n${out}\n${err}`));
            }
        });
        setTimeout(() => {
            if (!settled) {
                settled = true;
                child.kill('SIGKILL');
                reject(new Error(`${name} did not start:\n${out}\n${err}`));
            }
        }, 20000);
    });
}

export const USERS = ['--user', 'Kyle:kyle-password', '--user', 'Jim:jim-password'];
export const CLIENT = ['--client', 'api-gateway:gateway-secret'];

// Starts an auth server on the memory store with the test users. Tests of reuse detection need a replay to
// count at once, so the grace window is 0s unless a test names --grace or asks for { defaults: true }.
export async function startAuth(extra = [], opts = {}) {
    const dir = opts.cwd ?? freshDir();
    const hasStore = extra.includes('--store');
    const hasKeys = extra.includes('--keys');
    const grace = extra.includes('--grace') || opts.defaults ? [] : ['--grace', '0s'];
    const args = [...(hasStore ? [] : ['--store', 'memory']), ...(hasKeys ? [] : ['--keys', join(dir, 'keys')]), ...grace, ...USERS, ...CLIENT, ...extra];
    const { defaults, ...startOpts } = opts;
    void defaults;
    const auth = await start(AUTH, args, { cwd: dir, name: 'auth_server', ...startOpts });
    auth.dir = dir;
    return auth;
}

export async function startResource(auth, extra = []) {
    return start(RESOURCE, ['--jwks-url', `${auth.url}/.well-known/jwks.json`, '--jwks-min-interval', '1s', ...extra],
        { cwd: auth.dir, name: 'resource_server' });
}

export const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
export const form = (params) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
});
export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export async function call(url, init = {}) {
    const res = await fetch(url, init);
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = text; }
    return { status: res.status, headers: res.headers, body, cookies: res.headers.getSetCookie() };
}

export async function login(auth, user = 'Kyle', password = 'kyle-password') {
    const r = await call(`${auth.url}/login`, json({ username: user, password }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r;
}

export const refreshForm = (auth, rt) => call(`${auth.url}/token`, form({ grant_type: 'refresh_token', refresh_token: rt }));
export const posts = (rs, at) => call(`${rs.url}/posts`, { headers: at === undefined ? {} : { authorization: `Bearer ${at}` } });
export const cookieValue = (setCookie) => /^(?:__Host-)?jot_refresh=([^;]*)/.exec(setCookie ?? '')?.[1];
export const kidOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url')).kid;
export const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

export function assertInvalidGrant(r) {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error, 'invalid_grant');
    assert.equal(typeof r.body.error_description, 'string');
}

export function assertBearerChallenge(r) {
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    assert.equal(r.body.error, 'invalid_token');
}

