// SPDX-License-Identifier: MIT
// node jsonwebtoken and jose on the token and keys made by benchmarks/compare.
//
//   node bench.mjs MANIFEST.json
//
// The manifest names, per algorithm, the token file and the key files (public JWK for verification, PKCS#8
// PEM or the HMAC secret for signing), plus the claims, issuer, audience, time per batch and repetitions.
// Keys are imported once, outside the timed loops (KeyObject for jsonwebtoken, CryptoKey/KeyObject for
// jose). Verification checks the signature with the one expected algorithm, exp (required), iss and aud,
// as jot's verifier does. Signing signs the same claims with the header alg, typ JWT and kid.
// Prints {"jsonwebtoken": {...}, "jose": {...}} on stdout: per algorithm ops/s per repetition, or an error.
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, createSecretKey, webcrypto as crypto } from 'node:crypto';
import { createRequire } from 'node:module';
import jwt from 'jsonwebtoken';
import * as jose from 'jose';

const require = createRequire(import.meta.url);
const version = (name) => require(`${name}/package.json`).version;
const manifest = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const claims = JSON.parse(readFileSync(manifest.claims_file, 'utf8'));
const { iss, aud } = manifest;
const minSeconds = manifest.min_seconds;
const repetitions = manifest.repetitions;

const text = (path) => readFileSync(path, 'utf8').trim();
const now = () => Number(process.hrtime.bigint()) / 1e9;

// Batches double until one takes at least minSeconds; returns ops/s of that batch.
async function measure(op) {
    let n = 16;
    for (;;) {
        const t0 = now();
        for (let i = 0; i < n; ++i) await op();
        const dt = now() - t0;
        if (dt >= minSeconds) return n / dt;
        n = Math.min(n * 10, Math.ceil((n * minSeconds * 1.2) / Math.max(dt, 1e-9)));
    }
}

// Same, for synchronous operations (no await in the loop).
function measureSync(op) {
    let n = 16;
    for (;;) {
        const t0 = now();
        for (let i = 0; i < n; ++i) op();
        const dt = now() - t0;
        if (dt >= minSeconds) return n / dt;
        n = Math.min(n * 10, Math.ceil((n * minSeconds * 1.2) / Math.max(dt, 1e-9)));
    }
}

async function series(op, sync) {
    if (sync) measureSync(op);  // warm-up (JIT), not reported
    else await measure(op);
    const out = [];
    for (let r = 0; r < repetitions; ++r) out.push(sync ? measureSync(op) : await measure(op));
    return out;
}

function keysFor(alg, files) {
    if (alg.startsWith('HS')) {
        const secret = readFileSync(files.secret_file);
        return { secret: new Uint8Array(secret), secretKey: createSecretKey(secret) };
    }
    const publicJwk = JSON.parse(readFileSync(files.public_jwk, 'utf8'));
    const privatePem = readFileSync(files.private_pem, 'utf8');
    return {
        publicJwk,
        privatePem,
        publicKey: createPublicKey({ key: publicJwk, format: 'jwk' }),
        privateKey: createPrivateKey(privatePem),
    };
}

async function benchJsonwebtoken(alg, files) {
    const k = keysFor(alg, files);
    const token = text(files.token_file);
    // KeyObjects made once: with a Buffer secret jsonwebtoken makes a KeyObject on every call (~30x slower).
    const verifyKey = alg.startsWith('HS') ? k.secretKey : k.publicKey;
    const signKey = alg.startsWith('HS') ? k.secretKey : k.privateKey;
    const options = { algorithms: [alg], issuer: iss, audience: aud };
    const verify = (t) => {
        const payload = jwt.verify(t, verifyKey, options);  // signature, alg, exp (if present), nbf, iss, aud
        if (typeof payload.exp !== 'number') throw new Error('exp missing');  // jot requires exp
        return payload.sub;
    };
    const sign = () => jwt.sign(claims, signKey, { algorithm: alg, keyid: files.kid });
    try {
        verify(token);
    } catch (e) {
        if (alg === 'EdDSA' && /ed25519/i.test(e.message))
            return { error: `jsonwebtoken ${version('jsonwebtoken')} does not support EdDSA (${e.message})` };
        return { error: `cannot verify the token: ${e.message}` };
    }
    let sample;
    try {
        sample = sign();
        verify(sample);
    } catch (e) {
        return { error: `cannot sign: ${e.message}` };
    }
    return { verify: await series(() => verify(token), true), sign: await series(sign, true), sample };
}

async function benchJose(alg, files) {
    const k = keysFor(alg, files);
    const token = text(files.token_file);
    let verifyKey, signKey;
    if (alg.startsWith('HS')) {
        // A CryptoKey made once: jose re-imports a Uint8Array secret on every call (2-3x slower for HS256).
        const hash = { name: 'HMAC', hash: `SHA-${alg.slice(2)}` };
        verifyKey = signKey = await crypto.subtle.importKey('raw', k.secret, hash, false, ['sign', 'verify']);
    } else {
        verifyKey = await jose.importJWK(k.publicJwk, alg);
        signKey = await jose.importPKCS8(k.privatePem, alg);
    }
    const options = { algorithms: [alg], issuer: iss, audience: aud, requiredClaims: ['exp', 'iss', 'aud'] };
    const verify = async (t) => (await jose.jwtVerify(t, verifyKey, options)).payload.sub;
    const sign = () => new jose.SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid: files.kid }).sign(signKey);
    try {
        await verify(token);
    } catch (e) {
        return { error: `cannot verify the token: ${e.code ?? ''} ${e.message}`.trim() };
    }
    let sample;
    try {
        sample = await sign();
        await verify(sample);
    } catch (e) {
        return { error: `cannot sign: ${e.message}` };
    }
    return { verify: await series(() => verify(token), false), sign: await series(sign, false), sample };
}

const out = {
    jsonwebtoken: { version: version('jsonwebtoken'), node: process.version, results: {} },
    jose: { version: version('jose'), node: process.version, results: {} },
};
for (const [alg, files] of Object.entries(manifest.algs)) {
    out.jsonwebtoken.results[alg] = await benchJsonwebtoken(alg, files);
    out.jose.results[alg] = await benchJose(alg, files);
}
console.log(JSON.stringify(out));
