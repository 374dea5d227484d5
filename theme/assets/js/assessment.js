/* Self-assessment form (/tu-danh-gia/): running total, threshold and what is still missing.
 * The form works fully without this script; it only shows the sums early and stops a send that
 * would surely be refused (empty or invalid scores, files too large) before it costs a 3G upload.
 * Large evidence files go ahead of the form (see sendAhead below): Lambda takes at most 6 MB per
 * request, so they are posted straight to storage and the form carries a signed token instead.
 * Where storage is a bucket, a file is encrypted here first (evidence-seal.js with libsodium, loaded only
 * then): the bucket never holds a readable byte of a dossier that may list children. */
(function () {
  "use strict";
  // Where this script was served from: the sealing scripts beside it are loaded from there when needed.
  var scriptBase = ((document.currentScript && document.currentScript.src) || "").replace(/[^\/?#]*([?#].*)?$/, "");
  var form = document.getElementById("tu-danh-gia");
  if (!form) return;
  var summary = document.getElementById("tong-ket");
  var totalEl = summary.querySelector("[data-total]");
  var thresholdEl = summary.querySelector("[data-threshold-text]");
  var missingEl = summary.querySelector("[data-missing]");
  var commune = form.querySelector("#commune");
  var template = form.querySelector("#template");
  var maxFile = parseInt(form.getAttribute("data-max-file"), 10) || 0;
  var maxTotal = parseInt(form.getAttribute("data-max-total"), 10) || 0;
  // The rubric's rules as the server has them (functions/core/rubric.py, browser_rules): criteria,
  // maxima, thresholds by band, each commune's band, parse_score's patterns and messages.
  var rules = null;
  try { rules = loadRules(document.getElementById(form.getAttribute("data-rules") || "")); } catch (e) { rules = null; }

  function loadRules(block) {
    var r = JSON.parse(block.textContent);
    var re = function (p, extra) { return new RegExp(p.source, p.flags + (extra || "")); };
    r.re = { space: re(r.space), control: re(r.control, "g") };
    Object.keys(r.patterns).forEach(function (name) { r.re[name] = re(r.patterns[name]); });
    return r;
  }

  function strip(s) {
    var start = 0, end = s.length;
    while (start < end && rules.re.space.test(s.charAt(start))) start++;
    while (end > start && rules.re.space.test(s.charAt(end - 1))) end--;
    return s.slice(start, end);
  }

  // What the server does with a typed score: text.normalise on one line, then rubric.parse_score.
  // Returns {value} or {kind, message} with parse_score's message.
  function parseScore(raw, c) {
    var text = raw.normalize ? raw.normalize("NFC") : raw;
    text = strip(text.replace(/\r\n?|\n|\t/g, " ").replace(rules.re.control, ""));
    var fail = function (kind) { return { kind: kind, message: kind === "above_max" ? c.above_max : rules.messages[kind] }; };
    if (text === "") return fail("empty");
    if (rules.re.negative.test(text)) return fail("negative");
    if (rules.re.fraction.test(text)) {
      if (rules.re.whole_fraction.test(text)) text = text.split(/[.,]/)[0];
      else return fail("fraction");
    }
    if (!rules.re.digits.test(text)) return fail("not_number");
    var chars = Array.from(text.replace(/^0+/, ""));
    if (chars.length > rules.input_digits) return fail("too_large");
    var value = 0;
    Array.from(text).forEach(function (ch) {
      var cp = ch.codePointAt(0), zero = 0;
      rules.digit_zeros.forEach(function (z) { if (z <= cp) zero = z; });
      value = value * 10 + (cp - zero);
    });
    if (c.max_points !== null && value > c.max_points) return fail("above_max");
    if (c.max_points === null && value >= Math.pow(10, rules.input_digits)) return fail("too_large");
    return { value: value };
  }

  // The short line of the summary for a score that cannot be counted.
  function summaryLine(c, problem) {
    var said = {
      empty: "chưa nhập điểm.", not_number: "điểm phải là số nguyên không âm.",
      negative: "điểm phải là số nguyên không âm.", fraction: "điểm phải là số nguyên không âm.",
      above_max: "vượt điểm tối đa " + c.max_points + "."
    }[problem.kind] || problem.message.charAt(0).toLowerCase() + problem.message.slice(1);
    return "Tiêu chí " + c.number + ": " + said;
  }

  function scoreInput(c) { return form.elements[c.field]; }

  // The server's message next to one score field (as its re-rendered form shows it), or none.
  function showScoreError(c) {
    var input = scoreInput(c);
    if (!rules || !input) return;
    var problem = parseScore(input.value, c);
    fieldError(input, problem.message || "");
  }

  var idField = form.querySelector("input[name=submission_id]");
  if (idField && !idField.value && window.crypto && window.crypto.getRandomValues) {
    // One id per filled-in form: a retried or double-clicked send is stored once.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    idField.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function mb(n) { return (n / 1048576).toFixed(1).replace(".", ",") + " MB"; }

  function check() {
    var total = 0, blocking = [], notes = [];
    var fromSheet = template && template.files && template.files.length > 0;
    if (rules && !fromSheet) {
      rules.criteria.forEach(function (c) {
        var input = scoreInput(c);
        if (!input) return;
        var problem = parseScore(input.value, c);
        if (problem.kind) { blocking.push(summaryLine(c, problem)); return; }
        total += problem.value;
        if (problem.value === 0 && rules.no_zero_criterion) notes.push("Tiêu chí " + c.number + " đang 0 điểm: không tiêu chí nào được 0 điểm.");
      });
    }
    var band = rules && commune.value ? rules.communes[commune.value] : undefined;
    var threshold = band !== undefined && rules.thresholds.hasOwnProperty(band) ? rules.thresholds[band] : NaN;
    totalEl.textContent = fromSheet ? "lấy từ bảng tính" : String(total);
    if (isNaN(threshold)) {
      thresholdEl.textContent = " — chọn xã để biết ngưỡng điểm.";
    } else {
      thresholdEl.textContent = " / ngưỡng " + threshold + " điểm.";
      if (!fromSheet && total < threshold) notes.push("Còn thiếu " + (threshold - total) + " điểm so với ngưỡng " + threshold + " điểm.");
    }
    if (!commune.value) blocking.push("Chưa chọn xã.");
    if (!/^\d{4}$/.test(form.querySelector("#year").value.trim())) blocking.push("Chưa nhập năm đánh giá (4 chữ số).");
    if (!form.querySelector("#access_code").value.trim()) blocking.push("Chưa nhập mã truy cập.");
    var sum = 0;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) {
        sum += f.size;
      });
      blocking.push.apply(blocking, fileProblems(input));
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[data-upload-size]"), function (token) {
      sum += parseInt(token.getAttribute("data-upload-size"), 10) || 0;
    });
    if (maxTotal && sum > maxTotal) blocking.push("Tổng dung lượng tệp " + mb(sum) + " vượt " + mb(maxTotal) + ".");
    if (fromSheet) notes.push("Điểm sẽ được lấy từ bảng tính đã chọn.");
    if (!blocking.length && !notes.length) notes.push("Đã đủ điểm các tiêu chí và đạt ngưỡng (theo điểm tự chấm).");
    missingEl.textContent = "";
    blocking.concat(notes).forEach(function (text, i) {
      var li = document.createElement("li");
      li.textContent = text;
      if (i < blocking.length) li.className = "bvte-missing--blocking";
      missingEl.appendChild(li);
    });
    summary.hidden = false;
    return blocking;
  }

  // -- Files: types, field messages, and large files sent ahead of the form ---------------------

  var TYPES = {
    pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png",
    xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
  };
  var TYPE_TEXT = "Chỉ nhận PDF, ảnh JPEG, ảnh PNG, bảng tính XLSX hoặc văn bản DOCX.";
  var RETRY = " Bấm “Gửi bản tự đánh giá” để thử lại; các thông tin đã nhập vẫn được giữ.";
  var uploadsUrl = form.getAttribute("data-uploads");
  var aheadSupported = !!(uploadsUrl && window.FormData && window.JSON && window.XMLHttpRequest &&
                          "upload" in new XMLHttpRequest());
  var button = form.querySelector("button[type=submit]");
  var sending = false;

  function fileInputs() {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=file]"));
  }

  function sizeLabel(n) {
    return n < 1048576 ? Math.max(1, Math.round(n / 1024)) + " KB" : mb(n);
  }

  // The type to announce: the browser's when it is one we take, else from the name's ending (old
  // Android pickers often give none); the server checks the content itself either way.
  function typeOf(file) {
    var t = (file.type || "").toLowerCase();
    for (var ext in TYPES) { if (TYPES[ext] === t) return t; }
    var m = /\.([a-z0-9]+)$/i.exec(file.name || "");
    return m && TYPES.hasOwnProperty(m[1].toLowerCase()) ? TYPES[m[1].toLowerCase()] : "";
  }

  function fileProblems(input) {
    var out = [];
    Array.prototype.forEach.call(input.files || [], function (f) {
      if (!typeOf(f)) out.push("Tệp “" + f.name + "” không phải PDF, JPEG, PNG, XLSX hoặc DOCX. " + TYPE_TEXT);
      else if (maxFile && f.size > maxFile) out.push("Tệp “" + f.name + "” lớn hơn " + mb(maxFile) + ".");
    });
    return out;
  }

  // A message next to a field, shaped like the server's (id "<field>-error", aria-describedby).
  function fieldError(input, text) {
    var id = input.id + "-error";
    var p = document.getElementById(id);
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x !== id; });
    if (!text) {
      if (p) p.parentNode.removeChild(p);
      input.removeAttribute("aria-invalid");
    } else {
      if (!p) {
        p = document.createElement("p");
        p.className = "bvte-field-error";
        p.id = id;
        var at = input.parentNode;
        at.parentNode.insertBefore(p, at.nextSibling);
      }
      p.textContent = text;
      input.setAttribute("aria-invalid", "true");
      ids.push(id);
    }
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  // Per field: what was sent ahead (status lines with progress, and the hidden token fields).
  function box(input) {
    var id = input.id + "-upload";
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.className = "bvte-upload";
      el.id = id;
      var at = document.getElementById(input.id + "-error") || input.parentNode;
      at.parentNode.insertBefore(el, at.nextSibling);
    }
    return el;
  }

  function fileKey(f) { return [f.name, f.size, f.lastModified || ""].join("|"); }

  function sentAhead(input, f) {
    var el = document.getElementById(input.id + "-upload");
    if (!el) return false;
    return Array.prototype.some.call(el.querySelectorAll("input[type=hidden]"), function (t) {
      return t.getAttribute("data-file") === fileKey(f);
    });
  }

  // Which fields go ahead: every file when the page says so; otherwise a field holding a file above
  // the limit, then the largest others until what stays in the form is under the limit too (Lambda
  // counts the whole request). A field goes whole: old browsers cannot drop one file of a choice.
  function planAhead() {
    var setting = form.getAttribute("data-upload-ahead") || "";
    var aheadAll = setting === "all", aheadOver = parseInt(setting, 10) || 4194304;
    var chosen = [], others = [], rest = 0;
    fileInputs().forEach(function (input) {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      var size = 0, big = aheadAll;
      files.forEach(function (f) { size += f.size; if (f.size > aheadOver) big = true; });
      if (big) chosen.push(input);
      else { others.push({ input: input, size: size }); rest += size; }
    });
    others.sort(function (a, b) { return b.size - a.size; });
    while (rest > aheadOver && others.length) {
      var o = others.shift();
      chosen.push(o.input);
      rest -= o.size;
    }
    return fileInputs().filter(function (input) { return chosen.indexOf(input) >= 0; });
  }

  function busy(text) {
    button.disabled = true;
    button.textContent = text;
    // Re-enable if the page is shown again from the back/forward cache.
    window.addEventListener("pageshow", idle, { once: true });
  }

  function idle() {
    sending = false;
    button.disabled = false;
    button.textContent = "Gửi bản tự đánh giá";
  }

  function sendForm(fallback) {
    if (fallback) {
      // The files still chosen travel in the form: drop tokens for those fields, so none is counted twice.
      fileInputs().forEach(function (input) {
        var el = document.getElementById(input.id + "-upload");
        if (el && input.files && input.files.length) el.parentNode.removeChild(el);
      });
    }
    busy("Đang gửi…");
    form.submit();  // a plain post: the server's answer is a page, as without JavaScript
  }

  function sendAhead(inputs, i) {
    if (i >= inputs.length) { sendForm(); return; }
    var input = inputs[i];
    var files = Array.prototype.slice.call(input.files || []).filter(function (f) { return !sentAhead(input, f); });
    fieldError(input, "");
    (function next(j) {
      if (j >= files.length) {
        input.value = "";  // sent ahead: the token stands for the files now
        check();
        sendAhead(inputs, i + 1);
        return;
      }
      uploadOne(input, files[j], function (outcome, message) {
        if (outcome === "ok") { next(j + 1); return; }
        if (outcome === "fallback") { sendForm(true); return; }  // the upload API is not there: the form carries the files
        fieldError(input, message);
        idle();
        input.focus();
      });
    })(0);
  }

  // SHA-256 of the file (hex), announced so the server can tell a file damaged on the way; "" when
  // the browser cannot (no SubtleCrypto outside HTTPS, or very old browsers).
  function sha256(file, done) {
    if (!(window.crypto && window.crypto.subtle && window.FileReader)) { done(""); return; }
    var reader = new FileReader();
    reader.onload = function () {
      window.crypto.subtle.digest("SHA-256", reader.result).then(function (buf) {
        done(Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""));
      }, function () { done(""); });
    };
    reader.onerror = function () { done(""); };
    reader.readAsArrayBuffer(file);
  }

  function statusLine(input, file) {
    var line = document.createElement("p");
    line.className = "bvte-upload__file";
    var text = document.createElement("span");
    text.setAttribute("role", "status");
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Tiến độ tải lên tệp " + file.name);
    bar.style.display = "block";
    bar.style.width = "100%";
    line.appendChild(text);
    line.appendChild(bar);
    box(input).appendChild(line);
    return { line: line, text: text, bar: bar };
  }

  // The kind evidence_seal's facts name (functions/core/filetypes.py), by announced type.
  var KINDS = {};
  KINDS[TYPES.pdf] = "pdf"; KINDS[TYPES.jpg] = "jpeg"; KINDS[TYPES.png] = "png";
  KINDS[TYPES.xlsx] = "xlsx"; KINDS[TYPES.docx] = "docx";
  var sealer = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  // libsodium (about 300 KB compressed) and the sealing code, fetched once, on the first file to seal.
  function loadSealer() {
    if (!sealer) {
      sealer = loadScript(scriptBase + "vendor/libsodium.js")
        .then(function () { return loadScript(scriptBase + "vendor/libsodium-wrappers.js"); })
        .then(function () { return loadScript(scriptBase + "evidence-seal.js"); })
        .then(function () { return window.sodium.ready; })
        .then(function () { return window.sodium; });
      sealer.catch(function () { sealer = null; });  // a later try loads again
    }
    return sealer;
  }

  function s3Message(xhr, name) {
    var code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "");
    code = code ? code[1] : "";
    if (code === "EntityTooLarge") return "Tệp “" + name + "” lớn hơn " + mb(maxFile) + " cho mỗi tệp.";
    if (code === "EntityTooSmall") return "Tệp “" + name + "” rỗng.";
    if (xhr.status === 403) return "Nơi lưu tệp từ chối tệp “" + name + "” (hết hạn hoặc sai loại tệp)." + RETRY;
    return "Chưa tải lên được tệp “" + name + "” (máy chủ lưu tệp đang bận)." + RETRY;
  }

  // One file: ask /api/uploads for a signed post, then post the file straight to storage.
  // done("ok") | done("fallback") | done("error", message in Vietnamese).
  function uploadOne(input, file, done) {
    var type = typeOf(file);
    var ui = statusLine(input, file);
    ui.text.textContent = "Đang chuẩn bị tệp “" + file.name + "” (" + sizeLabel(file.size) + ")…";
    function fail(message) {
      ui.line.parentNode.removeChild(ui.line);
      done("error", message);
    }
    sha256(file, function (hex) {
      var ask = new XMLHttpRequest();
      ask.open("POST", uploadsUrl);
      ask.setRequestHeader("Content-Type", "application/json");
      ask.setRequestHeader("Accept", "application/json");
      // Upload slots are only for a commune holding its access code (checked like the form's); in headers,
      // which no other site's page can set.
      ask.setRequestHeader("X-Commune", encodeURIComponent(form.elements.commune ? form.elements.commune.value : ""));
      ask.setRequestHeader("X-Access-Code", form.elements.access_code ? form.elements.access_code.value : "");
      ask.onload = function () {
        var answer = null;
        try { answer = JSON.parse(ask.responseText); } catch (e) { answer = null; }
        if (ask.status === 201 && answer && answer.upload && answer.url) { post(answer, hex, file); return; }
        // Storage that must only ever receive encrypted files: seal here, then ask for the signed post.
        if (ask.status === 201 && answer && answer.seal && hex) {
          if (input === template) { ui.line.parentNode.removeChild(ui.line); done("fallback"); return; }  // read by the server
          sealThenPost(answer.seal, hex);
          return;
        }
        var fields = answer && answer.error && answer.error.fields;
        if (fields && (ask.status === 400 || ask.status === 413 || ask.status === 415)) {
          fail(fields.file || fields.sha256 || answer.error.message);
          return;
        }
        ui.line.parentNode.removeChild(ui.line);
        done("fallback");  // not found, busy, refused as a whole: the plain form post still works
      };
      ask.onerror = function () { ui.line.parentNode.removeChild(ui.line); done("fallback"); };
      ask.send(JSON.stringify({ filename: file.name, content_type: type, size: file.size, sha256: hex }));
    });

    function sealThenPost(offer, hex) {
      var said = -1;
      ui.text.textContent = "Đang mã hóa tệp “" + file.name + "” (" + sizeLabel(file.size) + ") trước khi tải lên…";
      loadSealer().then(function (sodium) {
        var facts = { sha256: hex, size: file.size, kind: KINDS[type] };
        return window.bvteEvidenceSeal.seal(sodium, file, offer, facts, function (share) {
          var pct = Math.floor(share * 100);
          ui.bar.value = pct;
          var step = Math.floor(pct / 25) * 25;
          if (step !== said) {
            said = step;
            ui.text.textContent = "Đang mã hóa tệp “" + file.name + "” (" + sizeLabel(file.size) + "): " + step + "%.";
          }
        });
      }).then(function (sealed) {
        announceSeal(offer, sealed, hex);
      }, function () {
        fail("Chưa mã hóa được tệp “" + file.name + "” trong trình duyệt (không tải được bộ mã hóa hoặc không đọc được tệp)." + RETRY);
      });
    }

    // The seal goes to the server first; its answer is the signed post for exactly the encrypted bytes.
    function announceSeal(offer, sealed, hex) {
      var ask = new XMLHttpRequest();
      ask.open("POST", uploadsUrl);
      ask.setRequestHeader("Content-Type", "application/json");
      ask.setRequestHeader("Accept", "application/json");
      ask.onload = function () {
        var answer = null;
        try { answer = JSON.parse(ask.responseText); } catch (e) { answer = null; }
        if (ask.status === 201 && answer && answer.upload && answer.url) { post(answer, hex, sealed.body); return; }
        var fields = answer && answer.error && answer.error.fields;
        fail((fields && fields.file) || "Chưa tải lên được tệp “" + file.name + "” (máy chủ đang bận)." + RETRY);
      };
      ask.onerror = function () { fail("Mất kết nối khi đang tải lên tệp “" + file.name + "”. Kiểm tra mạng." + RETRY); };
      // Flat members (the API takes no nested objects): one "key:<holder>" per sealed content key.
      var s = sealed.seal;
      var body = { seal: offer.upload, header: s.header, facts: s.facts, parts: s.parts, part_bytes: s.part_bytes,
                   keyring_version: s.keyring_version };
      for (var holder in s.keys) { if (s.keys.hasOwnProperty(holder)) body["key:" + holder] = s.keys[holder]; }
      ask.send(JSON.stringify(body));
    }

    function post(answer, hex, body) {
      var data = new FormData();
      var fields = answer.fields || {};
      for (var name in fields) { if (fields.hasOwnProperty(name)) data.append(name, fields[name]); }
      data.append(answer.file_field || "file", body);  // last: S3 ignores fields after the file
      var xhr = new XMLHttpRequest();
      var said = -1;
      xhr.open("POST", answer.url);
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.floor(e.loaded * 100 / e.total);
        ui.bar.value = pct;
        // Spoken text in steps of a quarter: a live region changing every second is noise.
        var step = Math.floor(pct / 25) * 25;
        if (step !== said) {
          said = step;
          ui.text.textContent = "Đang tải lên tệp “" + file.name + "” (" + sizeLabel(file.size) + "): " + step + "%.";
        }
      };
      xhr.onload = function () {
        if (xhr.status < 200 || xhr.status >= 300) { fail(s3Message(xhr, file.name)); return; }
        var token = document.createElement("input");
        token.type = "hidden";
        token.name = "upload_" + input.name;
        token.value = answer.upload;
        token.setAttribute("data-file", fileKey(file));
        token.setAttribute("data-upload-size", String(file.size));
        box(input).appendChild(token);
        ui.bar.value = 100;
        ui.text.textContent = "Đã tải lên tệp “" + file.name + "” (" + sizeLabel(file.size) + ")" +
          (hex ? ", mã SHA-256: " : ".");
        if (hex) {
          var code = document.createElement("code");
          code.className = "bvte-sha";
          code.textContent = hex;
          ui.text.appendChild(code);
        }
        done("ok");
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        fail("Mất kết nối khi đang tải lên tệp “" + file.name + "”. Kiểm tra mạng." + RETRY);
      };
      ui.text.textContent = "Đang tải lên tệp “" + file.name + "” (" + sizeLabel(file.size) + "): 0%.";
      xhr.send(data);
    }
  }

  // A new choice in a field replaces what was sent ahead for it, and is checked at once.
  fileInputs().forEach(function (input) {
    input.addEventListener("change", function () {
      var el = document.getElementById(input.id + "-upload");
      if (el && input.files && input.files.length) el.parentNode.removeChild(el);
      fieldError(input, fileProblems(input).join(" "));
    });
  });

  if (rules) {
    rules.criteria.forEach(function (c) {
      var input = scoreInput(c);
      if (!input) return;
      input.addEventListener("change", function () { showScoreError(c); });
      // Once a message shows, it follows the typing (and goes when the score is right).
      input.addEventListener("input", function () { if (document.getElementById(input.id + "-error")) showScoreError(c); });
    });
  }
  form.addEventListener("input", check);
  form.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    var blocking = check();
    if (blocking.length) {
      event.preventDefault();
      fileInputs().forEach(function (input) { fieldError(input, fileProblems(input).join(" ")); });
      if (rules && !(template && template.files && template.files.length)) rules.criteria.forEach(showScoreError);
      summary.setAttribute("tabindex", "-1");
      summary.focus();
      return;
    }
    var ahead = aheadSupported ? planAhead() : [];
    if (ahead.length) {
      event.preventDefault();
      sending = true;
      busy("Đang tải tệp lên…");
      sendAhead(ahead, 0);
      return;
    }
    busy("Đang gửi…");
  });
  // The sticky running total must never cover the field being edited: lift the field above it.
  // Measured in the next frame, after the browser's own scrolling of the focused field into view.
  function keepClearOfSummary(event) {
    var field = event.target;
    if (summary.hidden || !field || !field.getBoundingClientRect || summary.contains(field)) return;
    window.requestAnimationFrame(function () {
      var cover = summary.getBoundingClientRect().top;
      var bottom = field.getBoundingClientRect().bottom;
      if (bottom > cover - 4) window.scrollBy({top: bottom - cover + 12, behavior: "instant"});
    });
  }
  form.addEventListener("focusin", keepClearOfSummary);
  // A scrollable region must be reachable by keyboard (its list can be longer than its few lines).
  summary.setAttribute("tabindex", "0");
  var alertBox = document.getElementById("loi-bieu-mau");
  if (alertBox) alertBox.focus();
  check();
})();
