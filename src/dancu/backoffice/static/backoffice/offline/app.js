/* dancu offline workspace: IndexedDB + WebCrypto, plain JS, no dependencies.
 *
 * Stored on the device (IndexedDB "dancu-offline"):
 *   meta/device   the enrolled device: id, its ECDSA P-256 key pair (private key non-extractable), unused numbers
 *   meta/aes      the working set's AES-GCM key (non-extractable) and when it expires
 *   meta/ws       the working set, encrypted (iv, ct)
 *   meta/rules    the shared field rules (procedures.offline.rules on the server)
 *   outbox/*      each record: client id, number, kind, state, and (encrypted) its signed body and signature
 * Field rules: the schema the server checks uploads with; checkFields() below interprets it the same way.
 */
(function () {
  "use strict";
  const main = document.getElementById("main");
  const T = JSON.parse(document.getElementById("offline-strings").textContent);
  const lang = document.documentElement.lang === "en" ? "en" : "vi";
  const urls = main.dataset;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let db, device, aes, people = {}, households = {}, rules, csrf = "", wsSequence = 0;

  function fmt(text, params) {
    return text.replace(/%\((\w+)\)s/g, (_, k) => String(params[k]));
  }
  function notice(text, kind) {
    const box = document.getElementById("notice");
    box.className = "alert alert-" + (kind || "info");
    box.textContent = text;
    box.hidden = false;
  }
  function b64(buf) {
    let s = "";
    new Uint8Array(buf).forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s);
  }
  function unb64(text) {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  // --- IndexedDB ------------------------------------------------------------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("dancu-offline", 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("meta", { keyPath: "k" });
        req.result.createObjectStore("outbox", { keyPath: "client_id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  function tx(store, mode, fn) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = fn(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const get = (store, key) => tx(store, "readonly", (s) => s.get(key));
  const put = (store, value) => tx(store, "readwrite", (s) => s.put(value));
  const all = (store) => tx(store, "readonly", (s) => s.getAll());

  // --- crypto ---------------------------------------------------------------------------------------------------
  async function encrypt(value) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes.key, enc.encode(JSON.stringify(value)));
    return { iv, ct };
  }
  async function decrypt(box) {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv }, aes.key, box.ct);
    return JSON.parse(dec.decode(plain));
  }
  function keyUsable() {
    return aes && aes.expires_at > Date.now();
  }

  // --- server -----------------------------------------------------------------------------------------------------
  async function call(url, body, method) {
    const headers = { "X-CSRFToken": csrf, "Content-Type": "application/json" };
    if (device) headers["X-Dancu-Device"] = device.id;
    const response = await fetch(url, {
      method: method || "POST", headers, credentials: "same-origin", body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, data };
  }
  async function session() {
    const r = await fetch(urls.session, { credentials: "same-origin" });
    const data = await r.json();
    if (!data.signed_in) throw new Error(T.sign_in);
    csrf = data.csrf;
  }

  async function enrol() {
    if (!navigator.onLine) return notice(T.need_online, "warning");
    await session();
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
    const label = document.getElementById("device-label").value;
    const r = await call(urls.enrol, { public_key: b64(spki), label });
    if (r.status !== 201) return notice(r.data.message || r.data.code, "danger");
    device = { k: "device", id: r.data.device, keys: pair, numbers: r.data.numbers };
    await put("meta", device);
    notice(T.enrolled_ok, "success");
    await download();
  }

  async function renewKey() {
    const r = await call(urls.key, {});
    if (r.status !== 200) throw new Error(r.data.message || r.data.code);
    const key = await crypto.subtle.importKey("raw", unb64(r.data.key), "AES-GCM", false, ["encrypt", "decrypt"]);
    aes = { k: "aes", key, expires_at: r.data.expires_at };
    await put("meta", aes);
  }

  async function download() {
    if (!navigator.onLine) return notice(T.need_online, "warning");
    await session();
    await renewKey();
    rules = await (await fetch(urls.rules, { credentials: "same-origin" })).json();
    await put("meta", { k: "rules", rules });
    const r = await call(urls.workingSet, {});
    if (r.status !== 200) return notice(r.data.message || r.data.code, "danger");
    const box = await encrypt(r.data);
    await put("meta", { k: "ws", iv: box.iv, ct: box.ct, commune: r.data.commune.name });
    if (device.numbers.length < 10) await moreNumbers();
    await load();
    notice(fmt(T.downloaded, { count: Object.keys(people).length }), "success");
  }

  async function moreNumbers() {
    const r = await call(urls.numbers, {});
    if (r.status === 201) {
      device.numbers = device.numbers.concat(r.data.numbers);
      await put("meta", device);
    }
  }

  // --- the shared rules -------------------------------------------------------------------------------------------
  function checkFields(kind, values, today) {
    const schema = rules.kinds[kind];
    const errors = {};
    const NAME = /^[\p{L}\p{M}]+(?:[ '\-][\p{L}\p{M}]+)*$/u;
    for (const f of schema.fields) {
      const value = typeof values[f.name] === "string" ? values[f.name].trim() : values[f.name];
      if (value === undefined || value === null || value === "") {
        if (f.required) errors[f.name] = "field_required";
        continue;
      }
      if (f.max_length !== undefined && value.length > f.max_length) errors[f.name] = "too_long";
      else if (f.format === "name" && !NAME.test(value.split(/\s+/).join(" "))) errors[f.name] = "name_invalid";
      else if (f.type === "sex" && value !== "M" && value !== "F") errors[f.name] = "sex_invalid";
      else if (f.type === "commune" && !/^\d{5}$/.test(value)) errors[f.name] = "commune_invalid";
      else if (f.type === "date") {
        const code = checkDate(f, value, today);
        if (code) errors[f.name] = code;
      } else if (f.type === "person") {
        const p = /^\d{12}$/.test(value) ? people[value] : undefined;
        if (!p) errors[f.name] = "person_not_in_working_set";
        else if (f.sex && p.sex !== f.sex) errors[f.name] = "person_sex_mismatch";
        else if (p.status === "deceased") errors[f.name] = "person_deceased";
      }
    }
    if (schema.one_of.length && !schema.one_of.some((n) => values[n])) {
      if (!errors[schema.one_of[0]]) errors[schema.one_of[0]] = "one_required";
    }
    return errors;
  }
  function days(a, b) {
    return Math.round((Date.parse(a) - Date.parse(b)) / 86400000);
  }
  function checkDate(f, value, today) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return "date_invalid";
    const d = new Date(value + "T00:00:00Z");
    if (isNaN(d) || d.toISOString().slice(0, 10) !== value) return "date_invalid";
    if (f.not_future && value > today) return "date_in_future";
    if (f.max_days_ago !== undefined && days(today, value) > f.max_days_ago) return "date_too_old";
    if (f.min_days_ahead !== undefined && days(value, today) < f.min_days_ahead) return "date_too_early";
    if (f.max_days_ahead !== undefined && days(value, today) > f.max_days_ahead) return "date_too_late";
    return "";
  }
  function localToday() {
    const d = new Date();
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  // --- the form ---------------------------------------------------------------------------------------------------
  function drawKinds() {
    const select = document.getElementById("kind");
    select.textContent = "";
    if (!rules) return;
    for (const [kind, spec] of Object.entries(rules.kinds)) {
      const option = new Option(lang === "en" ? spec.name_en : spec.name_vi, kind);
      select.append(option);
    }
    drawFields();
  }
  function drawFields() {
    const box = document.getElementById("fields");
    box.textContent = "";
    const kind = document.getElementById("kind").value;
    if (!kind) return;
    for (const f of rules.kinds[kind].fields) {
      const wrap = document.createElement("div");
      wrap.className = "mb-3";
      const label = document.createElement("label");
      label.className = "form-label";
      label.htmlFor = "f-" + f.name;
      label.textContent = (lang === "en" ? f.label_en : f.label_vi) + (f.required ? " *" : "");
      let input;
      if (f.type === "sex") {
        input = document.createElement("select");
        input.className = "form-select";
        input.append(new Option(T.choose, ""), new Option(T.male, "M"), new Option(T.female, "F"));
      } else {
        input = document.createElement("input");
        input.className = "form-control";
        input.type = f.type === "date" ? "date" : "text";
        if (f.type === "person") input.inputMode = "numeric";
      }
      input.id = "f-" + f.name;
      input.name = f.name;
      if (f.type === "commune" && device && device.commune) input.value = device.commune;
      const hint = document.createElement("div");
      hint.className = "form-text";
      hint.id = "f-" + f.name + "-hint";
      input.setAttribute("aria-describedby", hint.id);
      if (f.type === "person") {
        input.addEventListener("input", () => {
          const p = people[input.value.replace(/\D/g, "")];
          hint.textContent = p ? p.full_name + " · " + p.birth_date : "";
        });
      }
      const error = document.createElement("div");
      error.className = "invalid-feedback";
      error.id = "f-" + f.name + "-error";
      wrap.append(label, input, hint, error);
      box.append(wrap);
    }
  }
  function showErrors(errors) {
    const summary = document.getElementById("error-summary");
    const list = summary.querySelector("ul");
    list.textContent = "";
    for (const el of document.querySelectorAll("#fields .is-invalid")) el.classList.remove("is-invalid");
    for (const el of document.querySelectorAll("#fields .invalid-feedback")) el.textContent = "";
    const names = Object.keys(errors);
    summary.hidden = names.length === 0;
    for (const name of names) {
      const text = rules.messages[errors[name]] || errors[name];
      const input = document.getElementById("f-" + name);
      input.classList.add("is-invalid");
      document.getElementById("f-" + name + "-error").textContent = T.error_prefix + " " + text;
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#f-" + name;
      link.textContent = text;
      item.append(link);
      list.append(item);
    }
    if (names.length) summary.focus();
  }

  function baseOf(kind, values) {
    const spec = { birth: ["mother", "father"], death: ["deceased"], temporary_residence: ["person"] }[kind];
    for (const name of spec) {
      const p = people[values[name]];
      if (p && households[p.household]) {
        const h = households[p.household];
        return { household: { number: h.number, since: wsSequence,
          members: h.members.map((m) => ({ pin: m.pin, full_name: m.full_name, status: m.status })) } };
      }
    }
    return {};
  }
  function summaryOf(kind, values) {
    if (kind === "birth") return values.child_full_name || "";
    const p = people[values.deceased || values.person];
    return p ? p.full_name : "";
  }

  async function save(event) {
    event.preventDefault();
    if (!keyUsable()) return notice(T.key_expired, "warning");
    const kind = document.getElementById("kind").value;
    const values = {};
    for (const f of rules.kinds[kind].fields) {
      const v = document.getElementById("f-" + f.name).value.trim();
      values[f.name] = f.type === "person" ? v.replace(/\D/g, "") : v;
    }
    const today = localToday();
    const errors = checkFields(kind, values, today);
    showErrors(errors);
    if (Object.keys(errors).length) return;
    if (!device.numbers.length) return notice(T.no_numbers, "warning");
    const number = device.numbers[0];
    const body = JSON.stringify({
      v: 1, client_id: crypto.randomUUID(), device: device.id, number, kind, fields: values,
      base: baseOf(kind, values), recorded_on: today, signed_at: new Date().toISOString(),
    });
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, device.keys.privateKey, enc.encode(body));
    const parsed = JSON.parse(body);
    const box = await encrypt({ body, signature: b64(sig), summary: summaryOf(kind, values) });
    await put("outbox", { client_id: parsed.client_id, number, kind, state: "pending", code: "",
      created_at: Date.now(), iv: box.iv, ct: box.ct });
    device.numbers = device.numbers.slice(1);
    await put("meta", device);
    document.getElementById("record").reset();
    drawFields();
    notice(fmt(T.saved, { number }), "success");
    await drawOutbox();
    drawDevice();
  }

  // --- outbox and sync --------------------------------------------------------------------------------------------
  async function drawOutbox() {
    const body = document.querySelector("#outbox tbody");
    const query = document.getElementById("outbox-search").value.trim().toLowerCase();
    const rows = (await all("outbox")).sort((a, b) => a.created_at - b.created_at);
    body.textContent = "";
    for (const row of rows) {
      let summary = "";
      if (keyUsable()) summary = (await decrypt(row)).summary;
      const kindName = rules ? (lang === "en" ? rules.kinds[row.kind].name_en : rules.kinds[row.kind].name_vi) : row.kind;
      const state = (T[row.state] || row.state) + (row.code ? " (" + row.code + ")" : "");
      const text = [row.number, kindName, summary, state, row.state].join(" ").toLowerCase();
      if (query && !text.includes(query)) continue;
      const tr = document.createElement("tr");
      tr.dataset.state = row.state;
      tr.dataset.number = row.number;
      for (const value of [row.number, kindName, summary, state]) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  async function sync() {
    if (!navigator.onLine) return notice(T.need_online, "warning");
    try {
      await session();
      if (!keyUsable()) await renewKey();
    } catch (e) {
      return notice(e.message || T.sign_in, "warning");
    }
    const rows = (await all("outbox")).filter((r) => r.state === "pending").sort((a, b) => a.created_at - b.created_at);
    let sent = 0;
    for (const row of rows) {
      const { body, signature } = await decrypt(row);
      let r;
      try {
        r = await call(urls.sync, { device: device.id, body, signature });
      } catch (e) {
        await drawOutbox();
        return notice(T.sync_cut, "warning");
      }
      const outcome = r.status === 200 ? r.data : r.data.code === "offline_replay" ? r.data.outcome : null;
      if (outcome) {
        row.state = outcome.state;
        row.code = outcome.code || "";
      } else {
        row.state = "rejected";
        row.code = r.data.code || String(r.status);
      }
      await put("outbox", row);
      sent += 1;
      if (row.code === "device_revoked" || row.code === "device_not_yours") break;
    }
    const left = (await all("outbox")).filter((r) => r.state === "pending").length;
    await drawOutbox();
    notice(fmt(T.sync_done, { sent, left }), "success");
  }

  // --- start --------------------------------------------------------------------------------------------------------
  function drawNetwork() {
    document.getElementById("network").textContent = navigator.onLine ? T.online : T.offline;
  }
  function drawDevice() {
    const state = document.getElementById("device-state");
    const lines = [];
    if (!device) lines.push(T.not_enrolled);
    else lines.push(fmt(T.enrolled, { id: device.id.slice(0, 8), count: device.numbers.length }));
    if (device && !aes) lines.push(T.no_working_set);
    else if (device && !keyUsable()) lines.push(T.key_expired);
    else if (device) lines.push(fmt(T.key_valid, { commune: device.commune_name || "", until: new Date(aes.expires_at).toLocaleString(lang) }));
    state.textContent = lines.join(" ");
    document.getElementById("enrol").hidden = Boolean(device);
    document.getElementById("device-label").hidden = Boolean(device);
    document.getElementById("download").hidden = !device;
    document.getElementById("sync").hidden = !device;
  }

  async function load() {
    device = await get("meta", "device");
    aes = await get("meta", "aes");
    const stored = await get("meta", "rules");
    rules = stored ? stored.rules : null;
    if (aes && aes.expires_at <= Date.now()) {
      await tx("meta", "readwrite", (s) => s.delete("aes")); // expired: unreadable until the next sign-in
      aes = null;
    }
    people = {};
    households = {};
    const ws = await get("meta", "ws");
    if (ws && keyUsable()) {
      const data = await decrypt(ws);
      device.commune = data.commune.code;
      device.commune_name = data.commune.name;
      wsSequence = data.sequence;
      for (const h of data.households) {
        households[h.number] = h;
        for (const m of h.members) people[m.pin] = { ...m, household: h.number };
      }
    }
    drawKinds();
    drawDevice();
    await drawOutbox();
  }

  async function cacheShell() {
    if (!("caches" in window)) return;
    // The shell itself: never a redirect (a signed-out session would otherwise cache the sign-in page in its place).
    const assets = [new Request(location.pathname, { redirect: "error", credentials: "same-origin" })];
    for (const el of document.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]")) {
      assets.push(el.getAttribute("href") || el.getAttribute("src"));
    }
    const cache = await caches.open("dancu-offline-v1");
    await cache.addAll(assets);
  }

  async function start() {
    drawNetwork();
    window.addEventListener("online", drawNetwork);
    window.addEventListener("offline", drawNetwork);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(urls.sw, { scope: urls.scope }).catch(() => {});
    }
    if (navigator.onLine) cacheShell().catch(() => {});
    db = await openDb();
    await load();
    const guard = (fn) => (e) => fn(e).catch((err) => notice(err.message || String(err), "danger"));
    document.getElementById("enrol").addEventListener("click", guard(enrol));
    document.getElementById("download").addEventListener("click", guard(download));
    document.getElementById("sync").addEventListener("click", guard(sync));
    document.getElementById("kind").addEventListener("change", drawFields);
    document.getElementById("record").addEventListener("submit", guard(save));
    document.getElementById("outbox-search").addEventListener("input", () => drawOutbox());
    main.dataset.ready = "1";
  }
  start().catch((err) => notice(err.message || String(err), "danger"));
})();
