// Drives smkms with the official Tencent Cloud Node.js SDK (npm tencentcloud-sdk-nodejs),
// unmodified: `tencentcloud.kms.v20190118.Client` with the caller's credential, region
// and profile (signMethod, httpProfile endpoint/protocol/reqMethod).
//
// Run by tests/python/test_tencent_node_sdk.py with NODE_PATH set to the interop
// node_modules. Reads one JSON object on stdin:
//   {scenario, endpoint, secretId, secretKey, region, region2, signMethod, reqMethod,
//    caFile (optional: speak https, trusting only the CA in that PEM file)}
// and prints one JSON object with what each step sent and got back; the pytest side
// asserts it. A step that throws where it should not ends the script with a non-zero
// status and the step's name on stderr.
//
// Scenarios:
//   envelope  - CreateKey, DescribeKey, Encrypt/Decrypt with EncryptionContext,
//               GenerateDataKey, delivery to a fresh SM2 key (decrypted here with npm
//               sm-crypto) and to a fresh RSA key with RSAES_OAEP_SHA_256 (decrypted here
//               with Node's crypto.privateDecrypt), DescribeKeys, ListKeyDetail with a tag
//               filter, and DescribeKey of an unknown id.
//   same_body - two clients, each on its own connection, send the same body in the same
//               second (the SDK's clock is pinned) to different actions and to different
//               regions; TC3 signs neither X-TC-Action nor X-TC-Region, so each pair carries
//               one signature.
//   repeated_nonce - signature v1 with the SDK's Nonce pinned to one value, one request
//               per second.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const tencentcloud = require('tencentcloud-sdk-nodejs');
const SdkError = require('tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception').default;
const { sm2 } = require('sm-crypto');

const KmsClient = tencentcloud.kms.v20190118.Client;
const SDK_VERSION = require('tencentcloud-sdk-nodejs/package.json').version;

// What went over the wire: every request's Authorization header (TC3) and the local
// port of its connection. node-fetch calls http.request at
// request time, so wrapping it here sees every request the SDK makes.
const wire = [];
const realRequest = http.request;
http.request = function (...args) {
  const req = realRequest.apply(this, args);
  // node-fetch sets each header as an array of values.
  const auth = req.getHeader('authorization');
  const rec = { authorization: auth === undefined ? null : [].concat(auth).join(', '), localPort: null };
  wire.push(rec);
  req.on('socket', (sock) => {
    const note = () => { rec.localPort = sock.localPort; };
    if (sock.connecting) sock.once('connect', note); else note();
  });
  return req;
};

function client(cfg, region) {
  return new KmsClient({
    credential: { secretId: cfg.secretId, secretKey: cfg.secretKey },
    region,
    profile: {
      signMethod: cfg.signMethod,
      httpProfile: {
        endpoint: cfg.endpoint,
        protocol: cfg.caFile ? 'https://' : 'http://',
        reqMethod: cfg.reqMethod,
        reqTimeout: 30,
        // Its own agent without keep-alive: a new connection per request, and never a
        // proxy from the environment (the SDK uses $http_proxy unless given an agent).
        // Over https the agent trusts the test CA alone, and verifies the server's name.
        agent: cfg.caFile
          ? new https.Agent({ keepAlive: false, ca: fs.readFileSync(cfg.caFile) })
          : new http.Agent({ keepAlive: false }),
      },
    },
  });
}

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const detail = e instanceof SdkError ? `${e.code || '(no code)'}: ${e.message} (RequestId ${e.requestId})` : (e && e.stack) || e;
    throw new Error(`step ${name} failed: ${detail}`);
  }
}

// The exception a call must throw, as the SDK surfaces it.
async function failure(name, promise) {
  try {
    const r = await promise;
    throw new Error(`step ${name} succeeded but must fail: ${JSON.stringify(r)}`);
  } catch (e) {
    if (!(e instanceof SdkError)) throw e;
    return {
      sdkException: e.constructor.name,
      code: e.code,
      message: e.message,
      requestId: e.requestId,
    };
  }
}

const b64 = (buf) => Buffer.from(buf).toString('base64');
const unb64 = (s) => Buffer.from(s, 'base64');

function pem(label, der) {
  const body = der.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

// A fresh SM2 key pair from sm-crypto; the public key as SubjectPublicKeyInfo
// (id-ecPublicKey, sm2p256v1 1.2.156.10197.1.301, the uncompressed point).
function sm2Recipient() {
  const kp = sm2.generateKeyPairHex();
  if (!/^04[0-9a-f]{128}$/.test(kp.publicKey)) throw new Error('sm-crypto public key is not 04||x||y');
  const spki = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200' + kp.publicKey, 'hex');
  return { publicPem: pem('PUBLIC KEY', spki), d: kp.privateKey, point: kp.publicKey };
}

// Raw SM2 (C1C3C2, C1 with its 04 prefix) decrypted by sm-crypto, which wants C1
// without the prefix and cipherMode 1 (C1C3C2); it checks C3 and returns [] on a mismatch.
function sm2Decrypt(d, ct) {
  if (ct[0] !== 0x04) throw new Error(`delivered SM2 ciphertext does not start with 04 but ${ct[0]}`);
  const m = sm2.doDecrypt(ct.subarray(1).toString('hex'), d, 1, { output: 'array' });
  if (!m || m.length === 0) throw new Error('sm-crypto: C3 mismatch (empty result)');
  return Buffer.from(m);
}

async function envelope(cfg) {
  const c = client(cfg, cfg.region);
  const out = { sdkVersion: SDK_VERSION, requestIds: [] };
  const call = async (name, action, req) => {
    const r = await step(name, () => c[action](req));
    out.requestIds.push(r.RequestId);
    return r;
  };
  const tag = 'node-' + crypto.randomBytes(6).toString('hex');
  const alias = 'node' + crypto.randomBytes(8).toString('hex');

  // CreateKey, DescribeKey
  const created = await call('CreateKey', 'CreateKey', {
    Alias: alias,
    Description: 'made by the Node.js SDK',
    Tags: [{ TagKey: 'suite', TagValue: tag }],
  });
  out.create = { alias, keyId: created.KeyId, alias_: created.Alias, keyState: created.KeyState, description: created.Description };
  const keyId = created.KeyId;
  const described = await call('DescribeKey', 'DescribeKey', { KeyId: keyId });
  out.describe = described.KeyMetadata;

  // Encrypt / Decrypt with an EncryptionContext
  const context = JSON.stringify({ tenant: 't-1', purpose: 'node' });
  const message = crypto.randomBytes(48);
  const enc = await call('Encrypt', 'Encrypt', { KeyId: keyId, Plaintext: b64(message), EncryptionContext: context });
  const dec = await call('Decrypt', 'Decrypt', { CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context });
  out.encrypt = {
    plaintext: b64(message),
    keyId: enc.KeyId,
    ciphertextBlob: enc.CiphertextBlob,
    decrypted: dec.Plaintext,
    decryptKeyId: dec.KeyId,
    wrongContext: await failure('Decrypt with another EncryptionContext', c.Decrypt({
      CiphertextBlob: enc.CiphertextBlob, EncryptionContext: JSON.stringify({ tenant: 't-2', purpose: 'node' }),
    })),
    noContext: await failure('Decrypt without the EncryptionContext', c.Decrypt({ CiphertextBlob: enc.CiphertextBlob })),
  };

  // GenerateDataKey (NumberOfBytes), and Decrypt of its blob
  const gdk = await call('GenerateDataKey', 'GenerateDataKey', { KeyId: keyId, NumberOfBytes: 32, EncryptionContext: context });
  const gdkClear = await call('Decrypt(GenerateDataKey)', 'Decrypt', { CiphertextBlob: gdk.CiphertextBlob, EncryptionContext: context });
  out.dataKey = { keyId: gdk.KeyId, plaintext: gdk.Plaintext, ciphertextBlob: gdk.CiphertextBlob, decrypted: gdkClear.Plaintext };

  // Delivery to a fresh SM2 key: decrypted here by sm-crypto.
  const s = sm2Recipient();
  const sm2Gdk = await call('GenerateDataKey(SM2)', 'GenerateDataKey', {
    KeyId: keyId, NumberOfBytes: 24, EncryptionPublicKey: s.publicPem, EncryptionAlgorithm: 'SM2',
  });
  const sm2Ct = unb64(sm2Gdk.Plaintext);
  const sm2Clear = await call('Decrypt(SM2 blob)', 'Decrypt', { CiphertextBlob: sm2Gdk.CiphertextBlob });
  // Decrypt can deliver as well: the same key, encrypted to the same recipient afresh.
  const sm2Redeliver = await call('Decrypt(SM2 blob) delivered', 'Decrypt', {
    CiphertextBlob: sm2Gdk.CiphertextBlob, EncryptionPublicKey: s.publicPem, EncryptionAlgorithm: 'SM2',
  });
  const sm2Ct2 = unb64(sm2Redeliver.Plaintext);
  out.sm2 = {
    recipientPoint: s.point,
    keyId: sm2Gdk.KeyId,
    ciphertextLength: sm2Ct.length,
    ciphertextHex: sm2Ct.toString('hex'),
    unwrapped: b64(await step('sm-crypto decrypt', () => sm2Decrypt(s.d, sm2Ct))),
    clear: sm2Clear.Plaintext,
    redeliveredHex: sm2Ct2.toString('hex'),
    redeliveredUnwrapped: b64(await step('sm-crypto decrypt (Decrypt delivery)', () => sm2Decrypt(s.d, sm2Ct2))),
  };

  // Delivery to a fresh RSA key, RSAES_OAEP_SHA_256: decrypted by Node's crypto.
  const rsa = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const rsaGdk = await call('GenerateDataKey(RSA)', 'GenerateDataKey', {
    KeyId: keyId, NumberOfBytes: 32, EncryptionPublicKey: rsa.publicKey, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
  });
  const rsaCt = unb64(rsaGdk.Plaintext);
  const rsaClear = await call('Decrypt(RSA blob)', 'Decrypt', { CiphertextBlob: rsaGdk.CiphertextBlob });
  out.rsa = {
    keyId: rsaGdk.KeyId,
    ciphertextLength: rsaCt.length,
    unwrapped: b64(await step('crypto.privateDecrypt', () => crypto.privateDecrypt(
      { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, rsaCt))),
    clear: rsaClear.Plaintext,
  };

  // DescribeKeys with several KeyIds; ListKeyDetail filtered by tag.
  const second = await call('CreateKey(second)', 'CreateKey', {
    Alias: alias + 'b', Tags: [{ TagKey: 'suite', TagValue: tag }, { TagKey: 'n', TagValue: '2' }],
  });
  const third = await call('CreateKey(third)', 'CreateKey', { Alias: alias + 'c', Tags: [{ TagKey: 'suite', TagValue: tag + '-other' }] });
  const asked = [third.KeyId, keyId, second.KeyId];
  const dks = await call('DescribeKeys', 'DescribeKeys', { KeyIds: asked });
  out.describeKeys = { asked, got: dks.KeyMetadatas.map((m) => ({ KeyId: m.KeyId, Alias: m.Alias })) };
  const listed = await call('ListKeyDetail', 'ListKeyDetail', { OrderType: 1, TagFilters: [{ TagKey: 'suite', TagValue: [tag] }] });
  const listedNone = await call('ListKeyDetail(no match)', 'ListKeyDetail', { TagFilters: [{ TagKey: 'suite', TagValue: [tag + '-none'] }] });
  out.listKeyDetail = {
    expected: [keyId, second.KeyId],
    totalCount: listed.TotalCount,
    got: listed.KeyMetadatas.map((m) => m.KeyId),
    noMatchTotal: listedNone.TotalCount,
    noMatch: listedNone.KeyMetadatas,
  };

  // An unknown KeyId: the SDK's exception carries the server's code.
  out.notFound = await failure('DescribeKey(unknown id)', c.DescribeKey({ KeyId: crypto.randomUUID() }));
  return out;
}

// The SDK's clock, pinned to one second: TC3 uses `new Date().getTime()`, v1 `Date.now()`.
function pinClock(seconds) {
  const RealDate = Date;
  const fixed = seconds * 1000;
  class PinnedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(fixed); else super(...args);
    }
    static now() { return fixed; }
  }
  global.Date = PinnedDate;
  return () => { global.Date = RealDate; };
}

async function sameBody(cfg) {
  // A key to address, made before the clock is pinned.
  const setup = client(cfg, cfg.region);
  const keyId = (await step('CreateKey(setup)', () => setup.CreateKey({ Alias: 'same' + crypto.randomBytes(6).toString('hex') }))).KeyId;
  const unpin = pinClock(Math.floor(Date.now() / 1000));
  wire.length = 0;
  const out = { keyId };
  try {
    // The same body {"KeyId": …} to two actions, from two clients at once.
    const [describe, rotation] = await step('DescribeKey + GetKeyRotationStatus', () => Promise.all([
      client(cfg, cfg.region).DescribeKey({ KeyId: keyId }),
      client(cfg, cfg.region).GetKeyRotationStatus({ KeyId: keyId }),
    ]));
    out.actions = {
      describeKeyId: describe.KeyMetadata.KeyId,
      rotationStatus: rotation.KeyRotationEnabled,
      requestIds: [describe.RequestId, rotation.RequestId],
      wire: wire.splice(0),
    };
    // The same CreateKey body to two regions, from two clients at once.
    const alias = 'both' + crypto.randomBytes(6).toString('hex');
    const [r1, r2] = await step('CreateKey in two regions', () => Promise.all([
      client(cfg, cfg.region).CreateKey({ Alias: alias, Description: 'same body' }),
      client(cfg, cfg.region2).CreateKey({ Alias: alias, Description: 'same body' }),
    ]));
    out.regions = { alias, keyIds: [r1.KeyId, r2.KeyId], requestIds: [r1.RequestId, r2.RequestId], wire: wire.splice(0) };
  } finally {
    unpin();
  }
  // Each key is in its own region (the clock runs again: fresh signatures).
  const d1 = await step('DescribeKey(region 1)', () => client(cfg, cfg.region).DescribeKey({ KeyId: out.regions.keyIds[0] }));
  const d2 = await step('DescribeKey(region 2)', () => client(cfg, cfg.region2).DescribeKey({ KeyId: out.regions.keyIds[1] }));
  out.regions.aliases = [d1.KeyMetadata.Alias, d2.KeyMetadata.Alias];
  out.regions.crossRegion = await failure('DescribeKey(key of region 2 in region 1)',
    client(cfg, cfg.region).DescribeKey({ KeyId: out.regions.keyIds[1] }));
  return out;
}

// Signature v1: the SDK's Nonce is Math.round(Math.random() * 65535), so one comes back
// within a window (about one request in 20 at 10 requests a second). Pinned here to one
// value: requests in different seconds are all accepted.
async function repeatedNonce(cfg) {
  const realRandom = Math.random;
  Math.random = () => 0.5;
  const c = client(cfg, cfg.region);
  const out = { results: [] };
  // The v1 Timestamp is Math.round(Date.now() / 1000) (TC3's truncates).
  const timestamp = () => Math.round(Date.now() / 1000);
  try {
    for (let i = 0; i < 3; i++) {
      const second = timestamp();
      const r = await step(`GenerateRandom #${i}`, () => c.GenerateRandom({ NumberOfBytes: 16 }));
      out.results.push({ second, bytes: Buffer.from(r.Plaintext, 'base64').length });
      // The request's Timestamp was at most `after`: the next one is later.
      const after = timestamp();
      while (timestamp() === after) await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    Math.random = realRandom;
  }
  return out;
}

async function main() {
  const cfg = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const scenarios = { envelope, same_body: sameBody, repeated_nonce: repeatedNonce };
  if (!scenarios[cfg.scenario]) throw new Error(`unknown scenario ${cfg.scenario}`);
  const out = await scenarios[cfg.scenario](cfg);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String((e && e.message) || e) + '\n');
  process.exit(1);
});
