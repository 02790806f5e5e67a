"""Verifies smkms audit chain-head signatures with Python gmssl, which shares no code
with smkms. Used by tests/audit.rs.

  python verify_heads.py PUBLIC_KEY.pem < lines

Each input line is `PREV_HEX DER_SIGNATURE_HEX`: the head record's `prev` (the signed
message, as ASCII) and its signature. Prints `OK n` when the signature verifies and the
same signature fails on an altered message, `BAD n` otherwise; exits non-zero on any BAD.
gmssl computes e = SM3(Z || M) with the default ID 1234567812345678 (GB/T 32918.2).
"""

import base64
import sys

from gmssl import sm2


def public_xy(pem_path):
    text = open(pem_path).read()
    body = "".join(l for l in text.splitlines() if not l.startswith("-----"))
    der = base64.b64decode(body)
    # An SM2 SubjectPublicKeyInfo ends with the BIT STRING 00 04 x y.
    point = der[-65:]
    if point[0] != 4 or len(der) != 91:
        raise SystemExit("not an uncompressed SM2 SubjectPublicKeyInfo")
    return point[1:].hex()


def main():
    xy = public_xy(sys.argv[1])
    c = sm2.CryptSM2(private_key="", public_key="", asn1=True)
    # Set directly: the constructor's lstrip("04") would also eat an x starting 0 or 4.
    c.public_key = xy
    bad = 0
    for n, line in enumerate(sys.stdin):
        prev, sig = line.split()
        good = c.verify_with_sm3(sig, prev.encode())
        altered = c.verify_with_sm3(sig, (prev + "0").encode())
        if good and not altered:
            print("OK", n)
        else:
            print("BAD", n, good, altered)
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
