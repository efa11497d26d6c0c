#!/usr/bin/env node
// Airlock audit export verifier: one dependency-free file for Node.js 18 or newer.
//
//   node verify.js [FOLDER] [--key-id HEX] [--prove SEQ]
//
// FOLDER defaults to the folder this file is in. Checks, and names where anything fails:
//   1. manifest.json is signed (manifest.sig) by installation.pub.pem, whose key id the manifest
//      names (and, with --key-id, the key you hold on record for this installation);
//   2. every file's size and SHA-256 match the manifest;
//   3. checkpoint.json is signed by the same key and covers exactly the exported records;
//   4. records.jsonl: each record's hash matches its contents and links to the one before
//      (starting from the manifest's anchor), sequence numbers have no gaps;
//   5. the RFC 6962 Merkle root over records 1..N (the anchor's subtree roots + these records)
//      equals the signed root, and so do the periodic checkpoints in checkpoints.jsonl;
//   6. --prove SEQ: builds the inclusion proof of one record and checks it against the signed root.
// Exit code 0 only when every check holds; 1 when any fails; 2 on bad arguments.
// Works both as CommonJS and as an ES module (it uses only dynamic import), so it runs wherever
// the export is copied.
'use strict';

(async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const crypto = await import('node:crypto');
  const readline = await import('node:readline');

  const args = process.argv.slice(2);
  let dir = null;
  let pinnedKey = null;
  let prove = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--key-id') pinnedKey = String(args[++i] || '').toLowerCase();
    else if (a === '--prove') prove = Number(args[++i]);
    else if (a === '--help' || a === '-h') {
      process.stdout.write('Usage: node verify.js [FOLDER] [--key-id HEX] [--prove SEQ]\n');
      process.exitCode = 0;
      return;
    } else if (!a.startsWith('--') && dir === null) dir = a;
    else {
      process.stderr.write(
        `verify.js: unknown argument ${a}\nUsage: node verify.js [FOLDER] [--key-id HEX] [--prove SEQ]\n`,
      );
      process.exitCode = 2;
      return;
    }
  }
  if (prove !== null && !(Number.isInteger(prove) && prove > 0)) {
    process.stderr.write('verify.js: --prove takes a record number (seq), e.g. --prove 42\n');
    process.exitCode = 2;
    return;
  }
  dir = path.resolve(dir || path.dirname(path.resolve(process.argv[1])));

  const problems = [];
  const ok = [];
  const MAX_RECORD_PROBLEMS = 20;
  let recordProblems = 0;
  const fail = (where, message) => problems.push(`${where}: ${message}`);
  const failRecord = (where, message) => {
    recordProblems++;
    if (recordProblems <= MAX_RECORD_PROBLEMS) fail(where, message);
  };
  const file = (name) => path.join(dir, name);
  // One-shot crypto.hash where this Node has it (20.12+), the streaming API otherwise (18).
  const sha256 =
    typeof crypto.hash === 'function'
      ? (data) => crypto.hash('sha256', data, 'buffer')
      : (data) => crypto.createHash('sha256').update(data).digest();
  const hex = (b) => b.toString('hex');

  // Canonical JSON: keys sorted, no spaces (what the checkpoint signature covers).
  const canonical = (v) => JSON.stringify(sortKeys(v));
  function sortKeys(v) {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
      return out;
    }
    return v;
  }
  // The audit chain: SHA-256 over the JSON array of the fields, the previous hash last.
  const recordHash = (r) =>
    hex(
      sha256(
        JSON.stringify([
          r.seq,
          r.ts,
          r.actor,
          r.source,
          r.installation,
          r.action,
          r.target,
          r.outcome,
          r.details,
          r.prevHash,
        ]),
      ),
    );
  // RFC 6962 hashing.
  const leaf = (recordHex) => sha256(Buffer.concat([Buffer.from([0]), Buffer.from(recordHex, 'hex')]));
  const node = (l, r) => sha256(Buffer.concat([Buffer.from([1]), l, r]));
  const EMPTY = sha256(Buffer.alloc(0));
  const subtreeSizes = (n) => {
    const out = [];
    for (let bit = 2 ** Math.floor(Math.log2(Math.max(n, 1))); bit >= 1; bit /= 2)
      if (Math.floor(n / bit) % 2 === 1) out.push(bit);
    return out;
  };
  class Frontier {
    constructor(size, roots) {
      const sizes = subtreeSizes(size);
      if (sizes.length !== roots.length)
        throw new Error(
          `the anchor of ${size} records needs ${sizes.length} subtree hashes, it has ${roots.length}`,
        );
      this.size = size;
      this.nodes = roots.map((h, i) => ({ size: sizes[i], hash: Buffer.from(h, 'hex') }));
    }
    push(l) {
      let n = { size: 1, hash: l };
      while (this.nodes.length && this.nodes[this.nodes.length - 1].size === n.size) {
        const left = this.nodes.pop();
        n = { size: left.size * 2, hash: node(left.hash, n.hash) };
      }
      this.nodes.push(n);
      this.size++;
    }
    root() {
      if (!this.nodes.length) return EMPTY;
      let acc = this.nodes[this.nodes.length - 1].hash;
      for (let i = this.nodes.length - 2; i >= 0; i--) acc = node(this.nodes[i].hash, acc);
      return acc;
    }
  }
  const readText = (name) => {
    try {
      return fs.readFileSync(file(name), 'utf8');
    } catch {
      return null;
    }
  };
  const fileDigest = async (name) => {
    const h = crypto.createHash('sha256');
    let bytes = 0;
    for await (const chunk of fs.createReadStream(file(name))) {
      h.update(chunk);
      bytes += chunk.length;
    }
    return { sha256: h.digest('hex'), bytes };
  };

  process.stdout.write(`Airlock audit export verifier\nFolder: ${dir}\n\n`);

  // 1. Manifest, key and manifest signature.
  const manifestText = readText('manifest.json');
  let manifest = null;
  try {
    manifest = manifestText === null ? null : JSON.parse(manifestText);
  } catch (e) {
    fail('manifest.json', `not valid JSON (${e.message}): the file was edited or truncated`);
  }
  if (manifestText === null)
    fail('manifest.json', 'missing: this is not an Airlock audit export folder (or the file was deleted)');
  let publicKey = null;
  let keyId = null;
  const pem = readText('installation.pub.pem');
  if (pem === null) fail('installation.pub.pem', 'missing');
  else {
    try {
      publicKey = crypto.createPublicKey(pem);
      keyId = hex(sha256(publicKey.export({ type: 'spki', format: 'der' })));
      if (publicKey.asymmetricKeyType !== 'ed25519')
        fail('installation.pub.pem', `is a ${publicKey.asymmetricKeyType} key, not Ed25519`);
    } catch (e) {
      fail('installation.pub.pem', `not a public key (${e.message})`);
    }
  }
  const sigOk = (data, signatureB64) => {
    try {
      return (
        publicKey !== null &&
        crypto.verify(null, Buffer.from(data), publicKey, Buffer.from(String(signatureB64).trim(), 'base64'))
      );
    } catch {
      return false;
    }
  };
  if (!manifest) {
    report();
    return;
  }
  if (keyId) {
    if (manifest.keyId !== keyId)
      fail(
        'installation.pub.pem',
        `is key ${keyId}, but the manifest names the installation key ${manifest.keyId} (the key file was replaced)`,
      );
    if (pinnedKey && !keyId.startsWith(pinnedKey))
      fail(
        'installation.pub.pem',
        `is key ${keyId}, not the key on record you gave with --key-id (${pinnedKey}): signed by another key`,
      );
    else if (pinnedKey) ok.push(`installation key matches the key on record (${keyId})`);
  }
  const manifestSig = readText('manifest.sig');
  if (manifestSig === null) fail('manifest.sig', 'missing');
  else if (!sigOk(manifestText, manifestSig))
    fail(
      'manifest.sig',
      'the signature over manifest.json does not verify with installation.pub.pem (manifest edited, or signed with another key)',
    );
  else ok.push(`manifest.json signed by installation key ${keyId}`);

  // 2. File digests.
  const listed = Array.isArray(manifest.files) ? manifest.files : [];
  for (const f of listed) {
    if (!fs.existsSync(file(f.name))) {
      fail(f.name, 'missing (deleted after export)');
      continue;
    }
    const d = await fileDigest(f.name);
    if (d.bytes < f.bytes)
      fail(f.name, `${d.bytes} bytes, the manifest says ${f.bytes}: the file was truncated`);
    else if (d.bytes !== f.bytes)
      fail(f.name, `${d.bytes} bytes, the manifest says ${f.bytes}: the file was changed`);
    else if (d.sha256 !== f.sha256)
      fail(
        f.name,
        `SHA-256 ${d.sha256} differs from the manifest's ${f.sha256}: the file was changed after export`,
      );
  }
  if (listed.length) ok.push(`${listed.length} files listed in the manifest checked`);

  // 3. The signed checkpoint.
  const range = manifest.range || {};
  const anchor = manifest.anchor || { seq: 0, hash: '0'.repeat(64), frontier: [] };
  let checkpoint = null;
  try {
    checkpoint = JSON.parse(readText('checkpoint.json') || 'null');
  } catch (e) {
    fail('checkpoint.json', `not valid JSON (${e.message})`);
  }
  if (!checkpoint || !checkpoint.body) fail('checkpoint.json', 'missing or empty');
  else {
    const b = checkpoint.body;
    if (!sigOk(canonical(b), checkpoint.signature))
      fail(
        'checkpoint.json',
        'the checkpoint signature does not verify with installation.pub.pem (edited, or signed with another key)',
      );
    else ok.push(`checkpoint signed: ${b.treeSize} records, root ${b.merkleRoot}`);
    if (b.keyId !== keyId)
      fail('checkpoint.json', `names signing key ${b.keyId}, the export's key is ${keyId}`);
    if (b.installation !== manifest.installation)
      fail(
        'checkpoint.json',
        `is for installation ${b.installation}, the manifest for ${manifest.installation}`,
      );
    if (b.treeSize !== range.toSeq)
      fail('checkpoint.json', `covers ${b.treeSize} records but the export ends at record ${range.toSeq}`);
  }
  const periodic = new Map();
  for (const [i, line] of (readText('checkpoints.jsonl') || '').split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      const c = JSON.parse(line);
      if (!sigOk(canonical(c.body), c.signature))
        fail(`checkpoints.jsonl line ${i + 1}`, 'signature does not verify');
      else periodic.set(c.body.treeSize, c.body);
    } catch {
      fail(`checkpoints.jsonl line ${i + 1}`, 'not valid JSON');
    }
  }

  // 4 and 5. The records: chain, sequence, hashes, Merkle root.
  let frontier;
  try {
    frontier = new Frontier(anchor.seq, anchor.frontier || []);
  } catch (e) {
    fail('manifest.json anchor', e.message);
    frontier = new Frontier(0, []);
  }
  let expected = anchor.seq + 1;
  let prev = anchor.hash;
  let count = 0;
  let lastSeq = anchor.seq;
  let lastHash = anchor.hash;
  const leaves = [];
  let proveLine = null;
  let lastAnnounced = null;
  if (fs.existsSync(file('records.jsonl'))) {
    const lines = readline.createInterface({
      input: fs.createReadStream(file('records.jsonl')),
      crlfDelay: Infinity,
    });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line === '') {
        failRecord(`records.jsonl line ${lineNo}`, 'empty line (a record was removed)');
        continue;
      }
      let r;
      try {
        r = JSON.parse(line);
      } catch {
        failRecord(
          `records.jsonl line ${lineNo}`,
          'not a complete JSON record: the file was truncated or edited here',
        );
        continue;
      }
      const where = `records.jsonl line ${lineNo} (record ${r.seq})`;
      count++;
      if (r.seq !== expected) {
        failRecord(
          where,
          r.seq > expected
            ? `expected record ${expected}, found ${r.seq}: record${r.seq - expected > 1 ? `s ${expected}..${r.seq - 1}` : ` ${expected}`} deleted or moved`
            : `expected record ${expected}, found ${r.seq}: records reordered or duplicated`,
        );
      }
      if (r.prevHash !== prev)
        failRecord(where, `does not link to the record before it (records removed, inserted or reordered)`);
      if (recordHash(r) !== r.hash)
        failRecord(where, `its contents do not match its hash: the record was altered`);
      if (r.installation !== manifest.installation)
        failRecord(where, `belongs to installation ${r.installation}, not ${manifest.installation}`);
      if (r.action === 'audit.key.create') {
        // The log names its own signing key; the newest announcement must be the export's signer.
        try {
          lastAnnounced = { keyId: JSON.parse(r.details).keyId, where };
        } catch {
          failRecord(where, 'the key announcement has unreadable details');
        }
      }
      const l = leaf(r.hash);
      frontier.push(l);
      // Leaves are kept only to build an inclusion proof.
      if (prove !== null) leaves.push(l);
      if (prove === r.seq) proveLine = r;
      const cp = periodic.get(frontier.size);
      if (cp && hex(frontier.root()) !== cp.merkleRoot)
        failRecord(
          where,
          `the signed checkpoint of ${cp.ts} over ${cp.treeSize} records has a different Merkle root: records up to here were changed`,
        );
      if (cp && cp.headHash !== r.hash)
        failRecord(where, `the signed checkpoint of ${cp.ts} names another head hash here`);
      expected = r.seq + 1;
      prev = r.hash;
      lastSeq = r.seq;
      lastHash = r.hash;
    }
  } else fail('records.jsonl', 'missing');
  if (lastAnnounced && keyId && lastAnnounced.keyId !== keyId) {
    fail(
      lastAnnounced.where,
      `the log announces installation key ${lastAnnounced.keyId}, but this export is signed by key ${keyId}: re-signed with another key`,
    );
  }
  if (recordProblems > MAX_RECORD_PROBLEMS)
    problems.push(`records.jsonl: ${recordProblems - MAX_RECORD_PROBLEMS} more record problems not shown`);
  if (recordProblems === 0 && count > 0)
    ok.push(`hash chain intact over ${count} records (${anchor.seq + 1}..${lastSeq})`);
  if (count !== range.count)
    fail(
      'records.jsonl',
      `holds ${count} records, the manifest says ${range.count}${count < range.count ? ': records are missing (file truncated or lines deleted)' : ''}`,
    );
  if (checkpoint && checkpoint.body) {
    const b = checkpoint.body;
    if (lastSeq !== b.treeSize)
      fail(
        'records.jsonl',
        `ends at record ${lastSeq} but the signed checkpoint covers up to record ${b.treeSize}${lastSeq < b.treeSize ? ': records missing at the end (truncated)' : ''}`,
      );
    if (lastHash !== b.headHash)
      fail('records.jsonl', `the last record's hash ${lastHash} is not the signed head hash ${b.headHash}`);
    const root = hex(frontier.root());
    if (root !== b.merkleRoot)
      fail(
        'records.jsonl',
        `the Merkle root over the records (${root}) is not the signed root (${b.merkleRoot})`,
      );
    else ok.push(`Merkle root (RFC 6962) over records 1..${b.treeSize} matches the signed checkpoint`);
  }
  if (periodic.size) ok.push(`${periodic.size} periodic signed checkpoint(s) inside the range checked`);

  // 6. Inclusion proof of one record.
  if (prove !== null) {
    if (!proveLine)
      fail(
        `--prove ${prove}`,
        `record ${prove} is not in this export (records ${anchor.seq + 1}..${lastSeq})`,
      );
    else if (checkpoint && checkpoint.body) {
      try {
        const n = checkpoint.body.treeSize;
        const P = anchor.seq;
        const blocks = new Map();
        let start = 0;
        for (const [i, size] of subtreeSizes(P).entries()) {
          blocks.set(`${start}:${start + size}`, Buffer.from(anchor.frontier[i], 'hex'));
          start += size;
        }
        const k2 = (n2) => {
          let k = 1;
          while (k * 2 < n2) k *= 2;
          return k;
        };
        // MTH over leaves [a, b): from the records, or from the anchor's subtree roots before them.
        const mth = (a, b) => {
          if (a >= P) {
            if (b - a === 1) return leaves[a - P];
            const k = k2(b - a);
            return node(mth(a, a + k), mth(a + k, b));
          }
          const block = blocks.get(`${a}:${b}`);
          if (block) return block;
          if (b <= P) throw new Error(`subtree ${a}..${b} lies before the export and is not in its anchor`);
          const k = k2(b - a);
          return node(mth(a, a + k), mth(a + k, b));
        };
        const pathOf = (m, a, b) => {
          if (b - a <= 1) return [];
          const k = k2(b - a);
          return m < a + k
            ? [...pathOf(m, a, a + k), mth(a + k, b)]
            : [...pathOf(m, a + k, b), mth(a, a + k)];
        };
        const m = prove - 1;
        const proof = pathOf(m, 0, n);
        // Recompute the root from the leaf and the path alone (RFC 9162, 2.1.3.2).
        let fn = m;
        let sn = n - 1;
        let r = leaf(proveLine.hash);
        for (const p of proof) {
          if (fn % 2 === 1 || fn === sn) {
            r = node(p, r);
            while (fn % 2 === 0 && fn !== 0) {
              fn = Math.floor(fn / 2);
              sn = Math.floor(sn / 2);
            }
          } else r = node(r, p);
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
        if (sn === 0 && hex(r) === checkpoint.body.merkleRoot && recordHash(proveLine) === proveLine.hash) {
          ok.push(
            `inclusion proof: record ${prove} (${proveLine.action} by ${proveLine.actor} at ${proveLine.ts}) is leaf ${m} of the signed tree of ${n} records`,
          );
          process.stdout.write(
            `Inclusion proof for record ${prove}:\n${JSON.stringify({ seq: prove, treeSize: n, leafHash: hex(leaf(proveLine.hash)), path: proof.map(hex), merkleRoot: checkpoint.body.merkleRoot }, null, 2)}\n\n`,
          );
        } else
          fail(
            `--prove ${prove}`,
            'the inclusion proof does not reproduce the signed Merkle root: the record is not in the signed tree',
          );
      } catch (e) {
        fail(`--prove ${prove}`, e.message);
      }
    }
  }

  report();

  function report() {
    for (const line of ok) process.stdout.write(`  ok    ${line}\n`);
    for (const line of problems) process.stdout.write(`  FAIL  ${line}\n`);
    if (problems.length === 0) {
      process.stdout.write(
        `\nVERDICT: VALID. Records ${range.fromSeq}..${range.toSeq} of installation ${manifest && manifest.installation} are complete, unaltered and signed by key ${keyId}.\n` +
          (pinnedKey
            ? ''
            : 'Compare that key id with the one on record for this installation (or pass --key-id).\n'),
      );
      process.exitCode = 0;
    } else {
      process.stdout.write(
        `\nVERDICT: NOT VALID. ${problems.length} problem(s); the first is: ${problems[0]}\n`,
      );
      process.exitCode = 1;
    }
  }
})().catch((e) => {
  process.stderr.write(`verify.js: could not run: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 1;
});
