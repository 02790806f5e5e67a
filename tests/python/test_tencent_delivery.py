"""Data-key delivery through the official SDK: GenerateDataKey, Decrypt and
GetDataKeyPlaintext with `EncryptionPublicKey` + `EncryptionAlgorithm`.

The recipient key pairs are fresh and made by others (OpenSSL for SM2, `cryptography`
for RSA); the delivered `Plaintext` is decrypted by implementations that are not smkms
and must give back exactly the key that Decrypt of the `CiphertextBlob` (without
delivery) returns. Plaintexts are compared, never just "it did not fail": gmssl does
not check C3, and PKCS#1 v1.5 decrypters with implicit rejection answer random bytes.

| algorithm            | decrypted here by                                                |
|----------------------|------------------------------------------------------------------|
| SM2 (raw C1C3C2)     | Python gmssl, npm sm-crypto (+ BouncyCastle)                     |
| SM2_C1C3C2_ASN1      | OpenSSL CLI, pycryptodomex strict DER + gmssl (+ BouncyCastle)   |
| RSAES_*              | Python cryptography, OpenSSL CLI (+ BouncyCastle, SunJCE)        |

The helpers are the library-level interop's (tests/delivery_interop/): decrypt.py is
imported, decrypt.js and Interop.java are run. A missing tool fails (never skips).
Tools are found like tests/delivery_interop.rs finds them: SMKMS_OPENSSL, SMKMS_NODE,
SMKMS_NODE_MODULES, SMKMS_JAVA, SMKMS_JAVAC, SMKMS_BCPROV. If SMKMS_DELIVERY_TALLY names
a file, how many deliveries each implementation confirmed per algorithm is written
there as JSON when the module finishes.
"""

import base64
import collections
import importlib.util
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from Cryptodome.Util.asn1 import DerOctetString, DerSequence
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kmstest import call, expect_error, new_data_key_name, new_key_id, parse_blob, unb64

REPO = Path(__file__).resolve().parents[2]
HELPERS = REPO / "tests" / "delivery_interop"

OPENSSL = os.environ.get("SMKMS_OPENSSL", "openssl")
NODE = os.environ.get("SMKMS_NODE", "node")
NODE_MODULES = Path(os.environ.get("SMKMS_NODE_MODULES", REPO / "target" / "interop" / "node_modules"))
JAVA = os.environ.get("SMKMS_JAVA", "java")
JAVAC = os.environ.get("SMKMS_JAVAC", "javac")
BCPROV = Path(os.environ.get("SMKMS_BCPROV", "/usr/share/java/bcprov.jar"))

SM2 = "SM2"
SM2_ASN1 = "SM2_C1C3C2_ASN1"
PKCS1 = "RSAES_PKCS1_V1_5"
OAEP1 = "RSAES_OAEP_SHA_1"
OAEP256 = "RSAES_OAEP_SHA_256"
ALGS = [SM2, SM2_ASN1, PKCS1, OAEP1, OAEP256]
RSA_ALGS = [PKCS1, OAEP1, OAEP256]
# RFC 8017 overhead per padding: k - 11, k - 2*20 - 2, k - 2*32 - 2.
RSA_OVERHEAD = {PKCS1: 11, OAEP1: 42, OAEP256: 66}
BAD = "InvalidParameterValue"

# sm2p256v1 (GM/T 0003.5).
P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A = P - 3
B = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)


def rsa_max(bits, alg):
    return bits // 8 - RSA_OVERHEAD[alg]


def on_curve(x, y):
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


# The library-level interop's Python helper, imported rather than copied.
_spec = importlib.util.spec_from_file_location("delivery_interop_decrypt", HELPERS / "decrypt.py")
interop_py = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(interop_py)


# ---------------------------------------------------------------- tools


def run(cmd, *, input=None, env=None):
    p = subprocess.run([str(c) for c in cmd], input=input, capture_output=True, timeout=60, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: {p.stderr.decode(errors='replace').strip()}")
    return p.stdout


def openssl(*args, input=None):
    return run([OPENSSL, *args], input=input)


@pytest.fixture(scope="module", autouse=True)
def tools():
    """Fails (never skips) when an independent implementation is missing."""
    missing = []
    try:
        assert openssl("version").startswith(b"OpenSSL 3")
    except Exception:
        missing.append(f"OpenSSL 3 CLI ({OPENSSL}; set SMKMS_OPENSSL): apt-get install openssl")
    try:
        run([NODE, "--version"])
        assert (NODE_MODULES / "sm-crypto").is_dir()
    except Exception:
        missing.append(f"Node.js with sm-crypto in {NODE_MODULES} (set SMKMS_NODE / SMKMS_NODE_MODULES): "
                       "npm install --prefix target/interop sm-crypto@0.3.13")
    try:
        run([JAVA, "-version"])
        run([JAVAC, "-version"])
        assert BCPROV.is_file()
    except Exception:
        missing.append(f"a JDK and BouncyCastle ({JAVA}, {JAVAC}, {BCPROV}; set SMKMS_JAVA / SMKMS_JAVAC / "
                       "SMKMS_BCPROV): apt-get install default-jdk-headless libbcprov-java")
    if missing:
        pytest.fail("the delivery interop tests need independent implementations that are missing:\n  - "
                    + "\n  - ".join(missing), pytrace=False)


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory):
    """tests/delivery_interop/Interop.java, compiled once."""
    out = tmp_path_factory.mktemp("interop-classes")
    run([JAVAC, "-nowarn", "-cp", BCPROV, "-d", out, HELPERS / "Interop.java"])
    return out


# How many deliveries each implementation decrypted to exactly the expected key.
TALLY = collections.Counter()
ASN1_STATS = {}


@pytest.fixture(scope="module", autouse=True)
def tally_file():
    yield
    path = os.environ.get("SMKMS_DELIVERY_TALLY")
    if path:
        rows = sorted(TALLY.items())
        Path(path).write_text(json.dumps({
            "confirmed": [{"impl": i, "alg": a, "count": n} for (i, a), n in rows],
            "sm2_asn1_samples": ASN1_STATS,
        }, indent=1))


# ---------------------------------------------------------------- recipient key pairs


@dataclass
class Recipient:
    kind: str  # "SM2" or "RSA"
    private_pem: Path  # PKCS#8, for OpenSSL, cryptography, BouncyCastle, SunJCE
    public_pem: str  # what is sent as EncryptionPublicKey
    d_hex: str = None  # SM2: the private scalar (gmssl, sm-crypto)
    point: bytes = None  # SM2: 04 || x || y
    bits: int = None  # RSA


def pem_body(pem):
    return base64.b64decode("".join(l for l in pem.strip().splitlines() if not l.startswith("-----")))


def pem(label, der):
    b = base64.b64encode(der).decode()
    return f"-----BEGIN {label}-----\n" + "".join(b[i:i + 64] + "\n" for i in range(0, len(b), 64)) \
        + f"-----END {label}-----\n"


def sm2_recipient(directory):
    """A fresh SM2 key pair from `openssl genpkey -algorithm SM2`."""
    path = Path(directory) / f"sm2-{uuid.uuid4().hex[:8]}.pem"
    openssl("genpkey", "-algorithm", "SM2", "-out", path)
    public = openssl("pkey", "-in", path, "-pubout").decode()
    text = openssl("pkey", "-in", path, "-text", "-noout").decode()
    d = int("".join(c for c in text.split("priv:")[1].split("pub:")[0] if c in "0123456789abcdefABCDEF"), 16)
    point = pem_body(public)[-65:]
    assert point[0] == 4 and on_curve(int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big"))
    return Recipient("SM2", path, public, d_hex=f"{d:064x}", point=point)


def rsa_recipient(directory, bits=2048, public_format="spki", key=None):
    """A fresh RSA key pair from pyca/cryptography; the public key as SPKI
    (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path = Path(directory) / f"rsa{bits}-{uuid.uuid4().hex[:8]}.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    fmt = {"spki": serialization.PublicFormat.SubjectPublicKeyInfo,
           "pkcs1": serialization.PublicFormat.PKCS1}[public_format]
    public = key.public_key().public_bytes(serialization.Encoding.PEM, fmt).decode()
    return Recipient("RSA", path, public, bits=bits)


def recipient_for(alg, directory):
    return sm2_recipient(directory) if alg.startswith("SM2") else rsa_recipient(directory)


@pytest.fixture(scope="module")
def big_rsa_keys():
    """One 3072- and one 4096-bit private key for the module (4096 takes a while)."""
    return {bits: rsa.generate_private_key(public_exponent=65537, key_size=bits) for bits in (3072, 4096)}


# ---------------------------------------------------------------- layouts


def read_tlv(buf, pos):
    """One DER element: (tag, value, next position); refuses non-minimal lengths."""
    assert pos + 2 <= len(buf), "truncated DER"
    tag, first = buf[pos], buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        k = first & 0x7F
        assert 1 <= k <= 4 and pos + k <= len(buf), "bad DER length"
        assert buf[pos] != 0, "DER length with a leading zero"
        length = int.from_bytes(buf[pos:pos + k], "big")
        assert length >= 0x80, "long-form DER length below 128"
        pos += k
    assert pos + length <= len(buf), "DER element longer than its container"
    return tag, buf[pos:pos + length], pos + length


@dataclass
class Asn1Sm2:
    x: int
    y: int
    c3: bytes
    c2: bytes
    x_len: int  # content octets of the INTEGERs
    y_len: int


def strict_sm2_der(ct):
    """GM/T 0009 SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 },
    checked byte by byte (our own reading, independent of pycryptodomex, which is also
    run): definite minimal lengths, minimal non-negative INTEGERs, nothing trailing."""
    tag, body, end = read_tlv(ct, 0)
    assert tag == 0x30 and end == len(ct), "not exactly one SEQUENCE"
    parts, pos = [], 0
    while pos < len(body):
        t, v, pos = read_tlv(body, pos)
        parts.append((t, v))
    assert [t for t, _ in parts] == [0x02, 0x02, 0x04, 0x04], [hex(t) for t, _ in parts]
    ints = []
    for _, v in parts[:2]:
        assert v, "empty INTEGER"
        assert v[0] < 0x80, "negative INTEGER"
        assert not (len(v) > 1 and v[0] == 0 and v[1] < 0x80), "non-minimal INTEGER"
        ints.append(int.from_bytes(v, "big"))
    c3, c2 = parts[2][1], parts[3][1]
    assert len(c3) == 32, len(c3)
    # pycryptodomex, strict mode, must read the same thing.
    seq = DerSequence().decode(ct, strict=True)
    assert len(seq) == 4 and seq[0] == ints[0] and seq[1] == ints[1]
    assert DerOctetString().decode(seq[2], strict=True).payload == c3
    assert DerOctetString().decode(seq[3], strict=True).payload == c2
    return Asn1Sm2(ints[0], ints[1], c3, c2, len(parts[0][1]), len(parts[1][1]))


def check_layout(alg, r, ct, n):
    """The byte layout the spec promises, for an n-byte data key."""
    if alg == SM2:
        assert len(ct) == 65 + 32 + n, (len(ct), n)
        assert ct[0] == 0x04
        x, y = int.from_bytes(ct[1:33], "big"), int.from_bytes(ct[33:65], "big")
    elif alg == SM2_ASN1:
        d = strict_sm2_der(ct)
        assert len(d.c2) == n
        x, y = d.x, d.y
    else:
        assert len(ct) == r.bits // 8, (len(ct), r.bits)
        assert int.from_bytes(ct, "big") > 0
        return
    assert on_curve(x, y), "C1 is not on the SM2 curve"
    assert bytes([4]) + x.to_bytes(32, "big") + y.to_bytes(32, "big") != r.point


# ---------------------------------------------------------------- independent decryption


@dataclass
class Case:
    alg: str
    r: Recipient
    ct: bytes
    expected: bytes
    what: str


DEFAULT_IMPLS = {
    SM2: ("gmssl", "sm-crypto"),
    SM2_ASN1: ("openssl", "pycryptodomex-der+gmssl"),
    PKCS1: ("cryptography", "openssl"),
    OAEP1: ("cryptography", "openssl"),
    OAEP256: ("cryptography", "openssl"),
}

OPENSSL_OPTS = {
    SM2_ASN1: [],
    PKCS1: ["rsa_padding_mode:pkcs1"],
    OAEP1: ["rsa_padding_mode:oaep", "rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"],
    OAEP256: ["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"],
}


def openssl_decrypt(c):
    ct_path = c.r.private_pem.with_name(f"ct-{uuid.uuid4().hex[:8]}.bin")
    ct_path.write_bytes(c.ct)
    args = ["pkeyutl", "-decrypt", "-inkey", c.r.private_pem, "-in", ct_path]
    for o in OPENSSL_OPTS[c.alg]:
        args += ["-pkeyopt", o]
    try:
        return openssl(*args)
    finally:
        ct_path.unlink()


def batch_lines(cases):
    return "".join(f"{c.alg} {c.r.private_pem} {c.r.d_hex or '-'} {c.ct.hex()}\n" for c in cases).encode()


def parse_batch(impl, out, cases):
    lines = out.decode().splitlines()
    assert len(lines) == len(cases), f"{impl} answered {len(lines)} of {len(cases)}"
    res = []
    for line in lines:
        if line.startswith("OK"):
            res.append(bytes.fromhex(line[2:].strip()))
        else:
            res.append(RuntimeError(line))
    return res


def decrypt_all(impl, cases, java_classes=None):
    """One outcome (bytes or an exception) per case."""
    if impl in ("sm-crypto", "bouncycastle", "sunjce"):
        if impl == "sm-crypto":
            env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
            out = run([NODE, HELPERS / "decrypt.js"], input=batch_lines(cases), env=env)
        else:
            out = run([JAVA, "-cp", f"{java_classes}:{BCPROV}", "Interop", impl], input=batch_lines(cases))
        return parse_batch(impl, out, cases)
    res = []
    for c in cases:
        try:
            if impl == "openssl":
                res.append(openssl_decrypt(c))
            elif impl == "gmssl":
                assert c.alg == SM2
                res.append(interop_py.gmssl_decrypt(c.alg, c.r.d_hex, c.ct))
            elif impl == "pycryptodomex-der+gmssl":
                assert c.alg == SM2_ASN1
                res.append(interop_py.gmssl_decrypt(c.alg, c.r.d_hex, c.ct))
            elif impl == "cryptography":
                res.append(interop_py.cryptography_decrypt(c.alg, str(c.r.private_pem), c.ct))
            else:
                raise AssertionError(f"unknown implementation {impl}")
        except Exception as e:  # reported below with the case
            res.append(e)
    return res


def confirm(cases, impls=None, java_classes=None):
    """Every case decrypts, in each implementation (by default the two for its
    algorithm), to exactly the expected key."""
    jobs = collections.defaultdict(list)
    for c in cases:
        for impl in (impls or DEFAULT_IMPLS[c.alg]):
            jobs[impl].append(c)
    failures = []
    for impl, cs in jobs.items():
        for c, out in zip(cs, decrypt_all(impl, cs, java_classes)):
            if isinstance(out, Exception):
                failures.append(f"{impl} {c.alg} {c.what}: {out}")
            elif out != c.expected:
                failures.append(f"{impl} {c.alg} {c.what}: decrypted to {len(out)} bytes that are not the key")
            else:
                TALLY[(impl, c.alg)] += 1
    assert not failures, "\n".join(failures)


def deliver_fields(r, alg):
    fields = {"EncryptionPublicKey": r.public_pem}
    if alg is not None:
        fields["EncryptionAlgorithm"] = alg
    return fields


def clear_key(client, blob, **fields):
    """Decrypt without delivery: the data key in the clear."""
    return unb64(call(client, "Decrypt", CiphertextBlob=blob, **fields).Plaintext)


# ---------------------------------------------------------------- 1. every algorithm, through the SDK

SIZES = {SM2: [1, 16, 32, 1024], SM2_ASN1: [1, 16, 32, 1024]}
SIZES.update({alg: [1, 16, 32, rsa_max(2048, alg)] for alg in RSA_ALGS})
assert [rsa_max(2048, a) for a in RSA_ALGS] == [245, 214, 190]  # the README's numbers


@pytest.mark.parametrize("alg", ALGS)
def test_generate_data_key_delivers_to_a_fresh_key_pair(ca, tmp_path, alg):
    """1, 16, 32 and 1024 bytes for SM2, up to the 2048-bit maximum for RSA: the layout
    is the documented one and two implementations that are not ours decrypt it to
    exactly the key Decrypt of the (still returned) CiphertextBlob gives."""
    r = recipient_for(alg, tmp_path)
    key_id = new_key_id(ca)
    cases = []
    for n in SIZES[alg]:
        g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, **deliver_fields(r, alg))
        assert g.KeyId == key_id
        assert parse_blob(g.CiphertextBlob).key_id == key_id  # still returned
        assert g.DataKeyId in ("", None)
        key = clear_key(ca, g.CiphertextBlob)
        assert len(key) == n
        ct = unb64(g.Plaintext)
        assert key not in (ct[:n], ct[-n:]) or n == 1
        check_layout(alg, r, ct, n)
        cases.append(Case(alg, r, ct, key, f"GenerateDataKey {n} bytes"))
    confirm(cases)


def test_generate_data_key_with_key_spec_and_context(ca, tmp_path):
    """KeySpec instead of NumberOfBytes, and an EncryptionContext: the delivered key is
    the one the blob holds under that context."""
    ctx = '{"app":"delivery","n":"1"}'
    key_id = new_key_id(ca)
    cases = []
    for alg, spec, n in [(SM2_ASN1, "AES_256", 32), (OAEP256, "AES_128", 16)]:
        r = recipient_for(alg, tmp_path)
        g = call(ca, "GenerateDataKey", KeyId=key_id, KeySpec=spec, EncryptionContext=ctx, **deliver_fields(r, alg))
        key = clear_key(ca, g.CiphertextBlob, EncryptionContext=ctx)
        assert len(key) == n
        ct = unb64(g.Plaintext)
        check_layout(alg, r, ct, n)
        cases.append(Case(alg, r, ct, key, f"KeySpec {spec}"))
    confirm(cases)


@pytest.mark.parametrize("bits", [3072, 4096])
def test_larger_rsa_keys_carry_their_maximum(post_a, tmp_path, big_rsa_keys, bits):
    r = rsa_recipient(tmp_path, bits, key=big_rsa_keys[bits])
    key_id = new_key_id(post_a)
    cases = []
    for alg in RSA_ALGS:
        n = rsa_max(bits, alg)
        g = call(post_a, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, **deliver_fields(r, alg))
        ct = unb64(g.Plaintext)
        check_layout(alg, r, ct, n)
        cases.append(Case(alg, r, ct, clear_key(post_a, g.CiphertextBlob), f"{bits}-bit key, {n} bytes"))
        e = expect_error(BAD, post_a, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n + 1, **deliver_fields(r, alg))
        assert e.message.startswith("EncryptionPublicKey ") and str(n) in e.message and str(n + 1) in e.message
    confirm(cases)


@pytest.mark.parametrize("algorithm_field", ["absent", "empty"])
def test_default_algorithm_is_raw_sm2(ca, tmp_path, algorithm_field):
    """No EncryptionAlgorithm (or an empty one) means SM2: raw C1C3C2 with the 04."""
    r = sm2_recipient(tmp_path)
    fields = {"EncryptionPublicKey": r.public_pem}
    if algorithm_field == "empty":
        fields["EncryptionAlgorithm"] = ""
    key_id = new_key_id(ca)
    cases = []
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32, **fields)
    key = clear_key(ca, g.CiphertextBlob)
    cases.append(Case(SM2, r, unb64(g.Plaintext), key, "GenerateDataKey, default algorithm"))
    d = call(ca, "Decrypt", CiphertextBlob=g.CiphertextBlob, **fields)
    cases.append(Case(SM2, r, unb64(d.Plaintext), key, "Decrypt, default algorithm"))
    h = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=24, IsHostedByKms=1,
             DataKeyName=new_data_key_name(), **fields)
    hosted_key = unb64(call(ca, "GetDataKeyPlaintext", DataKeyId=h.DataKeyId).Plaintext)
    cases.append(Case(SM2, r, unb64(h.Plaintext), hosted_key, "hosted GenerateDataKey, default algorithm"))
    p = call(ca, "GetDataKeyPlaintext", DataKeyId=h.DataKeyId, **fields)
    cases.append(Case(SM2, r, unb64(p.Plaintext), hosted_key, "GetDataKeyPlaintext, default algorithm"))
    for c in cases:
        check_layout(SM2, r, c.ct, len(c.expected))
    confirm(cases)


@pytest.mark.parametrize("alg", ALGS)
def test_decrypt_delivers_the_data_key(ca, tmp_path, alg):
    """Decrypt of a blob, with delivery: the key is delivered, KeyId is the CMK's."""
    r = recipient_for(alg, tmp_path)
    key_id = new_key_id(ca)
    ctx = '{"purpose":"decrypt-delivery"}'
    cases = []
    for n, context in [(32, None), (16, ctx)]:
        extra = {"EncryptionContext": context} if context else {}
        g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, **extra)
        key = unb64(g.Plaintext)  # in the clear: no delivery asked for
        assert key == clear_key(ca, g.CiphertextBlob, **extra)
        d = call(ca, "Decrypt", CiphertextBlob=g.CiphertextBlob, **extra, **deliver_fields(r, alg))
        assert d.KeyId == key_id
        ct = unb64(d.Plaintext)
        check_layout(alg, r, ct, n)
        cases.append(Case(alg, r, ct, key, f"Decrypt, {n} bytes, context {context}"))
    # Any Encrypt ciphertext, not only a data key's.
    message = os.urandom(100)
    blob = call(ca, "Encrypt", KeyId=key_id, Plaintext=base64.b64encode(message).decode()).CiphertextBlob
    ct = unb64(call(ca, "Decrypt", CiphertextBlob=blob, **deliver_fields(r, alg)).Plaintext)
    check_layout(alg, r, ct, 100)
    cases.append(Case(alg, r, ct, message, "Decrypt of an Encrypt ciphertext"))
    confirm(cases)


@pytest.mark.parametrize("alg", ALGS)
def test_get_data_key_plaintext_delivers_the_hosted_key(ca, tmp_path, alg):
    """A hosted data key generated with delivery keeps the real key (not the delivered
    ciphertext); GetDataKeyPlaintext delivers it afresh each time."""
    r = recipient_for(alg, tmp_path)
    key_id = new_key_id(ca)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=32, IsHostedByKms=1,
             DataKeyName=new_data_key_name(), **deliver_fields(r, alg))
    assert g.DataKeyId
    key = clear_key(ca, g.CiphertextBlob)
    assert unb64(call(ca, "GetDataKeyPlaintext", DataKeyId=g.DataKeyId).Plaintext) == key
    first = unb64(call(ca, "GetDataKeyPlaintext", DataKeyId=g.DataKeyId, **deliver_fields(r, alg)).Plaintext)
    second = unb64(call(ca, "GetDataKeyPlaintext", DataKeyId=g.DataKeyId, **deliver_fields(r, alg)).Plaintext)
    assert first != second, "delivery must be randomised"
    cases = [Case(alg, r, unb64(g.Plaintext), key, "hosted GenerateDataKey")]
    for i, ct in enumerate([first, second]):
        check_layout(alg, r, ct, 32)
        cases.append(Case(alg, r, ct, key, f"GetDataKeyPlaintext #{i + 1}"))
    confirm(cases)


def test_bouncycastle_and_sunjce_agree(post_a, tmp_path, java_classes):
    """A third and fourth opinion, in one JVM each: BouncyCastle for all five
    algorithms (SM2Engine in C1C3C2 mode; the ASN.1 form through BC's DER reader),
    SunJCE for the RSA paddings (OAEP-256 with an explicit MGF1-SHA256 spec)."""
    key_id = new_key_id(post_a)
    cases = []
    for alg in ALGS:
        r = recipient_for(alg, tmp_path)
        for n in SIZES[alg]:
            g = call(post_a, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, **deliver_fields(r, alg))
            cases.append(Case(alg, r, unb64(g.Plaintext), clear_key(post_a, g.CiphertextBlob), f"{n} bytes"))
    confirm(cases, ["bouncycastle"], java_classes)
    confirm([c for c in cases if c.alg in RSA_ALGS], ["sunjce"], java_classes)


# ---------------------------------------------------------------- 2. SM2 ASN.1 INTEGER edge cases

ASN1_MIN_SAMPLES = 200
ASN1_MAX_SAMPLES = 2500  # P(no short INTEGER in 2500) ~ (255/256)^2500 < 1e-4


def test_sm2_asn1_integers_with_sign_byte_and_stripped_zero(post_a, tmp_path):
    """Hundreds of SM2_C1C3C2_ASN1 deliveries, each read by a strict DER parser (ours,
    byte by byte, and pycryptodomex's strict mode): an x1 or y1 whose top bit is set
    must carry a 00 sign byte (33 content octets), one whose top byte is zero must
    lose it (fewer than 32 octets when the next byte is below 0x80). Sampling goes on
    until both have been seen. The first 200 samples and every short one are
    decrypted by pycryptodomex + gmssl to the key Decrypt returns; the short ones and
    ten with a sign byte also by OpenSSL."""
    r = sm2_recipient(tmp_path)
    key_id = new_key_id(post_a)
    lengths = collections.Counter()  # INTEGER content octets, x1 and y1 of every sample
    cases, shorts, signed = [], [], []
    for i in range(ASN1_MAX_SAMPLES):
        ctx = json.dumps({"sample": str(i)})  # a distinct body per request
        n = 1 + i % 32
        g = call(post_a, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, EncryptionContext=ctx,
                 **deliver_fields(r, SM2_ASN1))
        ct = unb64(g.Plaintext)
        try:
            d = strict_sm2_der(ct)
        except (AssertionError, ValueError) as e:
            raise AssertionError(f"sample {i} is not strict DER ({e}): {ct.hex()}") from e
        assert len(d.c2) == n and on_curve(d.x, d.y)
        for v, length in [(d.x, d.x_len), (d.y, d.y_len)]:
            # What DER-minimal means for a non-negative value.
            assert length == v.bit_length() // 8 + 1, (i, hex(v), length)
            lengths[length] += 1
        short = min(d.x_len, d.y_len) < 32
        if i < ASN1_MIN_SAMPLES or short:
            # Past the minimum only the rare short ones are decrypted (every sample
            # is still strictly decoded), which keeps a long search cheap.
            key = clear_key(post_a, g.CiphertextBlob, EncryptionContext=ctx)
            c = Case(SM2_ASN1, r, ct, key, f"sample {i}")
            cases.append(c)
            if short:
                shorts.append(c)
            elif 33 in (d.x_len, d.y_len):
                signed.append(c)
        if i + 1 >= ASN1_MIN_SAMPLES and lengths[33] and any(lengths[k] for k in range(1, 32)):
            break
    samples = sum(lengths.values()) // 2
    ASN1_STATS.update(samples=samples, integer_lengths=dict(sorted(lengths.items())))
    assert lengths[33], f"no x1/y1 with a 00 sign byte in {samples} samples: {dict(lengths)}"
    assert any(lengths[k] for k in range(1, 32)), \
        f"no x1/y1 shorter than 32 bytes in {samples} samples: {dict(lengths)}"
    confirm(cases, ["pycryptodomex-der+gmssl"])
    confirm(shorts + signed[:10], ["openssl"])


# ---------------------------------------------------------------- 3. refusals

# Hand-built DER for keys no library will make.


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def der_oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, out)


OID_EC = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"
OID_RSA = "1.2.840.113549.1.1.1"


def spki(alg_oid, params, key_bytes):
    alg = tlv(0x30, der_oid(alg_oid) + (params or b""))
    return tlv(0x30, alg + tlv(0x03, b"\x00" + key_bytes))


def sm2_spki_pem(point):
    return pem("PUBLIC KEY", spki(OID_EC, der_oid(OID_SM2), point))


def rsa_pkcs1_der(n, e):
    return tlv(0x30, der_int(n) + der_int(e))


def rsa_spki_pem(n, e):
    return pem("PUBLIC KEY", spki(OID_RSA, b"\x05\x00", rsa_pkcs1_der(n, e)))


def odd_modulus(bits):
    return int.from_bytes(os.urandom(bits // 8), "big") | (1 << (bits - 1)) | 1


def off_curve_point(r):
    x, y = int.from_bytes(r.point[1:33], "big"), int.from_bytes(r.point[33:], "big")
    bad = b"\x04" + x.to_bytes(32, "big") + ((y + 1) % P).to_bytes(32, "big")
    assert not on_curve(x, (y + 1) % P)
    return bad


def compressed_x_without_y():
    """A compressed point whose x has no y on the curve (x^3+ax+b a non-residue)."""
    x = 1
    while pow((x ** 3 + A * x + B) % P, (P - 1) // 2, P) != P - 1:
        x += 1
    return b"\x02" + x.to_bytes(32, "big")


def p256_public_pem():
    k = ec.generate_private_key(ec.SECP256R1())
    return k.public_key().public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def certificate_pem(r):
    """A self-signed certificate (made by OpenSSL) around the recipient's SM2 key."""
    path = r.private_pem.with_suffix(".crt")
    openssl("req", "-x509", "-key", r.private_pem, "-sm3", "-subj", "/CN=smkms delivery test",
            "-days", "1", "-out", path)
    return path.read_text()


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_pem(key, fmt=serialization.PublicFormat.SubjectPublicKeyInfo):
    return key.public_key().public_bytes(serialization.Encoding.PEM, fmt).decode()


@dataclass
class Refusal:
    """A delivery request that must be refused: the fields to send (built lazily,
    from a fresh SM2 recipient when one is useful), the data key size, and what the
    message must say. `field` is the parameter the message starts with."""
    make: object  # (sm2 Recipient) -> dict of delivery fields
    field: str
    needles: tuple
    n: int = 32


def _pk(make_pem, alg=None):
    def make(r):
        f = {"EncryptionPublicKey": make_pem(r)}
        if alg is not None:
            f["EncryptionAlgorithm"] = alg
        return f
    return make


PK = "EncryptionPublicKey"
ALG = "EncryptionAlgorithm"

REFUSALS = {
    # garbage and PEM framing
    "garbage": Refusal(_pk(lambda r: "this is not a key at all", SM2), PK, ("is not PEM", "BEGIN PUBLIC KEY")),
    "bad-base64": Refusal(_pk(lambda r: "-----BEGIN PUBLIC KEY-----\n!!!not base64!!!\n-----END PUBLIC KEY-----\n",
                              SM2), PK, ("not valid base64",)),
    "truncated-der": Refusal(_pk(lambda r: pem("PUBLIC KEY", pem_body(r.public_pem)[:40]), SM2), PK,
                             ("not a well-formed SubjectPublicKeyInfo",)),
    "wrong-label": Refusal(_pk(lambda r: r.public_pem.replace("PUBLIC KEY", "SOMETHING ELSE"), SM2), PK,
                           ("SOMETHING ELSE", "expected -----BEGIN PUBLIC KEY-----")),
    "mismatched-labels": Refusal(_pk(lambda r: r.public_pem.replace("END PUBLIC KEY", "END RSA PUBLIC KEY"), SM2),
                                 PK, ("BEGIN PUBLIC KEY", "END RSA PUBLIC KEY")),
    "escaped-newlines": Refusal(_pk(lambda r: r.public_pem.replace("\n", "\\n"), SM2), PK, ("\\n",)),
    # the wrong kind of object
    "sm2-private-key": Refusal(_pk(lambda r: r.private_pem.read_text(), SM2), PK,
                               ("is a private key", "BEGIN PRIVATE KEY", "-pubout")),
    "rsa-private-key-pkcs1": Refusal(_pk(lambda r: rsa_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode(), OAEP256), PK, ("is a private key", "RSA PRIVATE KEY")),
    "certificate": Refusal(_pk(certificate_pem, SM2), PK, ("is a certificate", "openssl x509")),
    "p256": Refusal(_pk(lambda r: p256_public_pem(), SM2), PK, ("P-256", "sm2p256v1")),
    "ed25519": Refusal(_pk(lambda r: ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(), SM2), PK,
        ("Ed25519", "SM2 public key")),
    # SM2 points
    "sm2-off-curve": Refusal(_pk(lambda r: sm2_spki_pem(off_curve_point(r)), SM2), PK, ("not on the SM2 curve",)),
    "sm2-off-curve-asn1": Refusal(_pk(lambda r: sm2_spki_pem(off_curve_point(r)), SM2_ASN1), PK,
                                  ("not on the SM2 curve",)),
    "sm2-identity": Refusal(_pk(lambda r: sm2_spki_pem(b"\x00"), SM2), PK, ("point at infinity",)),
    "sm2-no-04-prefix": Refusal(_pk(lambda r: sm2_spki_pem(r.point[1:]), SM2), PK,
                                ("64 bytes", "not an SEC1 point encoding")),
    "sm2-compressed-no-y": Refusal(_pk(lambda r: sm2_spki_pem(compressed_x_without_y()), SM2), PK,
                                   ("not on the SM2 curve",)),
    "ec-without-curve": Refusal(_pk(lambda r: pem("PUBLIC KEY", spki(OID_EC, None, r.point)), SM2), PK,
                                ("does not name its curve", "sm2p256v1")),
    # RSA keys
    "rsa-1024": Refusal(_pk(lambda r: public_pem(rsa_key(1024)), OAEP256), PK,
                        ("RSA key of 1024 bits", "2048 to 4096 bits")),
    "rsa-8192": Refusal(_pk(lambda r: rsa_spki_pem(odd_modulus(8192), 65537), OAEP256), PK,
                        ("RSA key of 8192 bits", "2048 to 4096 bits")),
    "rsa-exponent-1": Refusal(_pk(lambda r: rsa_spki_pem(odd_modulus(2048), 1), PKCS1), PK,
                              ("public exponent 1;", "odd exponent from 3")),
    "rsa-exponent-1-pkcs1": Refusal(_pk(lambda r: pem("RSA PUBLIC KEY", rsa_pkcs1_der(odd_modulus(2048), 1)),
                                        OAEP1), PK, ("public exponent 1;", "odd exponent from 3")),
    "rsa-exponent-even": Refusal(_pk(lambda r: rsa_spki_pem(odd_modulus(2048), 65536), OAEP1), PK,
                                 ("public exponent 65536", "odd exponent")),
    # algorithm and key that do not fit each other
    "sm2-key-rsa-algorithm": Refusal(_pk(lambda r: r.public_pem, OAEP256), ALG,
                                     ("RSAES_OAEP_SHA_256 needs an RSA public key", "SM2 public key")),
    "rsa-key-sm2-asn1-algorithm": Refusal(_pk(lambda r: public_pem(rsa_key()), SM2_ASN1), ALG,
                                          ("SM2_C1C3C2_ASN1 needs an SM2 public key", "RSA public key of 2048 bits")),
    "rsa-key-default-algorithm": Refusal(_pk(lambda r: public_pem(rsa_key())), ALG,
                                         ("SM2 needs an SM2 public key", "RSA public key of 2048 bits")),
    # algorithm names
    "unknown-algorithm": Refusal(_pk(lambda r: r.public_pem, "AES_256"), ALG,
                                 ('"AES_256" is not a delivery algorithm', "SM2_C1C3C2_ASN1", "RSAES_OAEP_SHA_256")),
    "lower-case-sm2": Refusal(_pk(lambda r: r.public_pem, "sm2"), ALG, ('"sm2"', "case-sensitive", "did you mean SM2?")),
    "lower-case-oaep": Refusal(_pk(lambda r: public_pem(rsa_key()), "rsaes_oaep_sha_256"), ALG,
                               ("case-sensitive", "did you mean RSAES_OAEP_SHA_256?")),
    # a data key the RSA key cannot carry (2048 bits: 245 / 214 / 190)
    "too-long-pkcs1": Refusal(_pk(lambda r: public_pem(rsa_key()), PKCS1), PK,
                              ("RSA public key of 2048 bits", "at most 245 bytes", "246 bytes"), n=246),
    "too-long-oaep1": Refusal(_pk(lambda r: public_pem(rsa_key()), OAEP1), PK,
                              ("at most 214 bytes", "215 bytes"), n=215),
    "too-long-oaep256": Refusal(_pk(lambda r: public_pem(rsa_key()), OAEP256), PK,
                                ("at most 190 bytes", "1024 bytes"), n=1024),
    # an algorithm without a key
    "algorithm-without-key": Refusal(lambda r: {"EncryptionAlgorithm": SM2}, ALG,
                                     ("SM2 was given without EncryptionPublicKey",)),
    "oaep-without-key": Refusal(lambda r: {"EncryptionAlgorithm": OAEP256}, ALG,
                                ("RSAES_OAEP_SHA_256 was given without EncryptionPublicKey",)),
    "algorithm-with-empty-key": Refusal(lambda r: {"EncryptionPublicKey": "", "EncryptionAlgorithm": SM2_ASN1},
                                        ALG, ("SM2_C1C3C2_ASN1 was given without EncryptionPublicKey",)),
}
# The list of bad inputs (item 2), each one above.
assert {"garbage", "wrong-label", "sm2-private-key", "certificate", "p256", "sm2-off-curve", "sm2-identity",
        "rsa-1024", "rsa-exponent-1", "sm2-key-rsa-algorithm", "rsa-key-sm2-asn1-algorithm", "unknown-algorithm",
        "lower-case-sm2", "too-long-pkcs1", "algorithm-without-key"} <= set(REFUSALS)


def data_key_count(client):
    return call(client, "ListDataKeys").TotalCount


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_refused_delivery(ca, tmp_path, case):
    """Refused by GenerateDataKey (hosted and not), Decrypt and GetDataKeyPlaintext, with
    InvalidParameterValue and one message naming the field and the problem; a refused
    hosted GenerateDataKey leaves no data key behind and its name stays free."""
    spec = REFUSALS[case]
    fields = spec.make(sm2_recipient(tmp_path))
    key_id = new_key_id(ca)
    existing = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=spec.n, IsHostedByKms=1,
                    DataKeyName=new_data_key_name())
    before = data_key_count(ca)
    assert before == 1
    name = new_data_key_name("refused-")
    e = expect_error(BAD, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=spec.n, IsHostedByKms=1,
                     DataKeyName=name, Description="must not exist", **fields)
    assert e.message.startswith(spec.field + " "), e.message
    for needle in spec.needles:
        assert needle in e.message, f"{needle!r} not in {e.message!r}"
    if "PRIVATE KEY" in fields.get("EncryptionPublicKey", ""):
        body = fields["EncryptionPublicKey"].splitlines()[1]
        assert body not in e.message, "the private key was echoed back"
    assert data_key_count(ca) == before, "a refused delivery left a hosted data key behind"
    others = [
        expect_error(BAD, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=spec.n, **fields),
        expect_error(BAD, ca, "Decrypt", CiphertextBlob=existing.CiphertextBlob, **fields),
        expect_error(BAD, ca, "GetDataKeyPlaintext", DataKeyId=existing.DataKeyId, **fields),
    ]
    for other in others:
        assert other.message == e.message
    assert data_key_count(ca) == before
    # The name was never taken.
    again = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=spec.n, IsHostedByKms=1, DataKeyName=name)
    assert again.DataKeyId
    assert data_key_count(ca) == before + 1


# ---------------------------------------------------------------- 4. accepted key forms


@pytest.mark.parametrize("alg", RSA_ALGS)
def test_pkcs1_rsa_public_key_pem_is_accepted(ca, tmp_path, alg):
    r = rsa_recipient(tmp_path, public_format="pkcs1")
    assert r.public_pem.startswith("-----BEGIN RSA PUBLIC KEY-----")
    key_id = new_key_id(ca)
    n = rsa_max(2048, alg)
    g = call(ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n, **deliver_fields(r, alg))
    ct = unb64(g.Plaintext)
    check_layout(alg, r, ct, n)
    confirm([Case(alg, r, ct, clear_key(ca, g.CiphertextBlob), "PKCS#1 public key")])
    e = expect_error(BAD, ca, "GenerateDataKey", KeyId=key_id, NumberOfBytes=n + 1, **deliver_fields(r, alg))
    assert str(n) in e.message and str(n + 1) in e.message


def sm2_variants(r):
    """The same SM2 public key written the other ways the parser accepts."""
    x, y = r.point[1:33], r.point[33:]
    b = base64.b64encode(pem_body(r.public_pem)).decode()
    return {
        "compressed point": sm2_spki_pem(bytes([2 + (y[-1] & 1)]) + x),
        "SM2 OID as the SPKI algorithm": pem("PUBLIC KEY", spki(OID_SM2, None, r.point)),
        "CRLF line endings": r.public_pem.replace("\n", "\r\n"),
        "76-column lines (Java MIME)": "-----BEGIN PUBLIC KEY-----\n" + "\n".join(
            b[i:i + 76] for i in range(0, len(b), 76)) + "\n-----END PUBLIC KEY-----\n",
        "surrounding whitespace": "\n  " + r.public_pem + "\n\n",
    }


def test_other_spellings_of_an_sm2_public_key_are_accepted(post_a, tmp_path):
    r = sm2_recipient(tmp_path)
    key_id = new_key_id(post_a)
    cases = []
    for what, text in sm2_variants(r).items():
        for alg in (SM2, SM2_ASN1):
            g = call(post_a, "GenerateDataKey", KeyId=key_id, NumberOfBytes=16,
                     EncryptionPublicKey=text, EncryptionAlgorithm=alg)
            ct = unb64(g.Plaintext)
            check_layout(alg, r, ct, 16)
            cases.append(Case(alg, r, ct, clear_key(post_a, g.CiphertextBlob), what))
    confirm(cases)
