// tinhhinh web: small enhancements only; every page works without this file.
// - the deadline countdown ticks (the server computed it, with its own clock);
// - "+ Thêm điểm nóng" adds a row in place instead of a round trip;
// - a report form is kept in localStorage while typed, and a report that could not be
//   sent (no network) is resent, with the same idempotency key, when the network is back.
(function () {
  "use strict";

  var PREFIX = "tinhhinh:draft:";
  var KEEP_MS = 14 * 24 * 3600 * 1000;  // an unsent draft older than two weeks is dropped
  var status = document.getElementById("draft-status");

  function say(text, link) {
    if (!status) return;
    status.textContent = text + (link ? " " : "");
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      status.appendChild(a);
    }
    status.hidden = false;
    status.scrollIntoView({ block: "nearest" });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(PREFIX + key);
      else {
        value.savedAt = Date.now();
        localStorage.setItem(PREFIX + key, JSON.stringify(value));
      }
    } catch (e) { /* storage full or disabled: the form still works */ }
  }

  function load(key) {
    try { return JSON.parse(localStorage.getItem(PREFIX + key) || "null"); } catch (e) { return null; }
  }

  // -- countdown -----------------------------------------------------------------------
  function countdown(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    var skew = Date.parse(el.getAttribute("data-now")) - Date.now();
    function tick() {
      var ms = deadline - (Date.now() + skew);
      var past = ms < 0;
      var minutes = Math.floor(Math.abs(ms) / 60000);
      var days = Math.floor(minutes / 1440);
      var hours = Math.floor((minutes % 1440) / 60);
      var mins = minutes % 60;
      var secs = Math.floor(Math.abs(ms) / 1000) % 60;
      el.textContent = (past ? "quá hạn " : "còn ") + (days ? days + " ngày " : "") +
        hours + " giờ " + mins + " phút" + (days ? "" : " " + secs + " giây");
    }
    tick();
    setInterval(tick, 1000);
  }

  // -- hot spot rows -------------------------------------------------------------------
  function addHotSpot(form) {
    var box = form.querySelector("[data-hot-spots]");
    var template = document.getElementById("hot-spot-template");
    if (!box || !template) return null;
    var index = box.querySelectorAll("[data-hot-spot]").length;
    if (index >= 20) return null;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__i__/g, String(index));
    var row = holder.firstElementChild;
    box.appendChild(row);
    return row;
  }

  // -- drafts --------------------------------------------------------------------------
  function fields(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var out = [];
    data.forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") out.push([name, value]);
    });
    return out;
  }

  function restore(form, saved) {
    var needed = 0;
    saved.fields.forEach(function (pair) {
      var m = /^hot_spots\[(\d+)\]/.exec(pair[0]);
      if (m) needed = Math.max(needed, Number(m[1]) + 1);
    });
    while (form.querySelectorAll("[data-hot-spot]").length < needed && addHotSpot(form)) { /* grow */ }
    var values = {};
    saved.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "submit" || el.type === "file") return;
      var got = values[el.name];
      if (el.type === "radio" || el.type === "checkbox") el.checked = !!got && got.indexOf(el.value) >= 0;
      else if (got) el.value = got[0];
    });
  }

  function send(saved) {
    var body = new URLSearchParams();
    saved.fields.forEach(function (pair) {
      if (pair[0] !== "intent" || pair[1] === "quick_stable") body.append(pair[0], pair[1]);
    });
    body.append("csrf_token", csrfToken());
    return fetch(saved.action, { method: "POST", body: body, credentials: "same-origin" });
  }

  function deliver(key, saved, here) {
    return send(saved).then(function (response) {
      if (response.redirected && /\/dang-nhap/.test(response.url)) {
        say("Báo cáo chưa gửi được vì phiên đăng nhập đã hết. Đăng nhập lại, báo cáo sẽ tự gửi.");
        return;
      }
      if (response.redirected && /\/bao-cao\/[0-9a-f-]{36}/.test(response.url)) {
        store(key, null);
        if (here) window.location.assign(response.url);
        else say("Đã gửi báo cáo lưu trên máy.", { href: response.url, text: "Xem báo cáo" });
        return;
      }
      // Refused (a field to fix, a stale form): show the server's answer in place.
      saved.pending = false;
      store(key, saved);
      if (here) {
        return response.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      }
      say("Báo cáo lưu trên máy chưa gửi được, cần mở lại để sửa.", { href: saved.page, text: "Mở báo cáo" });
    });
  }

  function retryPending() {
    if (!navigator.onLine) return;
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var name = localStorage.key(i);
      if (name && name.indexOf(PREFIX) === 0) keys.push(name.slice(PREFIX.length));
    }
    keys.forEach(function (key) {
      var saved = load(key);
      if (saved && !saved.pending && Date.now() - (saved.savedAt || 0) > KEEP_MS) {
        store(key, null);
      } else if (saved && saved.pending) {
        // On the very form that was sent, go on to its receipt as if it had just gone through.
        var here = !!document.querySelector('form[data-draft="' + key + '"]');
        deliver(key, saved, here).catch(function () { /* still offline: try again later */ });
      }
    });
  }

  function draftForm(form) {
    var key = form.getAttribute("data-draft");
    var action = new URL(form.getAttribute("action"), location.href).href;
    var saved = load(key);
    if (saved && form.hasAttribute("data-fresh")) {
      restore(form, saved);
      if (saved.pending) say("Báo cáo này đang chờ gửi lại khi có mạng.");
      else say("Đã khôi phục bản nháp chưa gửi trên máy này.");
    }
    function keep() {
      var current = load(key);
      store(key, { action: action, page: location.href, fields: fields(form), pending: !!(current && current.pending) });
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value === "add_hot_spot") {
        event.preventDefault();
        var row = addHotSpot(form);
        if (row) row.querySelector("input[type=text]").focus();
        return;
      }
      if (!window.fetch) return;
      event.preventDefault();
      var device = form.querySelector('input[name="device_time"]');
      if (device && !device.value) device.value = new Date().toISOString();
      var saved = { action: action, page: location.href, fields: fields(form, submitter), pending: true };
      store(key, saved);
      var buttons = form.querySelectorAll("button");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      function offline() {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        say("Chưa có mạng. Báo cáo đã được lưu trên máy và sẽ tự gửi lại khi có mạng — không cần nhập lại.");
      }
      if (!navigator.onLine) { offline(); return; }
      say("Đang gửi báo cáo…");
      deliver(key, saved, true).catch(offline);
    });
  }

  document.querySelectorAll("[data-countdown]").forEach(countdown);
  document.querySelectorAll("form[data-draft]").forEach(draftForm);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // A refused send replaces the document in place; the window keeps its first listeners.
  if (!window.tinhhinhRetrying) {
    window.tinhhinhRetrying = true;
    window.addEventListener("online", retryPending);
    setInterval(retryPending, 30000);
  }
  retryPending();
})();
