"""Decrypts smkms data-key deliveries with Python libraries that are not smkms.

Used by tests/delivery_interop.rs. Reads lines `ALG KEYFILE D_HEX CT_HEX` on stdin
(D_HEX is `-` for RSA) and prints, per line, `OK <plaintext hex>` or `ERR <reason>`.

  python decrypt.py gmssl         SM2 (raw) with gmssl; SM2_C1C3C2_ASN1 through
                                  pycryptodome's strict DER decoder, then gmssl
  python decrypt.py cryptography  RSAES_* with pyca/cryptography
"""

import sys


def gmssl_decrypt(alg, d_hex, ct):
    from gmssl import sm2

    if alg == "SM2":
        # gmssl wants C1 without its 04 prefix; the prefix is always there in smkms's
        # format, so strip exactly one byte after checking it.
        if ct[:1] != b"\x04":
            raise ValueError("no 04 prefix")
        body = ct[1:]
    elif alg == "SM2_C1C3C2_ASN1":
        from Cryptodome.Util.asn1 import DerOctetString, DerSequence

        seq = DerSequence().decode(ct, strict=True)
        if len(seq) != 4:
            raise ValueError("SEQUENCE of %d elements" % len(seq))
        x, y = seq[0], seq[1]
        if not (isinstance(x, int) and isinstance(y, int)):
            raise ValueError("x1/y1 are not INTEGERs")
        if not (0 <= x < 2**256 and 0 <= y < 2**256):
            raise ValueError("x1/y1 out of range")
        c3 = DerOctetString().decode(seq[2], strict=True).payload
        c2 = DerOctetString().decode(seq[3], strict=True).payload
        if len(c3) != 32:
            raise ValueError("C3 is not 32 bytes")
        body = x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2
    else:
        raise ValueError("gmssl does not do " + alg)
    # mode=1 is C1C3C2. gmssl's decrypt does not check C3: the caller compares the
    # plaintext with the expected message.
    out = sm2.CryptSM2(private_key=d_hex, public_key="", mode=1).decrypt(body)
    if out is None:
        raise ValueError("decrypt returned None")
    return out


def cryptography_decrypt(alg, key_path, ct):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if alg == "RSAES_PKCS1_V1_5":
        pad = padding.PKCS1v15()
    elif alg == "RSAES_OAEP_SHA_1":
        pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    elif alg == "RSAES_OAEP_SHA_256":
        pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    else:
        raise ValueError("cryptography has no SM2")
    return key.decrypt(ct, pad)


def main():
    impl = sys.argv[1]
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        alg, key_path, d_hex, ct_hex = line.split(" ")
        try:
            ct = bytes.fromhex(ct_hex)
            if impl == "gmssl":
                out = gmssl_decrypt(alg, d_hex, ct)
            else:
                out = cryptography_decrypt(alg, key_path, ct)
            print("OK " + out.hex())
        except Exception as e:  # report, never stop: every line gets an answer
            print("ERR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
