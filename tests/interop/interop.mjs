#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Interop tests: tokens from the jot command-line tool verified by other JWT libraries, and theirs by jot.
//
// usage: node interop.mjs --jot PATH [--python PATH] [--lib jose|jsonwebtoken|pyjwt]...
//
// For every algorithm and library: (1) `jot sign` -> the library verifies; (2) the library signs with a key
// from `jot keygen` -> `jot verify` accepts it and returns its claims; (3) a tampered jot token is rejected by
// the library with a signature error; (4) a tampered library token is rejected by jot with signature_invalid.
// Prints a pass/fail table per library and exits non-zero on any failure. Missing dependencies are failures.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
                    'ES256', 'ES384', 'ES512', 'EdDSA'];
const ISSUER = 'https://issuer.example';
const AUDIENCE = 'interop-api';

const { values: opts } = parseArgs({
  options: {
    jot: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    lib: { type: 'string', multiple: true },
  },
});
if (!opts.jot) {
  console.error('usage: node interop.mjs --jot PATH [--python PATH] [--lib jose|jsonwebtoken|pyjwt]...');
  process.exit(2);
}
const libs = opts.lib ?? ['jose', 'jsonwebtoken', 'pyjwt'];

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

async function loadNodeModule(name) {
  try {
    const mod = await import(name);
    const version = JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
    return { mod: mod.default ?? mod, version };
  } catch (e) {
    fail(`cannot load the npm package '${name}' (${e.code ?? e.message}).\n` +
         `Install the interop test dependencies with:  npm ci --prefix tests/interop`);
  }
}

function run(program, args, input) {
  const r = spawnSync(program, args, { input, encoding: 'utf8', timeout: 120_000 });
  if (r.error) fail(`cannot run ${program}: ${r.error.message}`);
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function jot(args, input) { return run(opts.jot, args, input); }

function b64url(s) { return Buffer.from(s).toString('base64url'); }

function claimsOf(token) { return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')); }

// The same header and signature over different claims: a forgery that only a broken verifier accepts.
function tamper(token) {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(JSON.stringify({ ...claimsOf(token), sub: 'mallory' }))}.${signature}`;
}

function check(cond, what) { if (!cond) throw new Error(what); }

// Each adapter: supports(alg), verify(token, publicJwk, alg) -> claims (throws on rejection),
// isSignatureError(e), sign(privateJwk, alg, claims) -> token.
async function makeAdapter(name) {
  if (name === 'jose') {
    const { mod: jose, version } = await loadNodeModule('jose');
    return {
      label: `jose ${version}`,
      supports: () => true,
      async verify(token, jwk, alg) {
        const key = await jose.importJWK(jwk, alg);
        const { payload } = await jose.jwtVerify(token, key, {
          algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'iat'],
        });
        return payload;
      },
      isSignatureError: (e) => e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      async sign(jwk, alg, claims) {
        const key = await jose.importJWK(jwk, alg);
        return new jose.SignJWT(claims).setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' }).sign(key);
      },
    };
  }
  if (name === 'jsonwebtoken') {
    const { mod: jwt, version } = await loadNodeModule('jsonwebtoken');
    const secret = (jwk) => createSecretKey(Buffer.from(jwk.k, 'base64url'));
    // jsonwebtoken 9 implements HS*, RS*, PS* and ES* but not EdDSA (its sign.js SUPPORTED_ALGS); ask it, so
    // that a version that adds EdDSA gets tested.
    let eddsa = true;
    try {
      jwt.sign({}, generateKeyPairSync('ed25519').privateKey, { algorithm: 'EdDSA' });
    } catch {
      eddsa = false;
    }
    return {
      label: `jsonwebtoken ${version}`,
      supports: (alg) => alg !== 'EdDSA' || eddsa,
      async verify(token, jwk, alg) {
        const key = jwk.kty === 'oct' ? secret(jwk) : createPublicKey({ key: jwk, format: 'jwk' });
        return jwt.verify(token, key, { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE });
      },
      isSignatureError: (e) => e.name === 'JsonWebTokenError' && e.message === 'invalid signature',
      async sign(jwk, alg, claims) {
        const key = jwk.kty === 'oct' ? secret(jwk) : createPrivateKey({ key: jwk, format: 'jwk' });
        return jwt.sign(claims, key, { algorithm: alg, keyid: jwk.kid });
      },
    };
  }
  if (name === 'pyjwt') {
    const probe = run(opts.python, [join(here, 'pyjwt_tool.py'), '--version']);
    if (probe.status !== 0) {
      fail(`PyJWT is not usable with ${opts.python}:\n${probe.err.trim()}\n` +
           'On Debian install it with:  apt-get install python3-jwt python3-cryptography');
    }
    const call = (request) => {
      const r = run(opts.python, [join(here, 'pyjwt_tool.py')], JSON.stringify([request]));
      if (r.status !== 0) throw new Error(`pyjwt_tool.py exited with ${r.status}: ${r.err.trim()}`);
      const [result] = JSON.parse(r.out);
      if (!result.ok) throw new Error(result.error);
      return result;
    };
    return {
      label: probe.out.trim(),
      supports: () => true,
      async verify(token, jwk, alg) {
        return call({ op: 'verify', token, jwk, alg, issuer: ISSUER, audience: AUDIENCE }).claims;
      },
      isSignatureError: (e) => e.message.startsWith('InvalidSignatureError'),
      async sign(jwk, alg, claims) { return call({ op: 'sign', jwk, alg, kid: jwk.kid, claims }).token; },
    };
  }
  fail(`unknown library '${name}' (expected jose, jsonwebtoken or pyjwt)`);
}

// One cell of the table: 'pass', 'n/a' or 'FAIL' with the reason kept for the report.
async function cell(failures, what, fn) {
  try {
    await fn();
    return 'pass';
  } catch (e) {
    failures.push(`${what}: ${e.message}`);
    return 'FAIL';
  }
}

async function testAlgorithm(lib, adapter, alg, dir, failures) {
  const row = { alg };
  const columns = ['jot->lib', 'lib->jot', 'lib rejects tampered', 'jot rejects tampered'];
  if (!adapter.supports(alg)) {
    for (const c of columns) row[c] = 'n/a';
    return row;
  }
  const keyFile = join(dir, `${lib}-${alg}.jwk`);
  const keygen = jot(['keygen', '--alg', alg]);
  if (keygen.status !== 0) {
    failures.push(`${alg}: jot keygen failed: ${keygen.err.trim()}`);
    for (const c of columns) row[c] = 'FAIL';
    return row;
  }
  writeFileSync(keyFile, keygen.out);
  const privateJwk = JSON.parse(keygen.out);
  let publicJwk = privateJwk;
  if (privateJwk.kty !== 'oct') {
    const pub = jot(['pub', keyFile]);
    publicJwk = pub.status === 0 ? JSON.parse(pub.out) : null;
    if (!publicJwk) failures.push(`${alg}: jot pub failed: ${pub.err.trim()}`);
  }
  const verifyFile = join(dir, `${lib}-${alg}.verify.jwk`);
  writeFileSync(verifyFile, JSON.stringify(publicJwk ?? privateJwk));

  const signed = jot(['sign', '--key', keyFile, '--alg', alg, '--iss', ISSUER, '--sub', 'alice', '--aud', AUDIENCE,
                      '--exp', '10m', '--jti', '--claims', JSON.stringify({ scope: 'read write', n: 42 })]);
  const jotToken = signed.out.trim();

  row['jot->lib'] = await cell(failures, `${alg} jot->${lib}`, async () => {
    check(signed.status === 0, `jot sign failed: ${signed.err.trim()}`);
    const claims = await adapter.verify(jotToken, publicJwk, alg);
    check(claims.sub === 'alice' && claims.scope === 'read write' && claims.n === 42,
          `unexpected claims ${JSON.stringify(claims)}`);
    check(typeof claims.jti === 'string' && claims.jti.length === 22, `bad jti ${claims.jti}`);
  });

  row['lib rejects tampered'] = await cell(failures, `${alg} ${lib} on a tampered jot token`, async () => {
    check(signed.status === 0, 'no jot token to tamper with');
    let rejection = null;
    try {
      await adapter.verify(tamper(jotToken), publicJwk, alg);
    } catch (e) {
      rejection = e;
    }
    check(rejection !== null, 'accepted a tampered token');
    check(adapter.isSignatureError(rejection), `rejected for another reason: ${rejection.message}`);
  });

  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: `${lib}-user`, iat: now, exp: now + 600, lib,
                   nested: { roles: ['reader', 'writer'] } };
  let libToken = null;
  row['lib->jot'] = await cell(failures, `${alg} ${lib}->jot`, async () => {
    libToken = await adapter.sign(privateJwk, alg, claims);
    const r = jot(['verify', '--key', verifyFile, '--alg', alg, '--iss', ISSUER, '--aud', AUDIENCE, libToken]);
    check(r.status === 0, `jot verify exited with ${r.status}: ${r.err.trim()}`);
    const out = JSON.parse(r.out);
    check(out.header.alg === alg && out.header.kid === privateJwk.kid, `unexpected header ${JSON.stringify(out.header)}`);
    check(isDeepStrictEqual(out.claims, claims), `claims came back as ${JSON.stringify(out.claims)}`);
  });

  row['jot rejects tampered'] = await cell(failures, `${alg} jot on a tampered ${lib} token`, async () => {
    check(libToken !== null, `no ${lib} token to tamper with`);
    const r = jot(['verify', '--key', verifyFile, '--alg', alg, '--iss', ISSUER, '--aud', AUDIENCE, tamper(libToken)]);
    check(r.status === 1, `jot verify exited with ${r.status}, expected 1`);
    check(r.err.startsWith('error: signature_invalid: '), `unexpected error: ${r.err.trim()}`);
  });
  return row;
}

function printTable(title, rows) {
  const columns = ['alg', 'jot->lib', 'lib->jot', 'lib rejects tampered', 'jot rejects tampered'];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((v, i) => String(v).padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}

const version = jot(['--version']);
if (version.status !== 0) fail(`cannot run ${opts.jot} --version: ${version.err.trim()}`);
const adapters = [];
for (const lib of libs) adapters.push([lib, await makeAdapter(lib)]);

const dir = mkdtempSync(join(tmpdir(), 'jot-interop-'));
let failed = false;
try {
  for (const [lib, adapter] of adapters) {
    const failures = [];
    const rows = [];
    for (const alg of ALGORITHMS) rows.push(await testAlgorithm(lib, adapter, alg, dir, failures));
    printTable(`jot ${version.out.trim()} <-> ${adapter.label} (lib = ${lib})`, rows);
    if (rows.some((r) => Object.values(r).includes('n/a'))) {
      console.log(`n/a: ${lib} does not implement the algorithm`);
    }
    for (const f of failures) console.log(`FAIL ${f}`);
    failed ||= failures.length > 0;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? '\ninterop: FAILED' : '\ninterop: all passed');
process.exit(failed ? 1 : 0);
