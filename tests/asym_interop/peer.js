// npm sm-crypto as an SM2DSA peer for tests/asym_interop.rs (not smkms).
//
// Reads one JSON job per line on stdin, prints one JSON result per line:
//   {"op": "sign", "d": HEX, "xy": HEX x||y, "msg": HEX}  -> {"sig": HEX DER}
//   {"op": "verify", "xy": HEX, "msg": HEX, "sig": HEX DER} -> {"ok": bool}
// Both with {hash: true, der: true}: SM3(Z_A || M), Z_A from the default ID
// 1234567812345678, DER signatures.
'use strict';
const sm2 = require('sm-crypto').sm2;
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
const bytes = (hex) => Array.from(Buffer.from(hex, 'hex'));
const out = [];
for (const line of lines) {
  try {
    const job = JSON.parse(line);
    const pub = '04' + job.xy;
    if (job.op === 'sign') {
      const sig = sm2.doSignature(bytes(job.msg), job.d, { hash: true, der: true, publicKey: pub });
      out.push({ sig });
    } else if (job.op === 'verify') {
      out.push({ ok: sm2.doVerifySignature(bytes(job.msg), job.sig, pub, { hash: true, der: true }) });
    } else {
      throw new Error('unknown op ' + job.op);
    }
  } catch (e) {
    out.push({ err: String(e.message || e) });
  }
}
process.stdout.write(out.map((o) => JSON.stringify(o)).join('\n') + '\n');
