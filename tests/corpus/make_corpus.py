#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds tests/corpus/adversarial.json: tokens made without jot (Python's hmac and the cryptography
package), each with the key, the verification policy and the outcome RFC 7515/7519/7518/8725 mandate.
Run once and commit the output; run_corpus.py checks `jot verify` against it. A case's key is a JWK, or a
JWKS (given to --jwks); expect is "valid", an errc name, "key:<errc>" (the key or key set is refused, exit 2)
or "usage:<text>" (exit 2 with that text in the message)."""
import base64, hashlib, hmac, json, math, secrets, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

NOW = 1_700_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64int(n: int, size: int = 0) -> str:
    return b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


def enc(part) -> str:
    return b64(part if isinstance(part, bytes) else json.dumps(part, separators=(",", ":")).encode())


SECRET = b"corpus-secret-0123456789abcdef-0123456789"
OCT = {"kty": "oct", "k": b64(SECRET)}
EC_KEY = ec.generate_private_key(ec.SECP256R1())
EC_PUB = EC_KEY.public_key().public_numbers()
EC_JWK = {"kty": "EC", "crv": "P-256", "x": b64int(EC_PUB.x, 32), "y": b64int(EC_PUB.y, 32)}
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PUB = RSA_KEY.public_key().public_numbers()
RSA_JWK = {"kty": "RSA", "n": b64int(RSA_PUB.n), "e": b64int(RSA_PUB.e)}
RSA_PEM = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
ED_JWK = {"kty": "OKP", "crv": "Ed25519",
          "x": b64(ED_KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))}

GOOD = {"iss": "https://issuer.example", "aud": "api", "sub": "alice", "iat": NOW - 10, "exp": NOW + 600}
POLICY = ["--iss", "https://issuer.example", "--aud", "api", "--now", str(NOW)]

cases = []


def add(name, token, key, algs, expect, args=POLICY):
    cases.append({"name": name, "token": token, "key": key, "alg": algs, "args": list(args), "expect": expect})


def hs(header, payload, secret=SECRET, digest=hashlib.sha256, raw_header=None, raw_payload=None):
    h = b64(raw_header) if raw_header is not None else enc(header)
    p = b64(raw_payload) if raw_payload is not None else enc(payload)
    sig = hmac.new(secret, f"{h}.{p}".encode(), digest).digest()
    return f"{h}.{p}.{b64(sig)}"


def es256(header, payload, sig_transform=None):
    h, p = enc(header), enc(payload)
    der = EC_KEY.sign(f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    sig = sig_transform(raw, der) if sig_transform else raw
    return f"{h}.{p}.{b64(sig)}"


# Valid tokens in every family, as the baseline the rejections are measured against.
add("valid HS256", hs({"alg": "HS256", "typ": "JWT"}, GOOD), OCT, "HS256", "valid")
SECRET64 = SECRET + b"-longer-for-HS512-0123456789"
add("valid HS512", hs({"alg": "HS512"}, GOOD, secret=SECRET64, digest=hashlib.sha512), {"kty": "oct", "k": b64(SECRET64)}, "HS512", "valid")
# RFC 7518 3.2: an HMAC key shorter than the hash output must not be used; jot refuses the key (exit 2).
add("HS512 with a 41-byte key", hs({"alg": "HS512"}, GOOD, digest=hashlib.sha512), OCT, "HS512", "key:key_too_weak")
add("valid ES256", es256({"alg": "ES256"}, GOOD), EC_JWK, "ES256", "valid")
h, p = enc({"alg": "RS256"}), enc(GOOD)
add("valid RS256", f"{h}.{p}.{b64(RSA_KEY.sign(f'{h}.{p}'.encode(), padding.PKCS1v15(), hashes.SHA256()))}", RSA_JWK, "RS256", "valid")
h = enc({"alg": "PS256"})
pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
add("valid PS256", f"{h}.{p}.{b64(RSA_KEY.sign(f'{h}.{p}'.encode(), pss, hashes.SHA256()))}", RSA_JWK, "PS256", "valid")
h = enc({"alg": "EdDSA"})
add("valid EdDSA", f"{h}.{p}.{b64(ED_KEY.sign(f'{h}.{p}'.encode()))}", ED_JWK, "EdDSA", "valid")
add("valid with fractional exp", hs({"alg": "HS256"}, {**GOOD, "exp": NOW + 0.5}), OCT, "HS256", "valid")
add("valid aud array", hs({"alg": "HS256"}, {**GOOD, "aud": ["web", "api"]}), OCT, "HS256", "valid")

# RFC 8725 3.1: unsecured tokens and algorithm confusion.
for spelling in ["none", "None", "NONE", "nOnE"]:
    add(f"alg {spelling} with empty signature", f"{enc({'alg': spelling})}.{enc(GOOD)}.", OCT, "HS256", "algorithm_none")
add("alg none with a signature", hs({"alg": "none"}, GOOD), OCT, "HS256", "algorithm_none")
add("HS256 signed with the RSA public key PEM", hs({"alg": "HS256"}, GOOD, secret=RSA_PEM), RSA_JWK, "RS256", "algorithm_not_allowed")
add("HS256 signed with the RSA public key PEM, HS256 allowed", hs({"alg": "HS256"}, GOOD, secret=RSA_PEM), RSA_JWK, "RS256,HS256", "algorithm_not_allowed")
add("ES256 token against an HS256-only policy", es256({"alg": "ES256"}, GOOD), OCT, "HS256", "algorithm_not_allowed")
add("unknown alg", hs({"alg": "HS257"}, GOOD), OCT, "HS256", "algorithm_unknown")
add("alg in lower case", hs({"alg": "hs256"}, GOOD), OCT, "HS256", "algorithm_unknown")
add("alg missing", hs({"typ": "JWT"}, GOOD), OCT, "HS256", "header_invalid")
add("alg not a string", hs({"alg": 256}, GOOD), OCT, "HS256", "header_invalid")

# RFC 7515 4.1.11 crit, RFC 7797 b64, RFC 8725 3.10 embedded keys.
add("crit naming an extension", hs({"alg": "HS256", "crit": ["exp"], "exp": 1}, GOOD), OCT, "HS256", "header_crit_unsupported")
add("crit b64 with b64 false", hs({"alg": "HS256", "crit": ["b64"], "b64": False}, GOOD), OCT, "HS256", "header_crit_unsupported")
add("crit empty", hs({"alg": "HS256", "crit": []}, GOOD), OCT, "HS256", "header_invalid")
add("b64 false", hs({"alg": "HS256", "b64": False}, GOOD), OCT, "HS256", "header_unencoded_payload")
for member in ["jwk", "jku", "x5u", "x5c"]:
    value = OCT if member == "jwk" else (["AAAA"] if member == "x5c" else "https://attacker.example/k")
    add(f"embedded {member}", hs({"alg": "HS256", member: value}, GOOD), OCT, "HS256", "header_embedded_key")

# Duplicate members (RFC 7515 5.2, RFC 7519 4) and bad text.
add("duplicate alg in header", hs(None, GOOD, raw_header=b'{"alg":"HS256","alg":"HS256"}'), OCT, "HS256", "json_duplicate_member")
dup_payload = json.dumps(GOOD)[:-1] + ',"sub":"mallory"}'
add("duplicate sub in payload", hs({"alg": "HS256"}, None, raw_payload=dup_payload.encode()), OCT, "HS256", "json_duplicate_member")
esc_payload = json.dumps(GOOD)[:-1] + ',"\\u0065xp":9999999999}'
add("escaped duplicate exp in payload", hs({"alg": "HS256"}, None, raw_payload=esc_payload.encode()), OCT, "HS256", "json_duplicate_member")
bad_utf8 = json.dumps(GOOD)[:-1].encode() + b',"name":"\xff"}'
add("invalid UTF-8 in payload", hs({"alg": "HS256"}, None, raw_payload=bad_utf8), OCT, "HS256", "json_invalid_utf8")
overlong = json.dumps(GOOD)[:-1].encode() + b',"name":"\xc0\xaf"}'
add("overlong UTF-8 in payload", hs({"alg": "HS256"}, None, raw_payload=overlong), OCT, "HS256", "json_invalid_utf8")
lone = json.dumps(GOOD)[:-1] + ',"name":"\\ud800"}'
add("lone surrogate escape in payload", hs({"alg": "HS256"}, None, raw_payload=lone.encode()), OCT, "HS256", "payload_invalid")
add("payload not JSON", hs({"alg": "HS256"}, None, raw_payload=b"hello"), OCT, "HS256", "payload_invalid")
add("payload a JSON array", hs({"alg": "HS256"}, None, raw_payload=b"[1]"), OCT, "HS256", "payload_invalid")
add("header not JSON", hs(None, GOOD, raw_header=b"alg=HS256"), OCT, "HS256", "header_invalid")

# Numbers and times (RFC 7519 2, 4.1.4-4.1.6).
def with_raw(field_text):
    return json.dumps({k: v for k, v in GOOD.items() if k != "exp"})[:-1] + "," + field_text + "}"
add("exp NaN", hs({"alg": "HS256"}, None, raw_payload=with_raw('"exp":NaN').encode()), OCT, "HS256", "payload_invalid")
add("exp 1e400", hs({"alg": "HS256"}, None, raw_payload=with_raw('"exp":1e400').encode()), OCT, "HS256", "json_number_out_of_range")
add("exp as a string", hs({"alg": "HS256"}, {**GOOD, "exp": str(NOW + 600)}), OCT, "HS256", "claim_invalid")
add("exp 1e300", hs({"alg": "HS256"}, None, raw_payload=with_raw('"exp":1e300').encode()), OCT, "HS256", "claim_invalid")
add("exp negative", hs({"alg": "HS256"}, {**GOOD, "exp": -1}), OCT, "HS256", "claim_invalid")
add("exp equal to now", hs({"alg": "HS256"}, {**GOOD, "exp": NOW}), OCT, "HS256", "token_expired")
add("exp in the past", hs({"alg": "HS256"}, {**GOOD, "exp": NOW - 1}), OCT, "HS256", "token_expired")
add("exp in the past within leeway", hs({"alg": "HS256"}, {**GOOD, "exp": NOW - 5}), OCT, "HS256", "valid", POLICY + ["--leeway", "10"])
add("exp missing", hs({"alg": "HS256"}, {k: v for k, v in GOOD.items() if k != "exp"}), OCT, "HS256", "claim_missing")
add("nbf in the future", hs({"alg": "HS256"}, {**GOOD, "nbf": NOW + 5}), OCT, "HS256", "token_not_yet_valid")
add("iat in the future", hs({"alg": "HS256"}, {**GOOD, "iat": NOW + 5}), OCT, "HS256", "token_issued_in_future")

# Issuer and audience.
add("wrong issuer", hs({"alg": "HS256"}, {**GOOD, "iss": "https://evil.example"}), OCT, "HS256", "issuer_mismatch")
add("wrong audience", hs({"alg": "HS256"}, {**GOOD, "aud": "other"}), OCT, "HS256", "audience_mismatch")
add("audience array without ours", hs({"alg": "HS256"}, {**GOOD, "aud": ["a", "b"]}), OCT, "HS256", "audience_mismatch")
add("audience array with a number", hs({"alg": "HS256"}, {**GOOD, "aud": ["api", 3]}), OCT, "HS256", "claim_invalid")
add("audience missing", hs({"alg": "HS256"}, {k: v for k, v in GOOD.items() if k != "aud"}), OCT, "HS256", "claim_missing")

# Signatures: encoding and length (RFC 7515 2, RFC 7518 3.4).
good_hs = hs({"alg": "HS256"}, GOOD)
head, _, sig = good_hs.rpartition(".")
raw_sig = base64.urlsafe_b64decode(sig + "=")
add("HMAC signature truncated", f"{head}.{b64(raw_sig[:31])}", OCT, "HS256", "signature_length_invalid")
add("HMAC signature with padding", f"{good_hs}=", OCT, "HS256", "base64_invalid")
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
noncanon = sig[:-1] + alphabet[alphabet.index(sig[-1]) | 1]
add("HMAC signature with non-zero trailing bits", f"{head}.{noncanon}", OCT, "HS256", "base64_invalid")
add("signature in standard base64", f"{head}.{sig.replace('-', '+').replace('_', '/') if ('-' in sig or '_' in sig) else '+' + sig[1:]}", OCT, "HS256", "base64_invalid")
add("HMAC signature wrong", hs({"alg": "HS256"}, GOOD, secret=b"another-secret-0123456789abcdef-0123456789"), OCT, "HS256", "signature_invalid")
add("ECDSA signature as DER", es256({"alg": "ES256"}, GOOD, lambda raw, der: der), EC_JWK, "ES256", "signature_length_invalid")
add("ECDSA signature zero-padded", es256({"alg": "ES256"}, GOOD, lambda raw, der: b"\0" + raw[:32] + b"\0" + raw[32:]), EC_JWK, "ES256", "signature_length_invalid")
add("ECDSA signature truncated", es256({"alg": "ES256"}, GOOD, lambda raw, der: raw[:63]), EC_JWK, "ES256", "signature_length_invalid")
add("ECDSA psychic signature r=s=0", es256({"alg": "ES256"}, GOOD, lambda raw, der: bytes(64)), EC_JWK, "ES256", "signature_invalid")
add("ECDSA r and s swapped", es256({"alg": "ES256"}, GOOD, lambda raw, der: raw[32:] + raw[:32]), EC_JWK, "ES256", "signature_invalid")
add("ECDSA s = n - s (high s) is still valid", es256({"alg": "ES256"}, GOOD, lambda raw, der: raw[:32] + (0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551 - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")), EC_JWK, "ES256", "valid")

# Structure and limits.
add("two parts", f"{enc({'alg': 'HS256'})}.{enc(GOOD)}", OCT, "HS256", "token_malformed")
add("four parts", good_hs + ".AAAA", OCT, "HS256", "token_malformed")
add("empty header", "." + good_hs.split(".", 1)[1], OCT, "HS256", "token_malformed")
big = hs({"alg": "HS256"}, {**GOOD, "pad": "x" * 9000})
add("token over 8 KiB", big, OCT, "HS256", "token_too_large")
add("token over --max-bytes", good_hs, OCT, "HS256", "token_too_large", POLICY + ["--max-bytes", "100"])
deep = json.dumps(GOOD)[:-1] + ',"d":' + "[" * 40 + "]" * 40 + "}"
add("payload nested 41 deep", hs({"alg": "HS256"}, None, raw_payload=deep.encode()), OCT, "HS256", "json_too_deep")
add("kid that no key has", hs({"alg": "HS256", "kid": "other"}, GOOD), {**OCT, "kid": "mine"}, "HS256", "key_not_found")
add("kid that the key has", hs({"alg": "HS256", "kid": "mine"}, GOOD), {**OCT, "kid": "mine"}, "HS256", "valid")
add("typ mismatch", hs({"alg": "HS256", "typ": "JWT"}, GOOD), OCT, "HS256", "type_mismatch", POLICY + ["--typ", "at+jwt"])
add("typ as media type", hs({"alg": "HS256", "typ": "application/at+jwt"}, GOOD), OCT, "HS256", "valid", POLICY + ["--typ", "at+jwt"])

# RFC test vectors (signature-only where the payload is not a JWT claims set).
A_EXP_NOW = ["--now", "1300819370", "--iss", "joe", "--any-audience"]
add("RFC 7515 A.1", "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    {"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}, "HS256", "valid", A_EXP_NOW)
add("RFC 7515 A.3", "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
    {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}, "ES256", "valid", A_EXP_NOW)
add("RFC 7515 A.5 unsecured", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.",
    {"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}, "HS256", "algorithm_none", A_EXP_NOW)
add("RFC 8037 A.4 Ed25519 (JWS)", "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
    {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}, "EdDSA", "valid", ["--jws-only"])

# Strict by default: the issuer and audience checks are configured or waived by name.
add("no --iss and no --aud", good_hs, OCT, "HS256", "usage:--iss and --aud", ["--now", str(NOW)])
add("no --aud", good_hs, OCT, "HS256", "usage:--aud", ["--now", str(NOW), "--iss", "https://issuer.example"])
add("--any-issuer and --any-audience", good_hs, OCT, "HS256", "valid", ["--now", str(NOW), "--any-issuer", "--any-audience"])
add("--max-depth below the payload's nesting", hs({"alg": "HS256"}, {**GOOD, "d": [[[[[]]]]]}), OCT, "HS256", "json_too_deep", POLICY + ["--max-depth", "4"])
add("--max-depth above the payload's nesting", hs({"alg": "HS256"}, None, raw_payload=deep.encode()), OCT, "HS256", "valid", POLICY + ["--max-depth", "64"])


# Weak RSA keys (issue 15), refused at load whatever the token says.
def is_probable_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(40):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def pkcs1_v15_sha256(message: bytes, k: int) -> int:
    """EMSA-PKCS1-v1_5 (RFC 8017 9.2) of SHA-256: with e = 1 this is the signature itself."""
    t = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(message).digest()
    return int.from_bytes(b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t, "big")


h, p = enc({"alg": "RS256"}), enc(GOOD)
forged = pkcs1_v15_sha256(f"{h}.{p}".encode(), 256)
add("RS256 forged for a key with e = 1", f"{h}.{p}.{b64int(forged, 256)}", {"kty": "RSA", "n": RSA_JWK["n"], "e": b64int(1)}, "RS256", "key:key_rsa_exponent_invalid")
for e in [2, 4, 65536, 2**32 + 1, 2**64 + 1]:
    add(f"RSA key with e = {e}", f"{h}.{p}.{b64int(forged, 256)}", {"kty": "RSA", "n": RSA_JWK["n"], "e": b64int(e)}, "RS256", "key:key_rsa_exponent_invalid")
add("RSA key with e = 3 is accepted", f"{h}.{p}.{b64int(forged, 256)}", {"kty": "RSA", "n": RSA_JWK["n"], "e": b64int(3)}, "RS256", "signature_invalid")

# ROCA (CVE-2017-15361; Nemec et al., CCS 2017): primes k * M + (65537^a mod M), M the product of the first
# 126 primes as for Infineon's 2048-bit keys. A real key pair of that shape, and a token it really signed.
SMALL_PRIMES = [n for n in range(2, 702) if all(n % d for d in range(2, int(n ** 0.5) + 1))]
M = 1
for q in SMALL_PRIMES[:126]:
    M *= q


def roca_prime(bits: int) -> int:
    while True:
        k = secrets.randbits(bits - M.bit_length()) | 1 << (bits - M.bit_length() - 1)
        cand = k * M + pow(65537, secrets.randbits(64), M)
        if cand.bit_length() == bits and math.gcd(cand - 1, 65537) == 1 and is_probable_prime(cand):
            return cand


rn = 0
while rn.bit_length() != 2048:
    rp, rq = roca_prime(1024), roca_prime(1024)
    rn = rp * rq
rd = pow(65537, -1, (rp - 1) * (rq - 1))
roca_key = rsa.RSAPrivateNumbers(rp, rq, rd, rd % (rp - 1), rd % (rq - 1), pow(rq, -1, rp),
                                 rsa.RSAPublicNumbers(65537, rn)).private_key()
h = enc({"alg": "RS256"})
roca_token = f"{h}.{p}.{b64(roca_key.sign(f'{h}.{p}'.encode(), padding.PKCS1v15(), hashes.SHA256()))}"
add("RS256 signed by a ROCA-shaped key", roca_token, {"kty": "RSA", "n": b64int(rn), "e": b64int(65537)}, "RS256", "key:key_rsa_roca")

# Ed25519 points of small order, derived here from the curve (RFC 8032 5.1): [L]P for points P of the curve
# lands in the torsion subgroup; its multiples are the eight points of small order.
P25519 = 2**255 - 19
L25519 = 2**252 + 27742317777372353535851937790883648493
D25519 = -121665 * pow(121666, -1, P25519) % P25519


def ed_add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = D25519 * x1 * x2 * y1 * y2 % P25519
    return ((x1 * y2 + x2 * y1) * pow(1 + t, -1, P25519) % P25519,
            (y1 * y2 + x1 * x2) * pow(1 - t, -1, P25519) % P25519)


def ed_mul(n, pt):
    out = (0, 1)
    while n:
        if n & 1:
            out = ed_add(out, pt)
        pt, n = ed_add(pt, pt), n >> 1
    return out


def ed_x(y):
    """A square root x of (y^2 - 1) / (d y^2 + 1), or None if y is not on the curve."""
    xx = (y * y - 1) * pow(D25519 * y * y + 1, -1, P25519) % P25519
    x = pow(xx, (P25519 + 3) // 8, P25519)
    if x * x % P25519 != xx:
        x = x * pow(2, (P25519 - 1) // 4, P25519) % P25519
    return x if x * x % P25519 == xx else None


def ed_encode(x, y, y_offset=0):
    return ((y + y_offset) | (x & 1) << 255).to_bytes(32, "little")


torsion, y = set(), 2
while len(torsion) < 8:
    y += 1
    x = ed_x(y)
    if x is not None:
        t = ed_mul(L25519, (x, y))
        torsion |= {t, ed_mul(2, t), ed_mul(3, t), ed_mul(4, t), ed_mul(5, t), ed_mul(6, t), ed_mul(7, t), (0, 1)}
encodings = {ed_encode(x, y) for x, y in torsion}
encodings |= {ed_encode(1, y) for x, y in torsion if x == 0}                     # x = -0
encodings |= {ed_encode(x ^ s, y, P25519) for x, y in torsion if y + P25519 < 2**255 for s in (0, 1)}  # y + p
h = enc({"alg": "EdDSA"})
identity = ed_encode(0, 1)
for i, pub in enumerate(sorted(encodings)):
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(pub)}
    # R = identity, S = 0: valid for any message under the identity key, per the cofactorless equation
    add(f"Ed25519 small-order key {i} ({pub[:2].hex()}..{pub[-1:].hex()})", f"{h}.{p}.{b64(identity + bytes(32))}", jwk, "EdDSA", "key:key_ed25519_small_order")
add("Ed25519 key with y = p + 3", f"{h}.{p}.{b64(bytes(64))}", {"kty": "OKP", "crv": "Ed25519", "x": b64((P25519 + 3).to_bytes(32, "little"))}, "EdDSA", "key:key_ed25519_non_canonical")
add("Ed25519 key with y = 2^255 - 1", f"{h}.{p}.{b64(bytes(64))}", {"kty": "OKP", "crv": "Ed25519", "x": b64((2**255 - 1).to_bytes(32, "little"))}, "EdDSA", "key:key_ed25519_non_canonical")
add("Ed25519 key off the curve (y = 2)", f"{h}.{p}.{b64(bytes(64))}", {"kty": "OKP", "crv": "Ed25519", "x": b64((2).to_bytes(32, "little"))}, "EdDSA", "key:key_invalid")

# Ed25519 signatures a strict verifier refuses: S + L (RFC 8032 5.1.7) and R of small order with
# S = k * a mod L, which the cofactorless equation accepts from the key's holder.
ed_seed = ED_KEY.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
ed_pub = base64.urlsafe_b64decode(ED_JWK["x"] + "=")
good_ed = ED_KEY.sign(f"{h}.{p}".encode())
s_plus_l = (int.from_bytes(good_ed[32:], "little") + L25519).to_bytes(32, "little")
add("EdDSA signature with S + L", f"{h}.{p}.{b64(good_ed[:32] + s_plus_l)}", ED_JWK, "EdDSA", "signature_invalid")
scalar = int.from_bytes(hashlib.sha512(ed_seed).digest()[:32], "little") & (2**254 - 8) | 2**254
k_hash = int.from_bytes(hashlib.sha512(identity + ed_pub + f"{h}.{p}".encode()).digest(), "little") % L25519
add("EdDSA signature with R = identity", f"{h}.{p}.{b64(identity + (k_hash * scalar % L25519).to_bytes(32, 'little'))}", ED_JWK, "EdDSA", "signature_invalid")

# Key sets (issue 15): one kid for two keys, secret keys beside public keys.
EC2 = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
EC2_JWK = {"kty": "EC", "crv": "P-256", "x": b64int(EC2.x, 32), "y": b64int(EC2.y, 32)}
es_token = es256({"alg": "ES256", "kid": "k"}, GOOD)
add("JWKS with two keys under one kid", es_token, {"keys": [{**EC_JWK, "kid": "k"}, {**EC2_JWK, "kid": "k"}]}, "ES256", "key:key_set_duplicate_kid")
add("JWKS with one key twice under one kid", es_token, {"keys": [{**EC_JWK, "kid": "k"}, {**EC_JWK, "kid": "k", "alg": "ES256"}]}, "ES256", "valid")
add("JWKS with an oct key beside an EC key", es_token, {"keys": [{**EC_JWK, "kid": "k"}, {**OCT, "kid": "h"}]}, "ES256,HS256", "key:key_set_mixed_kinds")
add("JWKS with an e = 1 RSA key beside a good key", es_token, {"keys": [{**EC_JWK, "kid": "k"}, {"kty": "RSA", "n": RSA_JWK["n"], "e": b64int(1)}]}, "ES256,RS256", "key:key_rsa_exponent_invalid")

json.dump({"note": "generated by make_corpus.py without jot; expect is 'valid' or the jot errc name",
           "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
