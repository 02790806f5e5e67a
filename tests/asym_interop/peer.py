"""Python peers for tests/asym_interop.rs: pyca/cryptography (RSA, ECDSA P-256) and
gmssl (SM2), none of which is smkms.

Reads one JSON job per line on stdin, prints one JSON result per line:
  {"op": "rsa_encrypt", "pub": HEX SPKI DER, "pad": "pkcs1"|"oaep-sha1"|"oaep-sha256", "msg": HEX}
        -> {"ct": HEX}
  {"op": "sm2_encrypt", "xy": HEX x||y, "msg": HEX}      gmssl, C1C3C2, re-encoded as
        -> {"ct": HEX DER}                              SEQUENCE {x, y, C3, C2}
  {"op": "sm2_sign", "d": HEX, "xy": HEX, "msg": HEX}    gmssl sign_with_sm3 (default ID),
        -> {"sig": HEX DER}                             DER through gmssl's asn1 mode
  {"op": "sm2_verify", "xy": HEX, "msg": HEX, "sig": HEX DER} -> {"ok": bool}
  {"op": "sm2_e", "xy": HEX, "msg": HEX} -> {"e": HEX}  gmssl's SM3(Z_A || M)
  {"op": "sign", "alg": "ecdsa"|"pss"|"pkcs1", "key": HEX PKCS#8 DER, "msg": HEX} -> {"sig": HEX}
  {"op": "verify", "alg": ..., "pub": HEX SPKI DER, "msg": HEX, "sig": HEX} -> {"ok": bool}
Errors come back as {"err": "..."}.
"""

import json
import sys


def pad_of(name):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if name == "pkcs1":
        return padding.PKCS1v15()
    h = hashes.SHA1() if name == "oaep-sha1" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


def sig_pad(alg):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if alg == "pss":
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return padding.PKCS1v15()


def run(job):
    op = job["op"]
    msg = bytes.fromhex(job.get("msg", ""))
    if op == "rsa_encrypt":
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        key = load_der_public_key(bytes.fromhex(job["pub"]))
        return {"ct": key.encrypt(msg, pad_of(job["pad"])).hex()}
    if op in ("sm2_encrypt", "sm2_sign", "sm2_verify", "sm2_e"):
        from gmssl import sm2
        from Cryptodome.Util.asn1 import DerInteger, DerOctetString, DerSequence

        # The point is set after construction: the constructor's lstrip("04") would also
        # eat leading 0 and 4 digits of an x that starts with 04 (one key in 256).
        c = sm2.CryptSM2(private_key=job.get("d", ""), public_key="", mode=1, asn1=True)
        c.public_key = job["xy"]
        if op == "sm2_encrypt":
            body = c.encrypt(msg)
            x, y, c3, c2 = body[:32], body[32:64], body[64:96], body[96:]
            der = DerSequence([
                DerInteger(int.from_bytes(x, "big")),
                DerInteger(int.from_bytes(y, "big")),
                DerOctetString(c3),
                DerOctetString(c2),
            ]).encode()
            return {"ct": der.hex()}
        if op == "sm2_sign":
            sig = None
            while sig is None:
                sig = c.sign_with_sm3(msg)
            return {"sig": sig}
        if op == "sm2_e":
            return {"e": c._sm3_z(msg)}
        return {"ok": bool(c.verify_with_sm3(job["sig"], msg))}
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        load_der_private_key,
        load_der_public_key,
    )

    alg = job["alg"]
    if op == "sign":
        key = load_der_private_key(bytes.fromhex(job["key"]), password=None)
        if alg == "ecdsa":
            sig = key.sign(msg, ec.ECDSA(hashes.SHA256()))
        else:
            sig = key.sign(msg, sig_pad(alg), hashes.SHA256())
        return {"sig": sig.hex()}
    if op == "verify":
        key = load_der_public_key(bytes.fromhex(job["pub"]))
        sig = bytes.fromhex(job["sig"])
        try:
            if alg == "ecdsa":
                key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
            else:
                key.verify(sig, msg, sig_pad(alg), hashes.SHA256())
            return {"ok": True}
        except InvalidSignature:
            return {"ok": False}
    raise ValueError("unknown op " + op)


out = []
for line in sys.stdin:
    if not line.strip():
        continue
    try:
        out.append(run(json.loads(line)))
    except Exception as e:  # reported to the test, which fails on it
        out.append({"err": "%s: %s" % (type(e).__name__, e)})
sys.stdout.write("".join(json.dumps(o) + "\n" for o in out))
