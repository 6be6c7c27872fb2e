#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// DPoP interop (RFC 9449): proofs made by node jose verified by jot, and proofs made by jot verified by jose.
//
// usage: node dpop.mjs --tool PATH   (PATH: the dpop_tool executable built from dpop_tool.cpp)
//
// For every asymmetric algorithm: (1) jose signs a proof with its own key -> jot accepts it, with the same
// RFC 7638 thumbprint as jose's calculateJwkThumbprint; (2) jot signs a proof -> jose's jwtVerify accepts it
// with the key embedded in its header (EmbeddedJWK), with the claims and thumbprint jot gave; (3) a tampered
// jose proof is refused by jot with signature_invalid; (4) a jose proof whose header carries the private key
// is refused with dpop_jwk_private. Prints a pass/fail line per algorithm and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const METHOD = 'POST';
const URI = 'https://server.example.com/token';
const ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

const { values: opts } = parseArgs({ options: { tool: { type: 'string' } } });
if (!opts.tool) {
  console.error('usage: node dpop.mjs --tool PATH');
  process.exit(2);
}

let jose;
let version;
try {
  jose = await import('jose');
  version = JSON.parse(readFileSync(join(here, 'node_modules', 'jose', 'package.json'), 'utf8')).version;
} catch (e) {
  console.error(`error: cannot load the npm package 'jose' (${e.code ?? e.message}).\n` +
                'Install the interop test dependencies with:  npm ci --prefix tests/interop');
  process.exit(1);
}

function tool(args, input) {
  const r = spawnSync(opts.tool, args, { input, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`cannot run ${opts.tool}: ${r.error.message}`);
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

function check(cond, what) { if (!cond) throw new Error(what); }

const now = () => Math.floor(Date.now() / 1000);

async function joseProof(alg, privateKey, jwk, claims = {}) {
  const ath = jose.base64url.encode(new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ACCESS_TOKEN))));
  return new jose.SignJWT({ htm: METHOD, htu: URI, jti: randomUUID(), ath, ...claims })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
    .setIssuedAt()
    .sign(privateKey);
}

async function runAlgorithm(alg) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);

  // (1) jose -> jot
  const proof = await joseProof(alg, privateKey, publicJwk);
  const accepted = tool(['verify', METHOD, URI, String(now()), ACCESS_TOKEN], proof);
  check(accepted.status === 0, `jot refused jose's proof: ${accepted.err}`);
  const verified = JSON.parse(accepted.out);
  check(verified.jkt === await jose.calculateJwkThumbprint(publicJwk, 'sha256'),
        `thumbprints differ: jot ${verified.jkt}`);
  check(verified.htm === METHOD && verified.htu === URI && verified.alg === alg, 'jot read other claims');

  // (2) jot -> jose
  const key = tool(['keygen', alg]);
  check(key.status === 0, `jot keygen failed: ${key.err}`);
  const jotProof = tool(['sign', alg, 'GET', `${URI}?page=2#top`, String(now()), ACCESS_TOKEN], key.out);
  check(jotProof.status === 0, `jot sign failed: ${jotProof.err}`);
  const { payload, protectedHeader } = await jose.jwtVerify(jotProof.out, jose.EmbeddedJWK, {
    typ: 'dpop+jwt', algorithms: [alg], requiredClaims: ['jti', 'iat', 'htm', 'htu', 'ath'],
  });
  check(payload.htm === 'GET' && payload.htu === URI, `jose read htm ${payload.htm}, htu ${payload.htu}`);
  const ath = jose.base64url.encode(new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ACCESS_TOKEN))));
  check(payload.ath === ath, 'ath is not the SHA-256 of the access token');
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
    check(!(member in protectedHeader.jwk), `jot's proof header holds private member ${member}`);
  const jotVerified = tool(['verify', 'GET', URI, String(now()), ACCESS_TOKEN], jotProof.out);
  check(jotVerified.status === 0, `jot refused its own proof: ${jotVerified.err}`);
  check(JSON.parse(jotVerified.out).jkt === await jose.calculateJwkThumbprint(protectedHeader.jwk, 'sha256'),
        'thumbprint of jot\'s proof differs between jot and jose');

  // (3) a tampered jose proof
  const [h, , s] = proof.split('.');
  const forged = `${h}.${jose.base64url.encode(JSON.stringify({ ...jose.decodeJwt(proof), htu: 'https://evil.example/' }))}.${s}`;
  const tampered = tool(['verify', METHOD, 'https://evil.example/', String(now()), ACCESS_TOKEN], forged);
  check(tampered.status === 1 && tampered.err === 'signature_invalid', `tampered proof: ${tampered.err || 'accepted'}`);

  // (4) the private key in the header
  const privateJwk = await jose.exportJWK(privateKey);
  const leaky = await joseProof(alg, privateKey, privateJwk);
  const refused = tool(['verify', METHOD, URI, String(now()), ACCESS_TOKEN], leaky);
  check(refused.status === 1 && refused.err === 'dpop_jwk_private', `private jwk: ${refused.err || 'accepted'}`);
}

let failures = 0;
console.log(`DPoP interop with jose ${version}`);
for (const alg of ALGORITHMS) {
  try {
    await runAlgorithm(alg);
    console.log(`  ${alg.padEnd(6)} pass`);
  } catch (e) {
    failures += 1;
    console.log(`  ${alg.padEnd(6)} FAIL: ${e.message}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
