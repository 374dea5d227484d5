/*
 * Report form and status lookup, enhanced (functions/templates/tips/). Without this file both
 * forms work as plain HTML posts; with it: inline checks with the server's own rules (limits,
 * patterns and messages written into the page by functions/core/tip_validation.py), sending
 * without leaving the page (XHR, Accept: application/json), large photos made smaller in the
 * browser first (longest side 1600 px, JPEG 0.8: minutes less on 2G), a progress bar while attachments
 * upload, retries that reuse the same submission_id (one report, one receipt), and nothing kept
 * on the device: no storage APIs, and the form is emptied when the page is left.
 * Plain ES5, no framework: it must run on old, cheap phones.
 */
(function () {
  "use strict";

  var KINDS = /\.(jpe?g|png|pdf)$/i;

  function $(root, sel) { return root.querySelector(sel); }
  function $all(root, sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); }

  function randomId() {
    var bytes = new Uint8Array(18), out = "", chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) { out += chars.charAt(bytes[i] & 63); }
    return out;
  }

  function text(form, name) {
    var el = form.elements[name];
    return el && el.value ? el.value.replace(/^\s+|\s+$/g, "") : "";
  }


  // --- showing errors -----------------------------------------------------------------------
  function showFieldError(form, name, message) {
    var holder = $(form, '[data-error-for="' + name + '"]');
    var input = form.elements[name];
    var wrapper = holder ? holder.parentNode : null;
    if (holder) {
      holder.textContent = "";
      if (message) {
        var hidden = document.createElement("span");
        hidden.className = "bvte-visually-hidden";
        hidden.textContent = "Lỗi: ";
        holder.appendChild(hidden);
        holder.appendChild(document.createTextNode(message));
      }
      holder.hidden = !message;
    }
    if (wrapper && wrapper.classList) { wrapper.classList.toggle("bvte-field--error", !!message); }
    if (input && input.setAttribute && input.type !== "radio" && !input.length) {
      if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
  }

  function showSummary(form, message, errors) {
    var summary = $(document, "[data-error-summary]");
    if (!summary) {
      summary = document.createElement("div");
      summary.className = "bvte-error-summary";
      summary.setAttribute("role", "alert");
      summary.setAttribute("tabindex", "-1");
      summary.setAttribute("data-error-summary", "");
      form.parentNode.insertBefore(summary, form);
    }
    summary.textContent = "";
    var title = document.createElement("h2");
    title.className = "bvte-error-summary__title";
    title.textContent = "Chưa gửi được";
    summary.appendChild(title);
    if (message) { var p = document.createElement("p"); p.textContent = message; summary.appendChild(p); }
    var names = Object.keys(errors || {});
    if (names.length) {
      var list = document.createElement("ul");
      list.className = "bvte-error-summary__list";
      names.forEach(function (name) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = "#" + name;
        a.textContent = errors[name];
        li.appendChild(a);
        list.appendChild(li);
      });
      summary.appendChild(list);
    }
    summary.hidden = false;
    summary.focus();
  }

  function clearSummary() {
    var summary = $(document, "[data-error-summary]");
    if (summary) { summary.hidden = true; summary.textContent = ""; }
  }

  // --- the report form: the server's rules, read from the page ----------------------------------
  // functions/core/tip_validation.py writes its limits, patterns and messages into the page
  // (#tip-form-rules, see browser_rules); this only applies them, in the server's order.
  function loadRules(form) {
    var block = document.getElementById(form.getAttribute("data-rules") || "");
    var rules = JSON.parse(block.textContent);
    var re = {};
    Object.keys(rules.patterns).forEach(function (name) {
      re[name] = new RegExp(rules.patterns[name].source, rules.patterns[name].flags);
    });
    var g = function (name) { return new RegExp(rules.patterns[name].source, rules.patterns[name].flags + "g"); };
    rules.re = re;
    rules.reAll = { control: g("control"), phone_separators: g("phone_separators") };
    rules.categorySet = {};
    rules.categories.forEach(function (id) { rules.categorySet[id] = true; });
    rules.communeKeys = {};
    rules.communes.keys.forEach(function (k) { rules.communeKeys[k] = true; });
    return rules;
  }

  function say(rules, key, values) {
    return rules.messages[key].replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
  }

  // text.normalise: NFC, line ends as \n (or spaces on one line), control characters out, space trimmed
  // as Python's str.strip() does.
  function normalise(rules, value, multiline) {
    var s = value.normalize ? value.normalize("NFC") : value;
    s = s.replace(/\r\n?/g, "\n");
    if (!multiline) { s = s.replace(/[\n\t]/g, " "); }
    return strip(rules, s.replace(rules.reAll.control, ""));
  }

  function strip(rules, s) {
    var space = rules.re.space, start = 0, end = s.length;
    while (start < end && space.test(s.charAt(start))) { start++; }
    while (end > start && space.test(s.charAt(end - 1))) { end--; }
    return s.slice(start, end);
  }

  // Characters as Python counts them (code points, not UTF-16 units).
  function count(s) { return s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length; }

  function thousands(n) { return String(n).replace(/\B(?=(\d{3})+$)/g, "."); }

  // text.fold: lower case, NFD, đ→d, combining marks out, NFC (the same as the search worker's).
  var MARKS = (function () { try { return new RegExp("\\p{Mn}", "gu"); } catch (e) { return /[\u0300-\u036f]/g; } })();
  function fold(s) {
    s = s.toLowerCase();
    if (!s.normalize) { return s; }
    return s.normalize("NFD").replace(/\u0111/g, "d").replace(MARKS, "").normalize("NFC");
  }

  // places._key: folded, separators to one space, no "xã"/"thị trấn" in front.
  function communeKey(rules, s) {
    var sep = new RegExp(rules.patterns.commune_separators.source, "gu");
    s = strip(rules, strip(rules, fold(s)).replace(sep, " "));
    return s.replace(rules.re.commune_prefix, "");
  }

  // tip_validation.normalise_phone: the national form, or null.
  function phoneNumber(rules, s) {
    var digits = s.replace(rules.reAll.phone_separators, "");
    if (digits.indexOf("+84") === 0) { digits = "0" + digits.slice(3); }
    else if (digits.indexOf("0084") === 0) { digits = "0" + digits.slice(4); }
    else if (digits.indexOf("84") === 0 && (count(digits) === 11 || count(digits) === 12)) { digits = "0" + digits.slice(2); }
    if (!/^[0-9]+$/.test(digits)) { return null; }
    return rules.re.mobile.test(digits) || rules.re.landline.test(digits) ? digits : null;
  }

  function shownName(rules, name) {
    name = (name || "tệp").replace(/\\/g, "/").split("/").pop();
    var chars = Array.from ? Array.from(name) : name.split("");
    var max = rules.limits.filename_shown;
    return chars.length <= max ? name : chars.slice(0, max - 3).join("") + "…";
  }

  function field(form, name) {
    var el = form.elements[name];
    if (!el) { return ""; }
    if (el.length !== undefined && !el.tagName) { // radio group
      var checked = $(form, 'input[name="' + name + '"]:checked');
      return checked ? checked.value : "";
    }
    if (el.type === "checkbox") { return el.checked ? el.value : ""; }
    return el.value || "";
  }

  // The same checks, messages and order as tip_validation.validate, then the attachment checks of
  // functions/api/tips.py (count, then each file: size, empty, kind).
  function checkTip(form, rules) {
    var errors = {}, L = rules.limits;
    var description = normalise(rules, field(form, "description"), true), n = count(description);
    if (!description) { errors.description = say(rules, "description_empty", { min: L.description_min }); }
    else if (n < L.description_min) { errors.description = say(rules, "description_short", { min: L.description_min, count: n }); }
    else if (n > L.description_max) { errors.description = say(rules, "description_long", { max: thousands(L.description_max), count: thousands(n) }); }
    var category = normalise(rules, field(form, "category"), false);
    if (!category) { errors.category = say(rules, "category_empty", {}); }
    else if (!rules.categorySet.hasOwnProperty(category)) { errors.category = say(rules, "category_unknown", {}); }
    var commune = normalise(rules, field(form, "commune"), false);
    if (!commune) { errors.commune = say(rules, "commune_empty", {}); }
    else if (commune !== rules.communes.unknown_id) {
      var key = communeKey(rules, commune);
      if (rules.communes.unknown_keys.indexOf(key) < 0 && !rules.communeKeys.hasOwnProperty(key)) {
        errors.commune = say(rules, "commune_unknown", {});
      }
    }
    var age = normalise(rules, field(form, "child_age"), false);
    if (age) {
      age = age.replace(rules.re.age_suffix, "");
      if (!/^[0-9]+$/.test(age) || parseInt(age, 10) > L.age_max) { errors.child_age = say(rules, "child_age_invalid", { max: L.age_max }); }
    }
    var location = normalise(rules, field(form, "location_detail"), true);
    if (count(location) > L.location_max) { errors.location_detail = say(rules, "location_long", { max: L.location_max, count: count(location) }); }
    if (count(normalise(rules, field(form, "reporter_name"), false)) > L.name_max) { errors.reporter_name = say(rules, "name_long", { max: L.name_max }); }
    var phone = normalise(rules, field(form, "reporter_phone"), false);
    if (phone && (count(phone) > L.phone_max || phoneNumber(rules, phone) === null)) { errors.reporter_phone = say(rules, "phone_invalid", {}); }
    var input = form.elements.attachments;
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    if (files.length > L.max_files) { errors.attachments = say(rules, "attachments_too_many", { max: L.max_files, count: files.length }); }
    files.forEach(function (f) {
      if (errors.attachments) { return; }
      var name = shownName(rules, f.name);
      if (f.size > L.max_bytes) { errors.attachments = say(rules, "attachment_too_large", { mb: L.max_mb, name: name }); }
      else if (f.size === 0) { errors.attachments = say(rules, "attachment_empty", { name: name }); }
      else if (!KINDS.test(f.name) && !/^(image\/(jpeg|png)|application\/pdf)$/.test(f.type)) {
        errors.attachments = say(rules, "attachment_kind", { name: name });
      }
    });
    return errors;
  }

  var TIP_FIELDS = ["description", "category", "commune", "child_age", "location_detail", "reporter_name", "reporter_phone", "urgent", "attachments"];

  function showTipErrors(form, errors) {
    TIP_FIELDS.forEach(function (name) { showFieldError(form, name, errors[name]); });
  }

  function showReceipt(form, receipt) {
    var template = document.getElementById("tip-receipt-template");
    var panel;
    if (template && template.content) {
      panel = template.content.firstElementChild.cloneNode(true);
    } else {
      panel = document.createElement("div");
      panel.innerHTML = template ? template.innerHTML : "<p data-receipt></p>";
    }
    showReceiptCode($(panel, "[data-receipt]"), receipt);
    panel.setAttribute("data-receipt-shown", "");
    clearSummary();
    form.reset();
    // The next report written on this page is a different report: it needs its own id.
    form.elements.submission_id.value = randomId();
    form.hidden = true;
    form.parentNode.insertBefore(panel, form);
    // Focus for screen readers, but scroll so the code itself is in view (the panel's top would go under
    // the sticky bars, and a phone would show only the advice below the code).
    panel.focus({ preventScroll: true });
    $(panel, "[data-receipt]").scrollIntoView({ block: "center" });
  }

  // The code with a line-break chance after each dash only: a group of four is never split.
  function showReceiptCode(el, receipt) {
    el.textContent = "";
    receipt.split("-").forEach(function (group, i, groups) {
      el.appendChild(document.createTextNode(group + (i < groups.length - 1 ? "-" : "")));
      if (i < groups.length - 1) el.appendChild(document.createElement("wbr"));
    });
  }

  // --- photos made smaller before sending ------------------------------------------------------
  // A phone photo (3–5 MB) takes minutes on 2G: large photos are redrawn at most SHRINK_SIDE px on
  // their longest side as JPEG, which also drops their metadata. The server still checks every file.
  var SHRINK_SIDE = 1600, SHRINK_QUALITY = 0.8, SHRINK_ABOVE = 300 * 1024;

  function isLargePhoto(f) { return /^image\/(jpeg|png)$/.test(f.type) && f.size > SHRINK_ABOVE; }

  // One photo redrawn smaller: {blob, name}; the original when the redraw would not be smaller.
  function shrinkPhoto(file) {
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (img) {
      var scale = Math.min(1, SHRINK_SIDE / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a transparent PNG gets white, not black, behind it
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      if (img.close) { img.close(); }
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { if (blob) { resolve(blob); } else { reject(new Error("encode")); } },
          "image/jpeg", SHRINK_QUALITY);
      });
    }).then(function (blob) {
      if (blob.size >= file.size) { return { blob: file, name: file.name }; }
      return { blob: blob, name: file.name.replace(/\.[^.]*$/, "") + ".jpg" };
    });
  }

  // The form's data with its large photos made smaller, in their order: {data, failed}. A photo that
  // cannot be redrawn goes as it is (counted in failed); onStep(n, count) tells which one is being redrawn.
  function formDataWithSmallerPhotos(form, onStep) {
    var data = new FormData(form);
    var input = form.elements.attachments;
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    var result = { data: data, failed: 0 };
    if (!window.createImageBitmap || !data["delete"] || !files.some(isLargePhoto)) { return Promise.resolve(result); }
    data["delete"]("attachments");
    var chain = Promise.resolve();
    files.forEach(function (file, i) {
      chain = chain.then(function () {
        if (!isLargePhoto(file)) { data.append("attachments", file, file.name); return null; }
        onStep(i + 1, files.length);
        return shrinkPhoto(file).then(function (r) { data.append("attachments", r.blob, r.name); },
          function () { result.failed += 1; data.append("attachments", file, file.name); });
      });
    });
    return chain.then(function () { return result; });
  }

  function enhanceTipForm(form) {
    var rules;
    // Without the rules (or a browser too old for them) the form still posts; the server checks.
    try { rules = loadRules(form); } catch (e) { rules = null; }
    var idInput = form.elements.submission_id;
    // One id per report, reused by every retry of it: the server stores it once.
    if (!idInput.value) { idInput.value = randomId(); }
    var sending = false;
    var progress = $(form, "[data-progress]"), bar = progress && $(progress, "progress"), label = progress && $(progress, "[data-progress-text]");

    function fieldCheck(event) {
      var name = event.target.name;
      if (!name || TIP_FIELDS.indexOf(name) < 0) { return; }
      var holder = $(form, '[data-error-for="' + name + '"]');
      // Only re-check a field that already shows a message, or on leaving it: no nagging while typing.
      if (event.type === "input" && (!holder || holder.hidden)) { return; }
      if (rules) { showFieldError(form, name, checkTip(form, rules)[name]); }
    }
    form.addEventListener("focusout", fieldCheck);
    form.addEventListener("change", fieldCheck);
    form.addEventListener("input", fieldCheck);

    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      var errors;
      try { errors = rules ? checkTip(form, rules) : {}; } catch (e) { return; } // let the plain post happen
      if (Object.keys(errors).length) {
        event.preventDefault();
        showTipErrors(form, errors);
        showSummary(form, "Một vài ô cần sửa. Những gì bạn đã nhập vẫn còn nguyên.", errors);
        return;
      }
      if (!window.XMLHttpRequest || !window.FormData) { return; }
      event.preventDefault();
      var xhr;
      try {
        xhr = new XMLHttpRequest();
        xhr.open("POST", form.getAttribute("action"));
        xhr.setRequestHeader("Accept", "application/json");
        xhr.timeout = 300000;
      } catch (e) { form.submit(); return; }
      sending = true;
      var button = $(form, "button[type=submit]");
      button.disabled = true;
      var photoNote = "";
      if (progress) { progress.hidden = false; bar.value = 0; label.textContent = ""; }
      if (xhr.upload) {
        xhr.upload.onprogress = function (e) {
          if (!e.lengthComputable || !bar) { return; }
          var pct = Math.round(e.loaded * 100 / e.total);
          bar.value = pct;
          label.textContent = pct + "%" + photoNote;
        };
      }
      function done() { sending = false; button.disabled = false; if (progress) { progress.hidden = true; } }
      function failed(message) {
        done();
        showSummary(form, message + " Những gì bạn đã nhập vẫn còn nguyên; bấm “Gửi tin báo” để thử lại.", {});
      }
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 201 && body && body.receipt) { done(); showReceipt(form, body.receipt); return; }
        if (body && body.error) {
          done();
          // 409: this id already names another report; a weak id was refused. A new id lets it be sent again.
          if (xhr.status === 409 || (body.error.fields && body.error.fields.submission_id)) { idInput.value = randomId(); }
          showTipErrors(form, body.error.fields || {});
          showSummary(form, body.error.message, body.error.fields || {});
          return;
        }
        // Something between us and the server answered (a proxy, a captive portal): post plainly.
        sending = false;
        form.submit();
      };
      xhr.onerror = function () { failed("Mất kết nối mạng nên tin báo CHƯA được gửi."); };
      xhr.ontimeout = function () { failed("Mạng quá chậm nên tin báo chưa gửi xong."); };
      function send(data) { try { xhr.send(data); } catch (e) { sending = false; form.submit(); } }
      if (!window.Promise) { send(new FormData(form)); return; }
      formDataWithSmallerPhotos(form, function (n, count) {
        if (label) { label.textContent = "Đang thu nhỏ ảnh " + n + "/" + count + " để gửi nhanh hơn…"; }
      }).then(function (r) {
        if (r.failed) { photoNote = " — không thu nhỏ được " + r.failed + " ảnh nên gửi nguyên cỡ, có thể lâu hơn."; }
        send(r.data);
      }, function () { send(new FormData(form)); });
    });
  }

  // --- the status lookup ---------------------------------------------------------------------
  function renderStatus(box, result) {
    box.textContent = "";
    var section = document.createElement("section");
    section.className = "bvte-status";
    var h = document.createElement("h2");
    h.textContent = "Kết quả tra cứu";
    section.appendChild(h);
    function para(str, strong) {
      var p = document.createElement("p");
      if (strong) { p.appendChild(document.createTextNode(str)); var s = document.createElement("strong"); s.textContent = strong; s.setAttribute("data-status-label", ""); p.appendChild(s); }
      else { p.textContent = str; }
      section.appendChild(p);
      return p;
    }
    function vndate(iso) { if (!iso) { return ""; } var d = iso.slice(0, 10).split("-"); return d[2] + "/" + d[1] + "/" + d[0]; }
    if (result.found) {
      para("Tình trạng: ", result.status_label);
      para("Ngày nhận: " + vndate(result.received) + ". Cập nhật lần cuối: " + vndate(result.updated) + ".");
      if (result.conversation) { renderConversation(box, section, result); }
      else if (result.messages.length) {
        var h3 = document.createElement("h3");
        h3.textContent = "Lời nhắn của cán bộ cho bạn";
        section.appendChild(h3);
        var ul = document.createElement("ul");
        result.messages.forEach(function (m) {
          var li = document.createElement("li"), t = document.createElement("span");
          t.className = "bvte-status__time";
          t.textContent = vndate(m.time);
          li.appendChild(t);
          li.appendChild(document.createTextNode(" " + m.text));
          ul.appendChild(li);
        });
        section.appendChild(ul);
      } else { para("Chưa có lời nhắn nào cho bạn."); }
    } else {
      para("Không tìm thấy tin báo với mã này.").setAttribute("data-status-label", "");
      para("Hãy kiểm tra lại từng ký tự của mã (20 ký tự, chia thành 5 nhóm).");
    }
    box.appendChild(section);
  }

  // --- the conversation with the office and the reporter's answer (issue 16) -----------------------
  // The same parts as functions/templates/tips/_conversation.html; the form posts plainly when XHR fails.
  var CLOSED_MESSAGE = "Hồ sơ đã đóng nên không nhận thêm tin nhắn; nếu có điều mới cần báo, hãy gửi tin báo mới hoặc gọi 111.";
  var MESSAGE_MAX = 2000;

  function el(tag, attrs, textValue) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (textValue) { node.textContent = textValue; }
    return node;
  }

  function renderConversation(box, section, result) {
    section.appendChild(el("h3", { id: "conversation-title" }, "Trao đổi với văn phòng"));
    if (result.conversation.length) {
      var list = el("ol", { "class": "bvte-status__messages bvte-conversation", "aria-labelledby": "conversation-title", "data-conversation": "" });
      result.conversation.forEach(function (m) {
        var li = el("li", { "data-from": m.from }), time = el("span", { "class": "bvte-status__time" });
        time.appendChild(el("strong", {}, m.who));
        time.appendChild(document.createTextNode(", " + m.time_label + ":"));
        li.appendChild(time);
        li.appendChild(document.createTextNode(" " + m.text));
        list.appendChild(li);
      });
      section.appendChild(list);
    } else { section.appendChild(el("p", { "data-conversation": "" }, "Chưa có lời nhắn nào.")); }
    if (result.closed) { section.appendChild(el("p", { "class": "bvte-notice", "data-closed": "" }, CLOSED_MESSAGE)); return; }
    if (result.sent) { section.appendChild(el("p", { "class": "bvte-notice", role: "status", "data-message-sent": "" }, "Đã gửi tin nhắn của bạn tới văn phòng.")); }
    section.appendChild(messageForm(box, result.receipt));
  }

  function messageField(form, name, label, hint, control) {
    var field = el("div", { "class": "bvte-field" });
    field.appendChild(el("label", { "for": name }, label));
    field.appendChild(el("p", { "class": "bvte-hint", id: name + "-hint" }, hint));
    var error = el("p", { "class": "bvte-field-error", id: name + "-error", "data-error-for": name });
    error.hidden = true;
    field.appendChild(error);
    control.setAttribute("aria-describedby", name + "-hint " + name + "-error");
    field.appendChild(control);
    form.appendChild(field);
  }

  function messageForm(box, receipt) {
    var form = el("form", { "class": "bvte-status-form", id: "message-form", method: "post", action: "/api/tips/messages",
      enctype: "multipart/form-data", autocomplete: "off", novalidate: "", "data-message-form": "" });
    form.appendChild(el("input", { type: "hidden", name: "receipt", value: receipt }));
    // One id per message, reused by every retry of it: the server stores it once.
    form.appendChild(el("input", { type: "hidden", name: "message_id", value: randomId() }));
    messageField(form, "message", "Nhắn cho văn phòng", "Trả lời câu hỏi của cán bộ hoặc báo thêm điều bạn biết (tối đa " + MESSAGE_MAX + " ký tự).",
      el("textarea", { id: "message", name: "message", rows: "4", maxlength: String(MESSAGE_MAX) }));
    messageField(form, "attachments", "Ảnh (không bắt buộc)", "Một ảnh JPEG, PNG hoặc tệp PDF. Thông tin ẩn trong ảnh (vị trí, loại máy) được xóa khi nhận.",
      el("input", { type: "file", id: "attachments", name: "attachments", accept: "image/jpeg,image/png,application/pdf" }));
    var progress = el("p", { "class": "bvte-hint", "aria-live": "polite", "data-progress-text": "" });
    form.appendChild(progress);
    form.appendChild(el("button", { type: "submit", "class": "md-button md-button--primary" }, "Gửi tin nhắn"));
    enhanceMessageForm(box, form, progress);
    return form;
  }

  function enhanceMessageForm(box, form, progress) {
    var sending = false;
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !window.FormData || !window.Promise) { return; } // the plain post
      event.preventDefault();
      if (sending) { return; }
      if (!text(form, "message")) {
        showFieldError(form, "message", "Hãy viết tin nhắn.");
        showSummary(form, "", { message: "Hãy viết tin nhắn." });
        return;
      }
      sending = true;
      var button = $(form, "button[type=submit]");
      button.disabled = true;
      function done(message) { sending = false; button.disabled = false; progress.textContent = message || ""; }
      formDataWithSmallerPhotos(form, function () { progress.textContent = "Đang thu nhỏ ảnh để gửi nhanh hơn…"; }).then(function (r) {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.getAttribute("action"));
        xhr.setRequestHeader("Accept", "application/json");
        xhr.onload = function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
          if (xhr.status === 201 && body) { clearSummary(); renderStatus(box, body); return; }
          if (body && body.error) {
            done();
            showFieldError(form, "message", (body.error.fields || {}).message);
            showFieldError(form, "attachments", (body.error.fields || {}).attachments);
            showSummary(form, body.error.message, body.error.fields || {});
            return;
          }
          sending = false;
          form.submit();
        };
        xhr.onerror = function () { done(); showSummary(form, "Mất kết nối mạng nên tin nhắn CHƯA được gửi. Những gì bạn đã viết vẫn còn nguyên; hãy thử lại.", {}); };
        progress.textContent = "Đang gửi…";
        xhr.send(r.data);
      });
    });
  }

  function enhanceStatusForm(form) {
    var box = $(document, "[data-status-result]");
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !box) { return; }
      var receipt = text(form, "receipt");
      event.preventDefault();
      if (!receipt) {
        var errors = { receipt: "Hãy nhập mã tin báo." };
        showFieldError(form, "receipt", errors.receipt);
        showSummary(form, "", errors);
        return;
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 200 && body) {
          clearSummary();
          showFieldError(form, "receipt", "");
          renderStatus(box, body);
          return;
        }
        if (body && body.error) {
          showFieldError(form, "receipt", (body.error.fields || {}).receipt);
          showSummary(form, body.error.message, body.error.fields || {});
          return;
        }
        form.submit();
      };
      xhr.onerror = function () { showSummary(form, "Mất kết nối mạng. Hãy thử lại.", {}); };
      xhr.send("receipt=" + encodeURIComponent(receipt));
    });
  }

  // --- nothing kept on the device -----------------------------------------------------------
  function forget() {
    $all(document, "form[data-tip-form], form[data-status-form]").forEach(function (form) {
      form.reset();
      form.hidden = false;
      // Whatever was typed is gone, so whatever is typed next is a new report with a new id.
      if (form.elements.submission_id) { form.elements.submission_id.value = randomId(); }
    });
    $all(document, "[data-receipt-shown], [data-status-result] > *").forEach(function (el) { el.parentNode.removeChild(el); });
  }

  var tipForm = $(document, "form[data-tip-form]");
  var statusForm = $(document, "form[data-status-form]");
  if (!tipForm && !statusForm) { return; }
  if (tipForm) { enhanceTipForm(tipForm); }
  if (statusForm) { enhanceStatusForm(statusForm); }
  window.addEventListener("pagehide", forget);
  window.addEventListener("pageshow", function (e) { if (e.persisted) { forget(); } });
})();
