// SPDX-License-Identifier: MIT
// libjwt 1.x (Debian 12: libjwt-dev 1.10.2) on the token and keys made by benchmarks/compare.
//
//   libjwt_bench ALG TOKEN_FILE VERIFY_KEY_FILE SIGN_KEY_FILE CLAIMS_FILE ISS AUD KID MIN_SECONDS REPETITIONS
//
// Key files: the raw secret bytes for HS*, PEM (public for verify, PKCS#8 private for sign) otherwise.
// libjwt 1.10 has no key object: jwt_decode() and jwt_set_alg() take the key bytes and parse the PEM on every
// call, so that cost is part of what is measured here, as it is for every libjwt 1.x user.
// libjwt 1.10 has no claim validation (jwt_valid_* came in 1.12): exp, iss, aud and the algorithm are checked
// here after jwt_decode(), as an application must. Prints one JSON object on stdout.
#include <jwt.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char* read_file(const char* path, size_t* len) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char* buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static void trim(char* s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = '\0';
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct ctx {
    jwt_alg_t alg;
    const char* token;
    const unsigned char* vkey;
    int vkey_len;
    const unsigned char* skey;
    int skey_len;
    const char* claims;
    const char* iss;
    const char* aud;
    const char* kid;
};

// Verify: signature (libjwt picks the algorithm from the header, so check it is the expected one), then
// exp > now, iss and aud, as jot's verifier does. Returns 0 on success.
static int verify_once(const struct ctx* c) {
    jwt_t* jwt = NULL;
    int rc = jwt_decode(&jwt, c->token, c->vkey, c->vkey_len);
    if (rc != 0) return 1;
    int bad = 0;
    if (jwt_get_alg(jwt) != c->alg) bad = 2;
    errno = 0;
    const long exp = jwt_get_grant_int(jwt, "exp");
    if (!bad && (errno == ENOENT || exp <= (long)time(NULL))) bad = 3;
    const char* iss = jwt_get_grant(jwt, "iss");
    if (!bad && (!iss || strcmp(iss, c->iss) != 0)) bad = 4;
    const char* aud = jwt_get_grant(jwt, "aud");  // a string here; an array would need jwt_get_grants_json
    if (!bad && (!aud || strcmp(aud, c->aud) != 0)) bad = 5;
    const char* sub = jwt_get_grant(jwt, "sub");  // read it, as jot's benchmark reads subject()
    if (!bad && !sub) bad = 6;
    jwt_free(jwt);
    return bad;
}

// Sign the same claims with the same header (alg, typ, kid). Returns the token (caller frees) or NULL.
static char* sign_once(const struct ctx* c) {
    jwt_t* jwt = NULL;
    if (jwt_new(&jwt) != 0) return NULL;
    char* out = NULL;
    if (jwt_add_grants_json(jwt, c->claims) == 0 && jwt_add_header(jwt, "kid", c->kid) == 0 &&
        jwt_set_alg(jwt, c->alg, c->skey, c->skey_len) == 0)
        out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return out;
}

typedef int (*op_fn)(const struct ctx*);

static int op_verify(const struct ctx* c) { return verify_once(c); }

static int op_sign(const struct ctx* c) {
    char* t = sign_once(c);
    if (!t) return 1;
    free(t);
    return 0;
}

// Runs batches, doubling the batch until one takes at least min_seconds; returns ops/s of that batch.
static double measure(op_fn fn, const struct ctx* c, double min_seconds) {
    long n = 16;
    for (;;) {
        const double t0 = now_seconds();
        for (long i = 0; i < n; ++i)
            if (fn(c) != 0) return -1.0;
        const double dt = now_seconds() - t0;
        if (dt >= min_seconds) return (double)n / dt;
        const double want = dt > 0 ? (double)n * min_seconds * 1.2 / dt : (double)n * 10;
        n = want > (double)n * 10 ? n * 10 : (long)want + 1;
    }
}

static void print_series(const char* name, op_fn fn, const struct ctx* c, double min_s, int reps) {
    printf("\"%s\": [", name);
    for (int r = 0; r < reps; ++r) {
        const double ops = measure(fn, c, min_s);
        printf(r ? ", %.1f" : "%.1f", ops);
        fflush(stdout);
    }
    printf("]");
}

int main(int argc, char** argv) {
    if (argc != 11) {
        fprintf(stderr,
                "usage: %s ALG TOKEN_FILE VERIFY_KEY_FILE SIGN_KEY_FILE CLAIMS_FILE ISS AUD KID MIN_SECONDS "
                "REPETITIONS\n",
                argv[0]);
        return 2;
    }
    struct ctx c;
    size_t vlen = 0, slen = 0;
    c.alg = jwt_str_alg(argv[1]);
    char* token = read_file(argv[2], NULL);
    char* vkey = read_file(argv[3], &vlen);
    char* skey = read_file(argv[4], &slen);
    char* claims = read_file(argv[5], NULL);
    if (c.alg == JWT_ALG_INVAL || !token || !vkey || !skey || !claims) {
        printf("{\"alg\": \"%s\", \"error\": \"unsupported algorithm or unreadable file\"}\n", argv[1]);
        return 0;
    }
    trim(token);
    c.token = token;
    c.vkey = (const unsigned char*)vkey;
    c.vkey_len = (int)vlen;
    c.skey = (const unsigned char*)skey;
    c.skey_len = (int)slen;
    c.claims = claims;
    c.iss = argv[6];
    c.aud = argv[7];
    c.kid = argv[8];
    const double min_s = atof(argv[9]);
    const int reps = atoi(argv[10]);

    const int vrc = verify_once(&c);
    if (vrc != 0) {
        static const char* why[] = {"ok", "jwt_decode failed (bad signature, key or format)", "unexpected alg",
                                    "exp missing or past", "iss mismatch", "aud mismatch", "sub missing"};
        printf("{\"alg\": \"%s\", \"error\": \"cannot verify the token: %s\"}\n", argv[1], why[vrc]);
        return 0;
    }
    // A token libjwt signs must verify with libjwt and the public key (a check that sign does the work).
    char* mine = sign_once(&c);
    char sample[8192] = "";
    if (mine && strlen(mine) < sizeof sample) strcpy(sample, mine);
    if (!mine) {
        printf("{\"alg\": \"%s\", \"error\": \"cannot sign\"}\n", argv[1]);
        return 0;
    }
    struct ctx back = c;
    back.token = mine;
    const int src = verify_once(&back);
    free(mine);
    if (src != 0) {
        printf("{\"alg\": \"%s\", \"error\": \"a token libjwt signed does not verify\"}\n", argv[1]);
        return 0;
    }

    printf("{\"alg\": \"%s\", ", argv[1]);
    print_series("verify", op_verify, &c, min_s, reps);
    printf(", ");
    print_series("sign", op_sign, &c, min_s, reps);
    printf(", \"sample\": \"%s\"}\n", sample);
    free(token);
    free(vkey);
    free(skey);
    free(claims);
    return 0;
}
