/*
 * Report form and status lookup, enhanced (functions/templates/tips/). Without this file both
 * forms work as plain HTML posts; with it: inline checks that mirror the server's rules, sending
 * without leaving the page (XHR, Accept: application/json), a progress bar while attachments
 * upload, retries that reuse the same submission_id (one report, one receipt), and nothing kept
 * on the device: no storage APIs, and the form is emptied when the page is left.
 * Plain ES5, no framework: it must run on old, cheap phones.
 */
(function () {
  "use strict";

  var PHONE_MOBILE = /^0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}$/;
  var PHONE_LANDLINE = /^02\d{9}$/;
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

  function mb(bytes) { var v = bytes / 1048576; return (v === Math.floor(v) ? String(v) : v.toFixed(1).replace(".", ",")); }

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

  // --- the report form: the same rules as functions/core/tip_validation.py ---------------------
  function checkTip(form) {
    var errors = {};
    var description = text(form, "description");
    if (!description) { errors.description = "Hãy kể điều bạn thấy hoặc biết (ít nhất 10 ký tự)."; }
    else if (description.length < 10) { errors.description = "Mô tả quá ngắn: cần ít nhất 10 ký tự (hiện có " + description.length + ")."; }
    else if (description.length > 5000) { errors.description = "Mô tả quá dài: tối đa 5.000 ký tự (hiện có " + description.length + ")."; }
    if (!$(form, 'input[name="category"]:checked')) { errors.category = "Hãy chọn một loại việc (nếu không chắc, chọn “Việc khác”)."; }
    if (!text(form, "commune")) { errors.commune = "Hãy cho biết xã nơi trẻ đang ở (hoặc chọn “Không rõ xã nào”)."; }
    var age = text(form, "child_age").replace(/\s*tuổi$/i, "");
    if (age && (!/^\d+$/.test(age) || parseInt(age, 10) > 17)) {
      errors.child_age = "Tuổi của trẻ là một số nguyên từ 0 đến 17. Nếu không biết, hãy để trống.";
    }
    var phone = text(form, "reporter_phone").replace(/[\s.\-()\/]/g, "").replace(/^(\+84|0084)/, "0");
    if (/^84\d{9,10}$/.test(phone)) { phone = "0" + phone.slice(2); }
    if (phone && !(PHONE_MOBILE.test(phone) || PHONE_LANDLINE.test(phone))) {
      errors.reporter_phone = "Số điện thoại chưa đúng: số di động gồm 10 chữ số bắt đầu bằng 0 (hoặc +84), số máy bàn bắt đầu bằng 02. Không muốn để lại số thì để trống.";
    }
    var input = form.elements.attachments, maxFiles = +form.getAttribute("data-max-files"), maxBytes = +form.getAttribute("data-max-bytes");
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    if (files.length > maxFiles) { errors.attachments = "Chỉ gửi được tối đa " + maxFiles + " tệp (bạn đã chọn " + files.length + ")."; }
    files.forEach(function (f) {
      if (errors.attachments) { return; }
      if (f.size > maxBytes) { errors.attachments = "Mỗi tệp tối đa " + mb(maxBytes) + " MB; tệp “" + f.name + "” lớn hơn."; }
      else if (!KINDS.test(f.name) && !/^(image\/(jpeg|png)|application\/pdf)$/.test(f.type)) {
        errors.attachments = "Tệp “" + f.name + "” không phải ảnh JPEG, PNG hoặc tệp PDF.";
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
    $(panel, "[data-receipt]").textContent = receipt;
    panel.setAttribute("data-receipt-shown", "");
    clearSummary();
    form.reset();
    // The next report written on this page is a different report: it needs its own id.
    form.elements.submission_id.value = randomId();
    form.hidden = true;
    form.parentNode.insertBefore(panel, form);
    panel.focus();
  }

  function enhanceTipForm(form) {
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
      showFieldError(form, name, checkTip(form)[name]);
    }
    form.addEventListener("focusout", fieldCheck);
    form.addEventListener("change", fieldCheck);
    form.addEventListener("input", fieldCheck);

    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      var errors;
      try { errors = checkTip(form); } catch (e) { return; } // let the plain post happen
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
      if (progress) { progress.hidden = false; bar.value = 0; label.textContent = ""; }
      if (xhr.upload) {
        xhr.upload.onprogress = function (e) {
          if (!e.lengthComputable || !bar) { return; }
          var pct = Math.round(e.loaded * 100 / e.total);
          bar.value = pct;
          label.textContent = pct + "%";
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
      try { xhr.send(new FormData(form)); } catch (e) { sending = false; form.submit(); }
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
      if (result.messages.length) {
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
