"use strict";
// The demo page: draws what /api/state says and sends what the trainee does to /api/*.
let T = {};
let openKey = new URLSearchParams(location.search).get("chat") || "owner1";
let replyTo = null;
let generation = null;
let last = null;
const $ = (id) => document.getElementById(id);

function t(key, params) {
  let text = T[key] || key;
  for (const [k, v] of Object.entries(params || {})) text = text.replace("{" + k + "}", v);
  return text;
}

async function post(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Demo": "1" },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) toast(answer.error || res.statusText);
  await refresh();
  return res.ok;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function acting() {
  const body = { persona: openKey };
  if (!$("as-box").hidden) body.as = $("as").value;
  return body;
}

function act(action, extra) {
  return post("/api/act", { ...acting(), action, ...extra });
}

// Bold/italic/code entities from Telegram's message, drawn without ever parsing HTML.
function richText(text, entities) {
  const frag = document.createDocumentFragment();
  const marks = (entities || []).filter((e) => ["bold", "italic", "code", "underline"].includes(e.type));
  let pos = 0;
  const units = text; // offsets are UTF-16 code units, as are JS string indexes
  for (const e of marks.sort((a, b) => a.offset - b.offset)) {
    if (e.offset < pos) continue;
    frag.append(units.slice(pos, e.offset));
    const tag = { bold: "b", italic: "i", code: "code", underline: "u" }[e.type];
    const el = document.createElement(tag);
    el.textContent = units.slice(e.offset, e.offset + e.length);
    frag.append(el);
    pos = e.offset + e.length;
  }
  frag.append(units.slice(pos));
  return frag;
}

function drawMessage(m, isGroup) {
  const box = document.createElement("div");
  box.className = "msg" + (m.bot ? "" : " me");
  box.dataset.id = m.id;
  if (isGroup || m.bot) {
    const who = document.createElement("div");
    who.className = "who";
    who.textContent = m.who;
    box.append(who);
  }
  if (m.reply) {
    const q = document.createElement("div");
    q.className = "quote";
    q.textContent = m.reply.text;
    box.append(q);
  }
  if (m.photo) {
    const img = document.createElement("img");
    img.src = "/api/file/" + encodeURIComponent(m.photo);
    img.alt = "photo";
    box.append(img);
  }
  if (m.sticker) {
    const s = document.createElement("div");
    s.className = "sticker";
    s.textContent = m.sticker;
    box.append(s);
  }
  if (m.contact) box.append("📱 " + m.contact);
  if (m.text) {
    const body = document.createElement("div");
    body.className = "text";
    body.append(richText(m.text, m.entities));
    box.append(body);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = (m.edited ? t("edited") + " · " : "") + m.time;
  box.append(meta);
  const rb = document.createElement("button");
  rb.className = "reply-btn";
  rb.title = t("reply");
  rb.textContent = "↩";
  rb.onclick = () => { replyTo = { id: m.id, text: m.text || "🖼" }; drawReplying(); $("text").focus(); };
  box.append(rb);
  const out = [box];
  if (m.buttons.length) {
    const kb = document.createElement("div");
    kb.className = "inline";
    kb.dataset.message = m.id;
    m.buttons.forEach((row, r) => {
      const line = document.createElement("div");
      line.className = "irow";
      row.forEach((label, c) => {
        const b = document.createElement("button");
        b.textContent = label;
        b.onclick = () => act("press", { message: m.id, row: r, col: c });
        line.append(b);
      });
      kb.append(line);
    });
    out.push(kb);
  }
  return out;
}

function drawReplying() {
  $("replying").hidden = !replyTo;
  if (replyTo) $("replying-text").textContent = t("replying_to", { text: replyTo.text.slice(0, 60) });
}

function drawChats(state) {
  const list = $("chats");
  list.replaceChildren();
  for (const p of state.personas) {
    const li = document.createElement("li");
    li.dataset.persona = p.key;
    if (p.key === openKey) li.className = "open";
    const name = document.createElement("strong");
    name.textContent = p.name;
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = t("role." + p.role);
    if (p.on_duty !== null) {
      const duty = document.createElement("span");
      duty.className = "duty";
      duty.textContent = p.on_duty ? " · " + t("on_duty") : "";
      role.append(duty);
    }
    const lastLine = document.createElement("span");
    lastLine.className = "last";
    lastLine.textContent = p.last;
    li.append(name, role, lastLine);
    li.onclick = () => { openKey = p.key; replyTo = null; drawReplying(); refresh(); };
    list.append(li);
  }
}

function drawChat(state) {
  const persona = state.personas.find((p) => p.key === openKey) || state.personas[0];
  openKey = persona.key;
  $("chat-title").textContent = persona.name;
  const isGroup = persona.role === "group";
  $("as-box").hidden = !isGroup;
  if (isGroup && !$("as").options.length) {
    for (const m of state.members) $("as").append(new Option(m.name, m.key));
  }
  $("scan").hidden = persona.role !== "owner";
  const chat = state.chat;
  const messages = chat ? chat.messages : [];
  const area = $("messages");
  const atBottom = area.scrollHeight - area.scrollTop - area.clientHeight < 60;
  area.replaceChildren(...messages.flatMap((m) => drawMessage(m, isGroup)));
  if (atBottom || last !== openKey) area.scrollTop = area.scrollHeight;
  last = openKey;
  $("start-box").hidden = isGroup || messages.length > 0;
  const kb = $("keyboard");
  kb.replaceChildren();
  for (const row of chat ? chat.keyboard : []) {
    const line = document.createElement("div");
    line.className = "krow";
    for (const b of row) {
      const btn = document.createElement("button");
      btn.textContent = b.text;
      if (b.contact) btn.className = "contact"; // shares the persona's own number
      btn.onclick = () => act("tap", { label: b.text });
      line.append(btn);
    }
    kb.append(line);
  }
}

function drawSide(state) {
  $("now").textContent = state.now;
  const steps = $("steps");
  steps.replaceChildren();
  for (const s of state.training) {
    const li = document.createElement("li");
    if (s.done) li.className = "done";
    li.dataset.done = s.done ? "1" : "0";
    const role = document.createElement("span");
    role.className = "srole";
    role.textContent = t("role_script." + s.role);
    li.append(role, s.text);
    steps.append(li);
  }
  const refused = $("refused");
  refused.hidden = !state.refused.length;
  refused.textContent = t("refused") + ":\n" + state.refused.join("\n");
  $("area-list").replaceChildren(...state.areas.map((a) => {
    const b = document.createElement("button");
    b.textContent = a.name;
    b.dataset.area = a.id;
    b.onclick = () => { $("scan-dialog").close(); act("scan", { area: a.id }); };
    return b;
  }));
  $("sample-list").replaceChildren(...state.samples.map((name) => {
    const img = document.createElement("img");
    img.src = "/api/sample/" + name;
    img.alt = name;
    img.dataset.sample = name;
    img.onclick = async () => {
      $("attach-dialog").close();
      if (await act("sample", { sample: name, caption: $("caption").value })) captionSent();
    };
    return img;
  }));
}

// Like Telegram's send-photo box: what was typed becomes the caption, and goes with the photo.
function openAttach() {
  $("caption").value = $("text").value;
  $("attach-dialog").showModal();
}

function captionSent() {
  if ($("text").value === $("caption").value) $("text").value = "";
  $("caption").value = "";
}

let pending = null;
async function refresh() {
  if (pending) return pending;
  pending = (async () => {
    try {
      const res = await fetch("/api/state?chat=" + encodeURIComponent(openKey));
      if (!res.ok) return;
      const state = await res.json();
      if (generation !== null && generation !== state.generation) replyTo = null;
      generation = state.generation;
      drawChats(state);
      drawChat(state);
      drawSide(state);
      drawReplying();
      document.body.dataset.ready = "1";
    } finally {
      pending = null;
    }
  })();
  return pending;
}

async function boot() {
  const answer = await (await fetch("/api/texts")).json();
  T = answer.texts;
  document.documentElement.lang = answer.lang;
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("sticker").title = t("sticker");
  $("composer").onsubmit = async (ev) => {
    ev.preventDefault();
    const text = $("text").value;
    const body = { text };
    if (replyTo) body.reply_to = replyTo.id;
    if (await act("text", body)) {
      $("text").value = "";
      replyTo = null;
      drawReplying();
    }
  };
  $("text").onkeydown = (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("composer").requestSubmit(); }
  };
  $("start").onclick = () => act("start");
  $("sticker").onclick = () => act("sticker");
  $("attach").onclick = openAttach;
  $("scan").onclick = () => $("scan-dialog").showModal();
  for (const d of document.querySelectorAll("dialog .close")) d.onclick = () => d.closest("dialog").close();
  $("reply-cancel").onclick = () => { replyTo = null; drawReplying(); };
  $("file").onchange = async () => {
    const file = $("file").files[0];
    if (!file) return;
    $("attach-dialog").close();
    const form = new FormData();
    for (const [k, v] of Object.entries(acting())) form.append(k, v);
    form.append("caption", $("caption").value);
    form.append("file", file);
    const res = await fetch("/api/photo", { method: "POST", body: form, headers: { "X-Demo": "1" } });
    if (!res.ok) toast((await res.json().catch(() => ({}))).error || res.statusText);
    else captionSent();
    $("file").value = "";
    refresh();
  };
  for (const b of document.querySelectorAll("[data-clock]")) {
    b.onclick = () => post("/api/clock", { minutes: Number(b.dataset.clock) });
  }
  $("reset").onclick = () => { if (confirm(t("reset_confirm"))) post("/api/reset", {}); };
  const events = new EventSource("/api/events");
  events.addEventListener("change", () => refresh());
  events.onopen = () => refresh();
  await refresh();
}

boot();
