#!/usr/bin/env python3
"""tests/support/jwt_mint.py - RSA keys, a JWKS and JWTs for the tests, with nothing but
the standard library and the openssl CLI (python3-cryptography is not installed):

  jwt_mint.py key FILE                      a new 2048-bit RSA private key in FILE (0600)
  jwt_mint.py jwks KID=FILE [KID=FILE ...]  the JWKS of those keys' public halves (stdout)
  jwt_mint.py token FILE|none HEADER CLAIMS a compact JWS (stdout): HEADER and CLAIMS are
                                            JSON objects; "exp_in"/"nbf_in" in CLAIMS become
                                            exp/nbf that many seconds from now; HEADER gets
                                            "alg": "RS256" unless it names one; FILE signs
                                            (RS256, openssl dgst -sign), none leaves the
                                            signature empty
"""
import base64
import json
import os
import subprocess
import sys
import time


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def public_numbers(keyfile):
    """n and e of the key, from `openssl rsa -text` (hex, colon-separated)."""
    text = openssl("rsa", "-in", keyfile, "-noout", "-text").decode()
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("modulus:"))
    hexdigits = ""
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        hexdigits += line.strip().replace(":", "")
    n = int(hexdigits, 16)
    e_line = next(l for l in lines if l.startswith("publicExponent:"))
    e = int(e_line.split()[1])
    return n, e


def int_bytes(i):
    return i.to_bytes((i.bit_length() + 7) // 8, "big")


def main(argv):
    cmd = argv[1]
    if cmd == "key":
        old = os.umask(0o077)
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", argv[2])
        os.umask(old)
    elif cmd == "jwks":
        keys = []
        for spec in argv[2:]:
            kid, keyfile = spec.split("=", 1)
            n, e = public_numbers(keyfile)
            keys.append({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                         "n": b64url(int_bytes(n)), "e": b64url(int_bytes(e))})
        print(json.dumps({"keys": keys}))
    elif cmd == "token":
        keyfile, header, claims = argv[2], json.loads(argv[3]), json.loads(argv[4])
        header.setdefault("alg", "RS256")
        now = int(time.time())
        for rel, claim in (("exp_in", "exp"), ("nbf_in", "nbf")):
            if rel in claims:
                claims[claim] = now + int(claims.pop(rel))
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = b""
        if keyfile != "none":
            sig = openssl("dgst", "-sha256", "-sign", keyfile, data=signing_input.encode())
        print(signing_input + "." + b64url(sig))
    else:
        sys.exit("usage: jwt_mint.py key|jwks|token ...")


if __name__ == "__main__":
    main(sys.argv)
