// Digital Bazaar's eddsa-rdfc-2022 signing and verification, timed in CPU seconds.
// Usage: node bench.mjs CASES.json SECONDS  (CASES.json written by bench/bench_sign_verify.py:
// {"contexts": {url: document}, "seed": hex, "cases": {name: credential}}).
// Prints one JSON line: {case: {"sign": ops per CPU-second, "verify": ..., "proofValue": ...}}.
import {readFileSync} from 'node:fs';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';

const [casesPath, secondsArg] = process.argv.slice(2);
const {contexts, seed, created, cases} = JSON.parse(readFileSync(casesPath, 'utf8'));
const seconds = Number(secondsArg || 2);

const keyPair = await Ed25519Multikey.generate({seed: Buffer.from(seed, 'hex')});
const did = `did:key:${keyPair.publicKeyMultibase}`;
keyPair.controller = did;
keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
const verificationMethod = await keyPair.export({publicKey: true, includeContext: true});
const didDocument = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
  id: did, verificationMethod: [verificationMethod], assertionMethod: [keyPair.id],
};

// Closed world, as in the Python engine: only bundled contexts, no network.
async function documentLoader(url) {
  if (url in contexts) return {contextUrl: null, documentUrl: url, document: contexts[url]};
  if (url.startsWith(did)) {
    const document = url.includes('#') ? {...verificationMethod} : didDocument;
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`unknown document ${url}`);
}

function cpuSeconds() {
  const {user, system} = process.cpuUsage();
  return (user + system) / 1e6;
}

async function rate(operation) {
  for (let i = 0; i < 5; i++) await operation();  // warm the JIT and the context caches
  let count = 0;
  const start = cpuSeconds();
  let elapsed = 0;
  while ((elapsed = cpuSeconds() - start) < seconds) {
    await operation();
    count++;
  }
  return count / elapsed;
}

const signSuite = () => new DataIntegrityProof({signer: keyPair.signer(), date: created, cryptosuite});
const verifySuite = new DataIntegrityProof({cryptosuite});
// Status lists are not fetched on either side (the Python verifier runs without fetch_json).
const checkStatus = async () => ({verified: true});
const results = {};
for (const [name, credential] of Object.entries(cases)) {
  // vc.issue adds the proof to the object it is given: sign a fresh copy each time.
  const issue = () => vc.issue({credential: structuredClone(credential), suite: signSuite(), documentLoader});
  const signed = await issue();
  const verify = async () => {
    const result = await vc.verifyCredential({credential: signed, suite: verifySuite, documentLoader, checkStatus});
    if (!result.verified) throw (result.error?.errors?.[0] ?? result.error ?? new Error(JSON.stringify(result)));
  };
  await verify();
  results[name] = {
    sign: await rate(issue),
    verify: await rate(verify),
    proofValue: signed.proof.proofValue,
  };
}
console.log(JSON.stringify(results));
