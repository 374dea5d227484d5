// Seals a file as the self-assessment page does, for tests/test_evidence_seal_browser_format.py: the vendored
// libsodium and theme/assets/js/evidence-seal.js run as the browser runs them (plain scripts, `this` the page's
// global), not through node's module loader, so the test covers exactly the files the site serves.
// Usage: node seal_evidence_node.js OFFER.json FACTS.json INPUT OUTPUT  → OUTPUT (the object), stdout: the seal.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [offerPath, factsPath, input, output] = process.argv.slice(2);
const js = path.join(__dirname, "..", "theme", "assets", "js");
const page = { crypto: globalThis.crypto, Blob, Uint8Array, console };
page.self = page;
vm.createContext(page);
for (const file of ["vendor/libsodium.js", "vendor/libsodium-wrappers.js", "evidence-seal.js"]) {
  vm.runInContext(fs.readFileSync(path.join(js, file), "utf8"), page, { filename: file });
}

async function main() {
  await page.sodium.ready;
  const offer = JSON.parse(fs.readFileSync(offerPath, "utf8"));
  const facts = JSON.parse(fs.readFileSync(factsPath, "utf8"));
  const blob = new Blob([fs.readFileSync(input)]);
  const sealed = await page.bvteEvidenceSeal.seal(page.sodium, blob, offer, facts, null);
  fs.writeFileSync(output, Buffer.from(await sealed.body.arrayBuffer()));
  process.stdout.write(JSON.stringify(sealed.seal));
}

main().catch((error) => { console.error(error && error.stack ? error.stack : String(error)); process.exit(1); });
