// Decrypts smkms SM2 (raw C1C3C2) deliveries with npm sm-crypto, which is not smkms.
//
// Used by tests/delivery_interop.rs. Reads lines `ALG KEYFILE D_HEX CT_HEX` on stdin and
// prints, per line, `OK <plaintext hex>` or `ERR <reason>`. sm-crypto wants C1 without
// its 04 prefix (cipherMode 1 = C1C3C2); it checks C3 and returns [] on a mismatch.
'use strict';
const sm2 = require('sm-crypto').sm2;
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
const out = [];
for (const line of lines) {
  const [alg, , d, ct] = line.trim().split(' ');
  try {
    if (alg !== 'SM2') throw new Error('sm-crypto does raw SM2 only, not ' + alg);
    if (!ct.startsWith('04')) throw new Error('no 04 prefix');
    const m = sm2.doDecrypt(ct.slice(2), d, 1, { output: 'array' });
    if (!m || m.length === 0) throw new Error('C3 mismatch (empty result)');
    out.push('OK ' + Buffer.from(m).toString('hex'));
  } catch (e) {
    out.push('ERR ' + String(e.message || e).replace(/\n/g, ' '));
  }
}
process.stdout.write(out.join('\n') + '\n');
