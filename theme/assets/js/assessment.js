/* Self-assessment form (/tu-danh-gia/): running total, threshold and what is still missing.
 * The form works fully without this script; it only shows the sums early and stops a send that
 * would surely be refused (empty or invalid scores, files too large) before it costs a 3G upload. */
(function () {
  "use strict";
  var form = document.getElementById("tu-danh-gia");
  if (!form) return;
  var summary = document.getElementById("tong-ket");
  var totalEl = summary.querySelector("[data-total]");
  var thresholdEl = summary.querySelector("[data-threshold-text]");
  var missingEl = summary.querySelector("[data-missing]");
  var commune = form.querySelector("#commune");
  var template = form.querySelector("#template");
  var criteria = Array.prototype.slice.call(form.querySelectorAll(".bvte-criterion"));
  var maxFile = parseInt(form.getAttribute("data-max-file"), 10) || 0;
  var maxTotal = parseInt(form.getAttribute("data-max-total"), 10) || 0;
  var noZero = form.getAttribute("data-no-zero") === "true";

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
    criteria.forEach(function (box) {
      var n = box.querySelector("legend").textContent.split(".")[0].replace("Tiêu chí ", "");
      var input = box.querySelector(".bvte-score");
      var max = box.getAttribute("data-max");
      var raw = input.value.trim();
      if (fromSheet) return;
      if (raw === "") { blocking.push("Tiêu chí " + n + ": chưa nhập điểm."); return; }
      if (!/^\d+$/.test(raw)) { blocking.push("Tiêu chí " + n + ": điểm phải là số nguyên không âm."); return; }
      var value = parseInt(raw, 10);
      if (max && value > parseInt(max, 10)) { blocking.push("Tiêu chí " + n + ": vượt điểm tối đa " + max + "."); return; }
      total += value;
      if (value === 0 && noZero) notes.push("Tiêu chí " + n + " đang 0 điểm: không tiêu chí nào được 0 điểm.");
    });
    var option = commune.options[commune.selectedIndex];
    var threshold = option ? parseInt(option.getAttribute("data-threshold"), 10) : NaN;
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
        if (maxFile && f.size > maxFile) blocking.push("Tệp “" + f.name + "” lớn hơn " + mb(maxFile) + ".");
      });
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

  form.addEventListener("input", check);
  form.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    var blocking = check();
    if (blocking.length) {
      event.preventDefault();
      summary.setAttribute("tabindex", "-1");
      summary.focus();
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Đang gửi…";
    // Re-enable if the page is shown again from the back/forward cache.
    window.addEventListener("pageshow", function () { button.disabled = false; button.textContent = "Gửi bản tự đánh giá"; }, { once: true });
  });
  var alertBox = document.getElementById("loi-bieu-mau");
  if (alertBox) alertBox.focus();
  check();
})();
