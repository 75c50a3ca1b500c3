// EstateDesk dashboard: a Telegram Mini App and a desktop page. No build step, no CDN.
"use strict";
(function () {
  const page = document.body.dataset.page;
  const state = { me: null, pages: {}, timer: null, ticket: null, busy: false };

  // ----- who we are: Telegram's initData (Mini App) or the session cookie (desktop) -------
  function fromHash(name) {
    const hash = new URLSearchParams(location.hash.slice(1));
    return hash.get(name);
  }
  const tg = window.Telegram && window.Telegram.WebApp;
  let initData = (tg && tg.initData) || fromHash("tgWebAppData") || "";
  if (initData) sessionStorage.setItem("tgWebAppData", initData);
  else initData = sessionStorage.getItem("tgWebAppData") || "";
  let theme = (tg && tg.themeParams) || null;
  const rawTheme = fromHash("tgWebAppThemeParams");
  if (!theme && rawTheme) { try { theme = JSON.parse(rawTheme); } catch (e) { theme = null; } }
  if (theme) {
    sessionStorage.setItem("tgTheme", JSON.stringify(theme));
  } else {
    try { theme = JSON.parse(sessionStorage.getItem("tgTheme") || "null"); } catch (e) { theme = null; }
  }
  if (theme) {
    for (const [key, value] of Object.entries(theme)) {
      if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(String(value))) {
        document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
      }
    }
  }
  if (tg && tg.ready) tg.ready();

  function t(key, params) {
    let text = (state.me && state.me.texts[key]) || key;
    for (const [k, v] of Object.entries(params || {})) text = text.split("{" + k + "}").join(v);
    return text;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }
  function flash(message, error) {
    const box = document.getElementById("flash");
    box.textContent = message;
    box.className = "flash" + (error ? " error" : "");
    box.hidden = !message;
  }
  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    if (initData) opts.headers["Authorization"] = "tma " + initData;
    if (state.me && state.me.csrf) opts.headers["X-CSRF-Token"] = state.me.csrf;
    opts.credentials = "same-origin";
    const response = await fetch(path, opts);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const err = new Error((body && body.message) || response.statusText);
      err.status = response.status;
      err.code = body && body.error;
      throw err;
    }
    return body;
  }
  function left(seconds) {
    if (seconds === null || seconds === undefined) return "";
    const minutes = Math.round(Math.abs(seconds) / 60);
    const span = minutes >= 120 ? Math.round(minutes / 60) + " h" : minutes + " min";
    return seconds < 0 ? t("web.overdue_by", { span: span }) : t("web.time_left", { span: span });
  }

  // ----- the board -------------------------------------------------------------------------
  function filterArgs() {
    const args = new URLSearchParams();
    const form = document.getElementById("filters");
    for (const field of form.elements) {
      if (!field.name) continue;
      if (field.type === "checkbox") { if (field.checked) args.set(field.name, "1"); }
      else if (field.value) args.set(field.name, field.value.trim());
    }
    return args;
  }
  function buildFilters() {
    const form = document.getElementById("filters");
    const changed = () => { state.pages = {}; refreshBoard(); };
    const select = (name, items, label) => el("select", { name: name, "aria-label": label, onchange: changed },
      el("option", { value: "", text: label }), ...items.map(i => el("option", { value: i.id, text: i.name })));
    form.append(
      el("input", { type: "search", name: "q", placeholder: t("web.search"), "aria-label": t("web.search"), oninput: debounce(changed) }),
      select("estate", state.me.estates, t("field.estate")),
      select("department", state.me.departments, t("web.department")),
      select("category", state.me.categories, t("field.category")),
      select("urgency", state.me.urgencies, t("field.urgency")),
      select("assignee", [{ id: "none", name: t("web.unassigned") }, ...state.me.staff], t("web.assignee")),
      el("label", {}, el("input", { type: "checkbox", name: "overdue", onchange: changed }), " " + t("web.overdue")),
    );
    if (!state.me.manages) form.hidden = true;
    form.addEventListener("submit", e => { e.preventDefault(); changed(); });
  }
  let pending = null;
  function debounce(fn) { return () => { clearTimeout(pending); pending = setTimeout(fn, 300); }; }
  function card(item) {
    const due = item.seconds_left !== null
      ? el("div", { class: "due" + (item.overdue ? " late" : ""), text: item.due_label + " · " + left(item.seconds_left) })
      : null;
    return el("a", { class: "card" + (item.overdue ? " overdue" : ""), href: "/ticket/" + encodeURIComponent(item.number), "data-number": item.number },
      el("div", { class: "num", text: item.number + " · " + item.urgency_label }),
      el("div", { text: item.category }),
      el("div", { class: "meta", text: item.location }),
      el("div", { class: "meta assignee", text: item.assignee || t("web.unassigned") }),
      due);
  }
  async function refreshBoard() {
    try {
      const data = await api("/api/board?" + filterArgs().toString());
      const board = document.getElementById("board");
      const columns = [];
      for (const column of data.columns) {
        const list = el("div", { class: "items" }, ...column.items.map(card));
        const extra = state.pages[column.id] || [];
        extra.forEach(item => list.append(card(item)));
        const shown = column.items.length + extra.length;
        const more = shown < column.total
          ? el("button", { class: "more", type: "button", onclick: () => more_(column.id, shown), text: t("web.more") })
          : null;
        columns.push(el("section", { class: "column", id: "col-" + column.id, "data-total": column.total },
          el("h2", {}, el("span", { text: column.label }), el("span", { class: "count", text: String(column.total) })), list, more));
      }
      board.replaceChildren(...columns);
      flash("");
    } catch (e) { flash(e.message, true); if (e.status === 401 || e.status === 403) stop(); }
  }
  async function more_(column, shown) {
    const args = filterArgs();
    args.set("column", column);
    args.set("per_page", "20");
    args.set("page", String(Math.floor(shown / 20) + 1));
    const data = await api("/api/tickets?" + args.toString());
    state.pages[column] = (state.pages[column] || []).concat(data.items);
    refreshBoard();
  }
  function stop() { clearInterval(state.timer); }

  // ----- a ticket --------------------------------------------------------------------------
  async function loadTicket() {
    const number = document.body.dataset.number;
    try {
      const ticket = await api("/api/tickets/" + encodeURIComponent(number));
      if (!state.ticket || state.ticket.version !== ticket.version) renderTicket(ticket);
      state.ticket = ticket;
    } catch (e) { flash(e.message, true); if (e.status === 401 || e.status === 403 || e.status === 404) stop(); }
  }
  function renderTicket(ticket) {
    const box = document.getElementById("ticket");
    const fields = [
      [t("field.status"), ticket.status_label],
      [t("field.category"), ticket.category],
      [t("field.location"), ticket.location],
      [t("field.urgency"), ticket.urgency_label],
      [t("web.department"), ticket.department_label],
      [t("web.assignee"), ticket.assignee || t("web.unassigned")],
      [t("field.description"), ticket.description],
      [t("field.created"), ticket.created],
      [t("field.accept_due"), ticket.accept_due + (["new", "assigned"].includes(ticket.status) ? " · " + left(ticket.accept_left) : "")],
      [t("field.resolve_due"), ticket.resolve_due + (ticket.status === "accepted" && !ticket.paused ? " · " + left(ticket.resolve_left) : "")],
    ];
    if (ticket.paused_since) fields.push([t("web.paused_since"), ticket.paused_since]);
    if (ticket.resolution_note) fields.push([t("field.result"), ticket.resolution_note]);
    const dl = el("dl", {});
    fields.forEach(([k, v]) => dl.append(el("dt", { text: k }), el("dd", { text: v, "data-field": k })));
    const photos = el("div", { class: "photos" });
    ticket.photos.forEach(async (url, i) => {
      const img = el("img", { alt: t("field.photos") + " " + (i + 1) });
      photos.append(img);
      try {
        const response = await fetch(url, { headers: initData ? { Authorization: "tma " + initData } : {}, credentials: "same-origin" });
        if (response.ok) img.src = URL.createObjectURL(await response.blob());
      } catch (e) { /* a missing photo leaves its frame empty */ }
    });
    const timeline = el("ol", { class: "timeline" }, ...ticket.timeline.map(ev => el("li", {},
      el("span", { text: ev.at + " " + ev.label + (ev.by ? " · " + ev.by : "") + (ev.text ? ": " + ev.text : "") }),
      ev.via_dashboard ? el("span", { class: "via", text: t("web.via_dashboard") }) : null)));
    const surveys = ticket.surveys.map(s => el("p", { class: "survey", text: t("web.survey", { status: s.status, rating: s.rating === null ? "–" : s.rating, due: s.due }) + (s.followup_status ? " · " + t("web.followup", { status: s.followup_status }) : "") }));
    box.replaceChildren(
      el("p", {}, el("a", { href: "/board", text: "← " + t("web.board") })),
      el("h1", { text: ticket.number }), dl,
      ticket.photos.length ? el("h2", { text: t("field.photos") }) : null, photos,
      el("h2", { text: t("web.timeline") }), timeline, ...surveys,
      actions(ticket));
  }
  function actions(ticket) {
    if (!ticket.actions.length) return null;
    const panel = el("section", { class: "actions", "aria-label": t("web.actions") });
    const text = el("textarea", { name: "text", rows: "2", maxlength: "2000", placeholder: t("web.text_placeholder"), "aria-label": t("web.text_placeholder") });
    const button = (name, label, extra) => el("button", { type: "button", "data-action": name, onclick: () => send(ticket, name, extra ? extra() : {}, text), text: label });
    const simple = el("div", { class: "row" });
    const labels = { accept: t("card.btn_accept"), start: t("card.btn_start"), pause: t("card.btn_pause"), resume: t("card.btn_resume") };
    for (const name of ["accept", "start", "pause", "resume"]) if (ticket.actions.includes(name)) simple.append(button(name, labels[name]));
    panel.append(simple, text);
    const withText = el("div", { class: "row" });
    const textLabels = { note: t("card.btn_note"), resolve: t("card.btn_resolve"), reopen: t("survey.btn_reopen"), called_back: t("survey.btn_called") };
    for (const name of ["note", "resolve", "reopen", "called_back"]) if (ticket.actions.includes(name)) withText.append(button(name, textLabels[name]));
    panel.append(withText);
    if (ticket.actions.includes("transfer")) {
      const target = el("select", { name: "target", "aria-label": t("web.transfer_to") },
        el("option", { value: "", text: t("web.transfer_to") }),
        ...ticket.targets.staff.map(p => el("option", { value: "s:" + p.id, text: "👤 " + p.name })),
        ...ticket.targets.departments.map(d => el("option", { value: "d:" + d.id, text: "➡ " + d.name })));
      panel.append(el("div", { class: "row" }, target, button("transfer", t("card.btn_transfer"), () => {
        const [kind, id] = target.value.split(":");
        return kind === "s" ? { to: Number(id) } : kind === "d" ? { department: id } : {};
      })));
    }
    return panel;
  }
  async function send(ticket, action, extra, text) {
    if (state.busy) return;
    state.busy = true;
    try {
      const body = Object.assign({ action: action, version: ticket.version, text: text.value }, extra);
      const result = await api("/api/tickets/" + encodeURIComponent(ticket.number) + "/actions", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.ticket = result.ticket;
      renderTicket(result.ticket);
      flash(result.message);
    } catch (e) {
      flash(e.message, true);
      if (e.code === "changed") { state.ticket = null; loadTicket(); }
    } finally { state.busy = false; }
  }

  // ----- reports ---------------------------------------------------------------------------
  function buildPeriod() {
    const form = document.getElementById("period");
    const choice = el("select", { name: "period", "aria-label": t("web.period") },
      ...["day", "yesterday", "week", "last-week", "month", "last-month"].map(p => el("option", { value: p, text: t("web.period." + p) })));
    choice.value = "week";
    const from = el("input", { type: "date", name: "from", "aria-label": t("web.from") });
    const to = el("input", { type: "date", name: "to", "aria-label": t("web.to") });
    form.append(choice, from, to, el("button", { type: "submit", text: t("web.show") }));
    form.addEventListener("submit", e => { e.preventDefault(); loadReport(); });
  }
  function periodSpec() {
    const form = document.getElementById("period");
    const from = form.elements.from.value, to = form.elements.to.value;
    if (from && to) return from + ".." + to;
    return form.elements.period.value;
  }
  async function authorizedImage(url, alt) {
    const img = el("img", { alt: alt, class: "chart" });
    try {
      const response = await fetch(url, { headers: initData ? { Authorization: "tma " + initData } : {}, credentials: "same-origin" });
      if (response.ok) img.src = URL.createObjectURL(await response.blob());
    } catch (e) { /* the chart's frame stays empty */ }
    return img;
  }
  async function download(format) {
    const url = "/api/reports/export?format=" + format + "&period=" + encodeURIComponent(periodSpec());
    const response = await fetch(url, { headers: initData ? { Authorization: "tma " + initData } : {}, credentials: "same-origin" });
    if (!response.ok) { flash(t("web.download_failed"), true); return; }
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "estatedesk-" + periodSpec() + (format === "csv" ? ".zip" : ".xlsx") });
    document.body.append(link); link.click(); link.remove();
  }
  async function loadReport() {
    const box = document.getElementById("report");
    try {
      const spec = encodeURIComponent(periodSpec());
      const data = await api("/api/reports?period=" + spec);
      const charts = el("div", { class: "charts" });
      box.replaceChildren(
        el("div", { class: "row" },
          el("button", { type: "button", "data-download": "xlsx", onclick: () => download("xlsx"), text: t("web.download_xlsx") }),
          el("button", { type: "button", "data-download": "csv", onclick: () => download("csv"), text: t("web.download_csv") })),
        el("pre", { class: "figures", text: data.lines.join("\n") }), charts);
      for (const name of data.charts) charts.append(await authorizedImage("/api/reports/charts/" + name + "?period=" + spec, name));
      flash("");
    } catch (e) { flash(e.message, true); }
  }

  // ----- duty ------------------------------------------------------------------------------
  async function loadDuty() {
    const box = document.getElementById("duty");
    try {
      const data = await api("/api/duty");
      const table = el("table", { class: "duty-table" },
        el("tr", {}, el("th", { text: t("web.department") }), el("th", { text: t("field.estate") }),
          el("th", { text: t("web.on_duty_now") }), el("th", { text: t("web.next_days") })),
        ...data.rows.map(r => el("tr", {}, el("td", { text: r.department }), el("td", { text: r.estate }),
          el("td", { class: "now", text: r.now.join(", ") || "–" }),
          el("td", { class: "later", text: r.later.map(l => l.at.slice(5) + " " + (l.staff.join(", ") || "–")).join(" · ") }))));
      const people = el("ul", { class: "people" }, ...data.people.map(p => el("li", { "data-person": p.id },
        el("span", { text: p.name + " · " + (p.on ? t("web.duty_on") : t("web.duty_off")) + " " }),
        data.admin ? el("button", { type: "button", onclick: () => setDuty(p.id, !p.on), text: p.on ? t("web.set_off") : t("web.set_on") }) : null)));
      box.replaceChildren(el("h1", { text: t("web.duty") }), table, el("h2", { text: t("web.people") }), people);
    } catch (e) { flash(e.message, true); }
  }
  async function setDuty(id, on) {
    try {
      await api("/api/duty", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ telegram_id: id, on: on }) });
      await loadDuty();
    } catch (e) { flash(e.message, true); }
  }

  // ----- notices (supervisors and admins) ----------------------------------------------------
  async function loadNotices() {
    try {
      const data = await api("/api/notices");
      document.getElementById("notice-recent").textContent = data.recent;
      document.getElementById("notice-hint").textContent = data.hint;
      const box = document.getElementById("notice-preview");
      box.querySelector("[data-notice=send]").textContent = data.send;
      box.querySelector("[data-notice=cancel]").textContent = data.cancel;
    } catch (e) { flash(e.message, true); }
  }
  async function previewNotice(event) {
    event.preventDefault();
    const box = document.getElementById("notice-preview");
    const form = document.querySelector("#notice-form textarea").value;
    try {
      const data = await api("/api/notices", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ form: form }) });
      box.dataset.id = data.id;
      box.querySelector("pre").textContent = data.preview;
      box.hidden = false;
      flash("");
    } catch (e) { box.hidden = true; flash(e.message, true); }
  }
  async function decideNotice(action) {
    const box = document.getElementById("notice-preview");
    try {
      const data = await api("/api/notices/" + encodeURIComponent(box.dataset.id || "0") + "/" + action, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      box.hidden = true;
      flash(data.message);
      await loadNotices();
    } catch (e) { flash(e.message, true); }
  }

  // ----- start -----------------------------------------------------------------------------
  async function start() {
    try {
      state.me = await api("/api/me");
    } catch (e) { flash(e.message, true); return; }
    document.documentElement.lang = state.me.lang;
    document.getElementById("who").textContent = state.me.name;
    const reports = document.getElementById("nav-reports"), duty = document.getElementById("nav-duty");
    reports.textContent = t("web.reports"); reports.hidden = !state.me.manages;
    duty.textContent = t("web.duty"); duty.hidden = false;
    const notices = document.getElementById("nav-notices");
    notices.textContent = t("web.notices"); notices.hidden = !state.me.manages;
    document.getElementById("nav-incidents").textContent = t("web.incidents.title");
    const every = 1000 * state.me.refresh_seconds;
    if (page === "board") {
      buildFilters();
      await refreshBoard();
      state.timer = setInterval(refreshBoard, every);
    } else if (page === "ticket") {
      await loadTicket();
      state.timer = setInterval(loadTicket, every);
    } else if (page === "reports") {
      buildPeriod();
      await loadReport();
    } else if (page === "duty") {
      await loadDuty();
    } else if (page === "notices") {
      document.getElementById("notices-title").textContent = t("web.notices");
      document.getElementById("notice-check").textContent = t("web.notice_check");
      document.getElementById("notice-form").addEventListener("submit", previewNotice);
      for (const b of document.querySelectorAll("[data-notice]")) b.addEventListener("click", () => decideNotice(b.dataset.notice));
      await loadNotices();
      state.timer = setInterval(loadNotices, every);
    } else if (page === "incidents" && window.EstateDeskIncidents) {
      await window.EstateDeskIncidents.start({ api: api, el: el, t: t, flash: flash });
    }
  }
  if (["board", "ticket", "reports", "duty", "notices", "incidents"].includes(page)) start();
})();
