// EstateDesk dashboard: the Incidents page (open incidents, declare, new ETA, all-clear).
// app.js signs in and hands over its helpers; every write carries the version it saw.
"use strict";
window.EstateDeskIncidents = (function () {
  let h = null; // { api, el, t, flash }
  let texts = {};
  let choices = { estates: [], categories: [] };

  function t(key, params) {
    let text = texts[key] || h.t(key, params);
    for (const [k, v] of Object.entries(params || {})) text = text.split("{" + k + "}").join(v);
    return text;
  }
  async function post(path, body) {
    return h.api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }
  async function run(path, body) {
    try {
      const answer = await post(path, body);
      h.flash(answer.message, false);
      await load();
    } catch (e) { h.flash(e.message, true); }
  }

  function field(labelKey, input) {
    return h.el("label", { class: "field" }, h.el("span", { text: t(labelKey) }), input);
  }

  function incidentCard(item) {
    const el = h.el;
    const eta = el("input", { type: "datetime-local", name: "eta" });
    const note = el("input", { type: "text", name: "note", maxlength: "1000" });
    const clear = el("textarea", { name: "all_clear", maxlength: "1000", rows: "2" });
    const linked = el("ul", { class: "linked" });
    for (const ticket of item.linked) {
      linked.append(el("li", {}, el("a", { href: "/ticket/" + ticket.number, text: ticket.number }),
        " " + t("status." + ticket.status)));
    }
    return el("article", { class: "incident", "data-id": String(item.id) },
      el("h2", { text: "#" + item.id + " " + item.headline }),
      el("p", { class: "meta", text: item.scope + " · " + item.category + " · " +
        t("web.incidents.started", { start: item.started }) + " · " + t("web.incidents.eta") + ": " +
        (item.eta || t("web.incidents.eta_unknown")) }),
      item.note ? el("p", { class: "note", text: "📝 " + item.note }) : null,
      el("p", { class: "counts", text: t("web.incidents.linked", { count: item.linked_total }) +
        " · " + t("web.incidents.subscribers", { count: item.subscribers }) }),
      linked,
      el("div", { class: "actions" },
        el("div", { class: "row" }, field("web.incidents.eta", eta), field("web.incidents.note", note),
          el("button", { type: "button", "data-action": "eta", onclick: () =>
            run("/api/incidents/" + item.id + "/actions",
              { action: "eta", version: item.version, eta: eta.value, note: note.value }),
          text: t("web.incidents.update") })),
        el("div", { class: "row" }, field("web.incidents.all_clear_text", clear),
          el("button", { type: "button", "data-action": "all_clear", onclick: () =>
            run("/api/incidents/" + item.id + "/actions",
              { action: "all_clear", version: item.version, text: clear.value }),
          text: t("web.incidents.all_clear") }))));
  }

  function declareForm() {
    const el = h.el;
    const form = el("form", { id: "declare", class: "actions", autocomplete: "off" });
    if (!choices.estates.length) {
      form.append(el("p", { text: t("web.incidents.no_patch") }));
      return form;
    }
    const estate = el("select", { name: "estate" });
    for (const e of choices.estates) estate.append(el("option", { value: e.id, text: e.name }));
    const buildings = el("fieldset", { class: "buildings" });
    const category = el("select", { name: "category" });
    const whole = el("input", { type: "checkbox", name: "whole" });
    const common = el("input", { type: "checkbox", name: "common_areas" });
    function fill() {
      const chosen = choices.estates.find((e) => e.id === estate.value) || choices.estates[0];
      buildings.replaceChildren(el("label", {}, whole, " " + t("web.incidents.whole")));
      for (const b of chosen.buildings) {
        buildings.append(el("label", {}, el("input", { type: "checkbox", name: "building", value: b.id }),
          " " + b.name));
      }
      buildings.append(el("label", {}, common, " " + t("web.incidents.common")));
      category.replaceChildren();
      for (const c of choices.categories) {
        if (chosen.categories.includes(c.id)) category.append(el("option", { value: c.id, text: c.name }));
      }
    }
    estate.addEventListener("change", fill);
    fill();
    const text = el("input", { type: "text", name: "text", maxlength: "1000", required: true });
    const eta = el("input", { type: "datetime-local", name: "eta" });
    form.append(el("h2", { text: t("web.incidents.declare") }),
      field("web.incidents.estate", estate), buildings, field("web.incidents.category", category),
      field("web.incidents.text", text), field("web.incidents.eta", eta),
      el("button", { type: "submit", "data-action": "declare", text: t("web.incidents.declare") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = [...buildings.querySelectorAll("input[name=building]:checked")].map((b) => b.value);
      run("/api/incidents", { estate: estate.value, buildings: picked, whole: whole.checked,
        common_areas: common.checked, category: category.value, text: text.value, eta: eta.value });
    });
    return form;
  }

  async function load() {
    const box = document.getElementById("incidents");
    try {
      const answer = await h.api("/api/incidents");
      texts = answer.texts;
      choices = answer.choices;
      const list = h.el("div", { class: "incident-list" });
      for (const item of answer.incidents) list.append(incidentCard(item));
      if (!answer.incidents.length) list.append(h.el("p", { class: "empty", text: t("web.incidents.none") }));
      box.replaceChildren(h.el("h1", { text: t("web.incidents.title") }), list, declareForm());
    } catch (e) { h.flash(e.message, true); }
  }

  return {
    start: async function (helpers) {
      h = helpers;
      await load();
    },
  };
})();
