// Decrypts smkms data-key deliveries with Java implementations that are not smkms:
// BouncyCastle (SM2 raw and ASN.1, RSA) and the JDK's own SunJCE (RSA).
//
// Used by tests/delivery_interop.rs, which compiles it against bcprov.jar. Usage:
//   java Interop bouncycastle|sunjce  < lines `ALG KEYFILE D_HEX CT_HEX`
// prints, per line, `OK <plaintext hex>` or `ERR <reason>`.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.crypto.AsymmetricBlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.encodings.OAEPEncoding;
import org.bouncycastle.crypto.encodings.PKCS1Encoding;
import org.bouncycastle.crypto.engines.RSABlindedEngine;
import org.bouncycastle.crypto.engines.SM2Engine;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.util.BigIntegers;

public class Interop {
    static byte[] pemBody(String path) throws Exception {
        StringBuilder b64 = new StringBuilder();
        for (String l : Files.readAllLines(Paths.get(path))) {
            if (!l.startsWith("-----")) b64.append(l.trim());
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    /** DER SEQUENCE { x1, y1, C3, C2 } to 04 || x1 || y1 || C3 || C2, through BC's ASN.1. */
    static byte[] asn1ToRaw(byte[] der) throws Exception {
        ASN1Primitive p = ASN1Primitive.fromByteArray(der); // refuses trailing data
        if (!Arrays.equals(p.getEncoded(ASN1Encoding.DER), der)) throw new Exception("not DER");
        ASN1Sequence seq = ASN1Sequence.getInstance(p);
        if (seq.size() != 4) throw new Exception("SEQUENCE of " + seq.size());
        BigInteger x = ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
        BigInteger y = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
        if (x.signum() < 0 || y.signum() < 0 || x.bitLength() > 256 || y.bitLength() > 256)
            throw new Exception("x1/y1 out of range");
        byte[] c3 = ASN1OctetString.getInstance(seq.getObjectAt(2)).getOctets();
        byte[] c2 = ASN1OctetString.getInstance(seq.getObjectAt(3)).getOctets();
        if (c3.length != 32) throw new Exception("C3 is not 32 bytes");
        byte[] raw = new byte[1 + 64 + 32 + c2.length];
        raw[0] = 4;
        System.arraycopy(BigIntegers.asUnsignedByteArray(32, x), 0, raw, 1, 32);
        System.arraycopy(BigIntegers.asUnsignedByteArray(32, y), 0, raw, 33, 32);
        System.arraycopy(c3, 0, raw, 65, 32);
        System.arraycopy(c2, 0, raw, 97, c2.length);
        return raw;
    }

    static byte[] bouncycastle(String alg, String keyPath, byte[] ct) throws Exception {
        CipherParameters key = PrivateKeyFactory.createKey(pemBody(keyPath));
        if (alg.startsWith("SM2")) {
            byte[] raw = alg.equals("SM2") ? ct : asn1ToRaw(ct);
            SM2Engine engine = new SM2Engine(SM2Engine.Mode.C1C3C2);
            engine.init(false, key);
            return engine.processBlock(raw, 0, raw.length);
        }
        AsymmetricBlockCipher c;
        switch (alg) {
            case "RSAES_PKCS1_V1_5": c = new PKCS1Encoding(new RSABlindedEngine()); break;
            case "RSAES_OAEP_SHA_1":
                c = new OAEPEncoding(new RSABlindedEngine(), new SHA1Digest(), new SHA1Digest(), null);
                break;
            case "RSAES_OAEP_SHA_256":
                c = new OAEPEncoding(new RSABlindedEngine(), new SHA256Digest(), new SHA256Digest(), null);
                break;
            default: throw new Exception("unknown algorithm " + alg);
        }
        c.init(false, key);
        return c.processBlock(ct, 0, ct.length);
    }

    static byte[] sunjce(String alg, String keyPath, byte[] ct) throws Exception {
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pemBody(keyPath)));
        Cipher c;
        switch (alg) {
            case "RSAES_PKCS1_V1_5":
                c = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
                c.init(Cipher.DECRYPT_MODE, key);
                break;
            case "RSAES_OAEP_SHA_1":
            case "RSAES_OAEP_SHA_256": {
                // Explicit parameters: "OAEPWithSHA-256AndMGF1Padding" alone would use
                // MGF1-SHA-1, which is not what RSAES_OAEP_SHA_256 means.
                boolean s256 = alg.endsWith("256");
                OAEPParameterSpec spec = new OAEPParameterSpec(s256 ? "SHA-256" : "SHA-1", "MGF1",
                        s256 ? MGF1ParameterSpec.SHA256 : MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
                c = Cipher.getInstance("RSA/ECB/OAEPPadding", "SunJCE");
                c.init(Cipher.DECRYPT_MODE, key, spec);
                break;
            }
            default: throw new Exception("SunJCE has no " + alg);
        }
        return c.doFinal(ct);
    }

    public static void main(String[] args) throws Exception {
        String impl = args[0];
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            String[] f = line.trim().split(" ");
            try {
                byte[] ct = hex(f[3]);
                byte[] m = impl.equals("sunjce") ? sunjce(f[0], f[1], ct) : bouncycastle(f[0], f[1], ct);
                out.append("OK ").append(hex(m)).append('\n');
            } catch (Throwable e) {
                out.append("ERR ").append(e.getClass().getSimpleName()).append(": ")
                        .append(String.valueOf(e.getMessage()).replace('\n', ' ')).append('\n');
            }
        }
        System.out.print(out);
    }
}
