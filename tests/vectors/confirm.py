"""Checks smkms's CiphertextBlob v1 and SM4 / SM4-GCM vectors with code that is not smkms.

Used by tests/vectors.rs. Run as `python confirm.py FILE...`; prints one JSON object:

  {FILE: {"implementations": [id, ...],
          "tests": {tcId: {"result": "valid" | "invalid",
                           "confirmed": [id, ...],   valid: decrypted to msg and re-encrypted
                                                     to the same bytes; invalid: refused
                           "disagreed": ["id: what happened", ...],
                           "skipped": ["id: why", ...]}}}}

The implementations (ids as in the files' `confirmedBy`):

  pyca-cryptography  Python `cryptography` (OpenSSL): AESGCM, Cipher(SM4, GCM), Cipher(SM4, ECB)
  pycryptodomex      pycryptodomex: AES in GCM mode
  gmssl-gcm          gmssl's SM4 block cipher (CryptSM4.one_round) under the GCM of NIST
                     SP 800-38D written below, independent of OpenSSL and of RustCrypto

For blob files the CiphertextBlob layout and the canonical EncryptionContext are
recomputed here from DESIGN §2, not taken from smkms: a test whose `canonicalContext`
differs from what json.loads / json.dumps make of its `encryptionContext` is a
disagreement of every implementation.
"""

import hmac
import json
import sys
import uuid

HEADER_LEN = 34
TAG_LEN = 16
MAX_PLAINTEXT = 4096


class Refused(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Block ciphers and AEADs


def pyca_sm4_block(key):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return enc.update


def gmssl_sm4_block(key):
    from gmssl import sm4

    c = sm4.CryptSM4()
    c.set_key(key, sm4.SM4_ENCRYPT)
    return lambda block: bytes(c.one_round(c.sk, list(block)))


_R = 0xE1 << 120


def _gmul(x, y):
    """Multiplication in GF(2^128), SP 800-38D Algorithm 1 (bit 0 is the MSB)."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _ghash(h, data):
    y = 0
    for i in range(0, len(data), 16):
        y = _gmul(y ^ int.from_bytes(data[i : i + 16], "big"), h)
    return y


def _pad16(b):
    return b + bytes(-len(b) % 16)


class Gcm:
    """GCM (SP 800-38D) over any 128-bit block cipher, 96-bit IV, 128-bit tag."""

    def __init__(self, block):
        self.block = block
        self.h = int.from_bytes(block(bytes(16)), "big")

    def _gctr(self, counter, data):
        out = bytearray()
        for i in range(0, len(data), 16):
            ks = self.block(counter.to_bytes(16, "big"))
            chunk = data[i : i + 16]
            out += bytes(a ^ b for a, b in zip(chunk, ks))
            counter = (counter & ~0xFFFFFFFF) | ((counter + 1) & 0xFFFFFFFF)
        return bytes(out)

    def _tag(self, j0, aad, ct):
        lens = (len(aad) * 8).to_bytes(8, "big") + (len(ct) * 8).to_bytes(8, "big")
        s = _ghash(self.h, _pad16(aad) + _pad16(ct) + lens)
        return bytes(a ^ b for a, b in zip(s.to_bytes(16, "big"), self.block(j0.to_bytes(16, "big"))))

    def seal(self, iv, aad, msg):
        assert len(iv) == 12
        j0 = int.from_bytes(iv + b"\x00\x00\x00\x01", "big")
        ct = self._gctr(j0 + 1, msg)
        return ct, self._tag(j0, aad, ct)

    def open(self, iv, aad, ct, tag):
        j0 = int.from_bytes(iv + b"\x00\x00\x00\x01", "big")
        if not hmac.compare_digest(self._tag(j0, aad, ct), tag):
            raise Refused("tag")
        return self._gctr(j0 + 1, ct)


def pyca_aead(cipher, key):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if cipher == "AES-256-GCM":
        a = AESGCM(key)

        def seal(iv, aad, msg):
            out = a.encrypt(iv, msg, aad)
            return out[:-16], out[-16:]

        def open_(iv, aad, ct, tag):
            try:
                return a.decrypt(iv, ct + tag, aad)
            except Exception as e:
                raise Refused(type(e).__name__)

        return seal, open_

    def seal(iv, aad, msg):
        e = Cipher(algorithms.SM4(key), modes.GCM(iv)).encryptor()
        e.authenticate_additional_data(aad)
        ct = e.update(msg) + e.finalize()
        return ct, e.tag

    def open_(iv, aad, ct, tag):
        try:
            d = Cipher(algorithms.SM4(key), modes.GCM(iv, tag)).decryptor()
            d.authenticate_additional_data(aad)
            return d.update(ct) + d.finalize()
        except Exception as e:
            raise Refused(type(e).__name__)

    return seal, open_


def cryptodome_aead(cipher, key):
    from Cryptodome.Cipher import AES

    assert cipher == "AES-256-GCM"

    def seal(iv, aad, msg):
        c = AES.new(key, AES.MODE_GCM, nonce=iv, mac_len=16)
        c.update(aad)
        return c.encrypt_and_digest(msg)

    def open_(iv, aad, ct, tag):
        c = AES.new(key, AES.MODE_GCM, nonce=iv, mac_len=16)
        c.update(aad)
        try:
            return c.decrypt_and_verify(ct, tag)
        except ValueError as e:
            raise Refused(str(e))

    return seal, open_


def gmssl_aead(cipher, key):
    assert cipher in ("SM4-GCM",)
    g = Gcm(gmssl_sm4_block(key))
    return g.seal, g.open


# id → (ciphers it implements, AEAD factory, block factory)
IMPLEMENTATIONS = {
    "pyca-cryptography": ({"SM4", "SM4-GCM", "AES-256-GCM"}, pyca_aead, pyca_sm4_block),
    "pycryptodomex": ({"AES-256-GCM"}, cryptodome_aead, None),
    "gmssl-gcm": ({"SM4", "SM4-GCM"}, gmssl_aead, gmssl_sm4_block),
}
# gmssl's SM4 is pure Python (about 40 µs a block): an iterated block test longer than
# this is left to the others, and reported as skipped.
GMSSL_MAX_ITERATIONS = 1000


# ---------------------------------------------------------------------------------------
# CiphertextBlob v1 and the EncryptionContext (DESIGN §2)


def canonical_context(text):
    """Keys sorted by UTF-8 bytes, compact, non-ASCII raw; absent / "" / {} → b""."""
    if text is None or text == "":
        return b""

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(pairs)

    obj = json.loads(text, object_pairs_hook=no_duplicates)
    if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
        raise ValueError("not an object of strings")
    if not obj:
        return b""
    items = sorted(obj.items(), key=lambda kv: kv[0].encode("utf-8"))
    return json.dumps(dict(items), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def blob_open(group, blob, context, aead_for):
    """Decrypt as DESIGN §2 describes; raises Refused for every refusal."""
    if not (HEADER_LEN + 1 + TAG_LEN <= len(blob) <= HEADER_LEN + MAX_PLAINTEXT + TAG_LEN):
        raise Refused("length")
    if blob[0] != 1:
        raise Refused("version")
    if blob[1] not in (1, 2):
        raise Refused("cipher")
    if str(uuid.UUID(bytes=blob[2:18])) != group["keyId"]:
        raise Refused("no such CMK")
    if blob[1] != group["cipherByte"]:
        raise Refused("not this CMK's cipher")
    version = int.from_bytes(blob[18:22], "big")
    keys = {k["keyVersion"]: bytes.fromhex(k["key"]) for k in group["keys"]}
    if version == 0 or version not in keys:
        raise Refused("no such key version")
    nonce = blob[22:HEADER_LEN]
    aad = blob[:HEADER_LEN] + canonical_context(context)
    seal, open_ = aead_for(group["cipher"], keys[version])
    return open_(nonce, aad, blob[HEADER_LEN:-TAG_LEN], blob[-TAG_LEN:]), seal, nonce, aad


def check_blob_test(group, t, imp, aead_for):
    """None if `imp` agrees with the test, else what it did instead."""
    blob = bytes.fromhex(t["blob"])
    msg = bytes.fromhex(t["msg"])
    try:
        opened, seal, nonce, aad = blob_open(group, blob, t["encryptionContext"], aead_for)
    except Refused as e:
        return None if t["result"] == "invalid" else "refused a valid blob (%s)" % e
    if t["result"] == "invalid":
        return "opened an invalid blob" + (" to msg" if opened == msg else "")
    if opened != msg:
        return "opened to %s, not msg" % opened.hex()
    if blob[18:22] != t["keyVersion"].to_bytes(4, "big") or nonce.hex() != t["nonce"]:
        return "header does not carry keyVersion and nonce"
    if t.get("aad") != aad.hex():
        return "aad differs"
    ct, tag = seal(nonce, aad, msg)
    if blob[:HEADER_LEN] + ct + tag != blob:
        return "re-sealing msg gives another blob"
    return None


# ---------------------------------------------------------------------------------------


def confirm_file(doc):
    out = {"implementations": sorted(IMPLEMENTATIONS), "tests": {}}
    schema = doc["schema"]
    for g in doc["testGroups"]:
        cipher = g["cipher"]
        for t in g["tests"]:
            r = {"result": t["result"], "confirmed": [], "disagreed": [], "skipped": []}
            out["tests"][str(t["tcId"])] = r
            if schema.startswith("smkms CiphertextBlob vectors"):
                try:
                    canon = canonical_context(t["encryptionContext"]).decode("utf-8")
                except ValueError as e:
                    canon = "<refused: %s>" % e
                if canon != t["canonicalContext"]:
                    r["disagreed"].append("canonical form: Python makes %r" % canon)
                    continue
            for imp, (ciphers, aead, block) in sorted(IMPLEMENTATIONS.items()):
                if cipher not in ciphers:
                    continue
                try:
                    if g["type"] == "CiphertextBlobDecrypt":
                        err = check_blob_test(g, t, imp, aead)
                    elif g["type"] == "Sm4BlockTest":
                        n = t["iterations"]
                        if imp == "gmssl-gcm" and n > GMSSL_MAX_ITERATIONS:
                            r["skipped"].append("%s: %d iterations in pure Python" % (imp, n))
                            continue
                        enc = block(bytes.fromhex(t["key"]))
                        x = bytes.fromhex(t["msg"])
                        for _ in range(n):
                            x = enc(x)
                        err = None if x.hex() == t["ct"] else "gives %s" % x.hex()
                    elif g["type"] == "AeadTest":
                        seal, open_ = aead(cipher, bytes.fromhex(t["key"]))
                        iv, aad, msg, ct, tag = (
                            bytes.fromhex(t[f]) for f in ("iv", "aad", "msg", "ct", "tag")
                        )
                        try:
                            opened = open_(iv, aad, ct, tag)
                        except Refused as e:
                            opened = None
                            refusal = str(e)
                        if t["result"] == "invalid":
                            err = None if opened is None else "opened an invalid ct"
                        elif opened is None:
                            err = "refused a valid ct (%s)" % refusal
                        elif opened != msg:
                            err = "opened to %s" % opened.hex()
                        elif seal(iv, aad, msg) != (ct, tag):
                            err = "encrypting msg gives another ct or tag"
                        else:
                            err = None
                    else:
                        raise ValueError("unknown group type %s" % g["type"])
                except Exception as e:  # an implementation failing is a disagreement
                    err = "raised %s: %s" % (type(e).__name__, e)
                if err is None:
                    r["confirmed"].append(imp)
                else:
                    r["disagreed"].append("%s: %s" % (imp, err))
    return out


def main():
    result = {}
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            result[path] = confirm_file(json.load(f))
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
