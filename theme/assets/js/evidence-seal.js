/* Evidence sealed in the browser before it is sent ahead to storage (issue 13): the format of
 * functions/core/evidence_seal.py, made with libsodium-wrappers (vendor/), so the bucket never holds a
 * readable byte of a file that may list children. Loaded by assessment.js only when a file goes ahead;
 * also run by node in tests/ (module.exports), so the test checks this very code against Python.
 *
 * seal(sodium, blob, offer, facts, onProgress) → Promise<{seal, body}>:
 *   offer = the "seal" member of POST /api/uploads (recipients, chunk_bytes, keyring_version);
 *   facts = {sha256, size, kind} of the plaintext; body = a Blob of the encrypted chunks back to back;
 *   seal = what the server needs to write the manifest (header, sealed keys, encrypted facts, parts). */
(function (root) {
  "use strict";

  // Python's json.dumps(facts, sort_keys=True): the same bytes, so both sides agree on what was sealed.
  function factsJson(facts) {
    return '{"kind": ' + JSON.stringify(facts.kind) + ', "sha256": ' + JSON.stringify(facts.sha256) +
      ', "size": ' + String(facts.size) + "}";
  }

  function readSlice(blob, start, end) {
    var part = blob.slice(start, end);
    if (part.arrayBuffer) return part.arrayBuffer().then(function (b) { return new Uint8Array(b); });
    return new Promise(function (resolve, reject) {  // browsers before Blob.arrayBuffer
      var reader = new FileReader();
      reader.onload = function () { resolve(new Uint8Array(reader.result)); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(part);
    });
  }

  function seal(sodium, blob, offer, facts, onProgress) {
    var b64 = sodium.base64_variants.ORIGINAL;
    var size = blob.size, chunk = offer.chunk_bytes;
    if (!(size > 0) || size !== facts.size) return Promise.reject(new Error("size"));
    var key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
    var stream = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    var keys = {};
    Object.keys(offer.recipients).forEach(function (holder) {
      keys[holder] = sodium.to_base64(sodium.crypto_box_seal(key, sodium.from_base64(offer.recipients[holder], b64)), b64);
    });
    // The facts get a key of their own, derived from the content key (as _facts_box does).
    var factsKey = sodium.crypto_generichash(32, sodium.from_string("bvte-evidence-facts"), key);
    var nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
    var boxed = sodium.crypto_secretbox_easy(sodium.from_string(factsJson(facts)), nonce, factsKey);
    var sealedFacts = new Uint8Array(nonce.length + boxed.length);
    sealedFacts.set(nonce);
    sealedFacts.set(boxed, nonce.length);
    var parts = Math.ceil(size / chunk), pieces = [];

    // One chunk at a time (File.slice): a 50 MB file is never read whole into one call.
    function step(i) {
      if (i >= parts) return Promise.resolve();
      return readSlice(blob, i * chunk, Math.min(size, (i + 1) * chunk)).then(function (plain) {
        var tag = i === parts - 1 ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
          : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
        pieces.push(sodium.crypto_secretstream_xchacha20poly1305_push(stream.state, plain, null, tag));
        if (onProgress) onProgress((i + 1) / parts);
        return step(i + 1);
      });
    }

    return step(0).then(function () {
      sodium.memzero(key);
      sodium.memzero(factsKey);
      return {
        seal: {
          header: sodium.to_base64(stream.header, b64), keys: keys, facts: sodium.to_base64(sealedFacts, b64),
          parts: parts, part_bytes: chunk, keyring_version: offer.keyring_version
        },
        body: new Blob(pieces, { type: "application/octet-stream" })
      };
    });
  }

  var api = { seal: seal, factsJson: factsJson };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.bvteEvidenceSeal = api;
})(this);
