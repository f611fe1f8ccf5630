// Passkeys (WebAuthn) for the citizen portal: buttons carry data-passkey="register" or "login" and the URLs.
// No framework, no inline script (the CSP allows scripts from this site only).
(function () {
  "use strict";
  function toBytes(b64url) {
    var s = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); });
  }
  function show(button, text) {
    var target = document.getElementById(button.dataset.status || "passkey-status");
    if (target) { target.textContent = text; target.hidden = false; }
  }
  function credentialJSON(cred) {
    var r = cred.response, out = {id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || null, response: {clientDataJSON: toB64url(r.clientDataJSON)}};
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      out.response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return out;
  }
  function register(button) {
    var csrf = button.dataset.csrf;
    post(button.dataset.optionsUrl, csrf).then(function (res) {
      var o = res.data;
      o.challenge = toBytes(o.challenge);
      o.user.id = toBytes(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({publicKey: o});
    }).then(function (cred) {
      var nameInput = document.getElementById("passkey-name");
      return post(button.dataset.url, csrf, {credential: credentialJSON(cred), name: nameInput ? nameInput.value : ""});
    }).then(function (res) {
      if (res.ok) { window.location.assign(res.data.next); } else { show(button, res.data.message); }
    }).catch(function (err) { show(button, button.dataset.failed + " (" + err.name + ")"); });
  }
  function login(button) {
    var csrf = button.dataset.csrf;
    post(button.dataset.optionsUrl, csrf).then(function (res) {
      if (!res.ok) throw new Error(res.data.message);
      var o = res.data;
      o.challenge = toBytes(o.challenge);
      (o.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({publicKey: o});
    }).then(function (cred) {
      return post(button.dataset.url + "?next=" + encodeURIComponent(button.dataset.next || ""), csrf, {credential: credentialJSON(cred)});
    }).then(function (res) {
      if (res.ok) { window.location.assign(res.data.next); } else { show(button, res.data.message); }
    }).catch(function (err) { show(button, button.dataset.failed + " (" + err.name + ")"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey]").forEach(function (button) {
      if (!window.PublicKeyCredential) { button.disabled = true; return; }
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (button.dataset.passkey === "register") register(button); else login(button);
      });
    });
  });
})();
