// The tenantry operator console: plain JavaScript, no dependencies, nothing inline (strict CSP).
// The operator's token lives in this tab's sessionStorage and goes only in the Authorization
// header of same-origin requests; it is never put in a URL, the DOM or the console log.
"use strict";

const TOKEN_KEY = "tenantry.console.token";
const REFRESH_MS = 5000;
const PAGE_SIZE = 50;
const STATUSES = ["NotStarted", "Running", "Succeeded", "Failed", "Canceled"];

const state = {
  offset: 0,
  filter: "",
  tenant: null,
  pending: null,
  timer: null,
  painted: false,
  generation: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function count(value) {
  return value === null || value === undefined ? "\u2014" : String(value);
}

function when(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

class Refused extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
  const response = await fetch(path, { ...(options || {}), headers, cache: "no-store" });
  if (response.status === 401 || response.status === 403) {
    let detail = "";
    try {
      detail = (await response.json()).detail || "";
    } catch (ignored) {
      detail = "";
    }
    throw new Refused(response.status, detail);
  }
  if (!response.ok) throw new Error(path.split("?")[0] + " answered " + response.status);
  return response.status === 204 ? null : response.json();
}

function showSignIn(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(state.timer);
  state.timer = null;
  $("console").hidden = true;
  $("session").hidden = true;
  $("totals").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message || "";
}

function chart(lastHour) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 144, height = 28, gap = 2;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const totals = lastHour.totals;
  svg.setAttribute(
    "aria-label",
    STATUSES.map((s) => `${s} ${totals[s] || 0}`).join(", ") + " in the last hour",
  );
  const background = document.createElementNS(ns, "rect");
  background.setAttribute("class", "chart-bg");
  background.setAttribute("width", width);
  background.setAttribute("height", height);
  svg.appendChild(background);
  const peak = Math.max(1, ...lastHour.buckets.map((b) => b.reduce((a, n) => a + n, 0)));
  const barWidth = width / lastHour.buckets.length - gap;
  lastHour.buckets.forEach((bucket, i) => {
    let y = height;
    bucket.forEach((n, s) => {
      if (!n) return;
      const h = Math.max(1, (n / peak) * height);
      y -= h;
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", i * (barWidth + gap));
      rect.setAttribute("y", y);
      rect.setAttribute("width", barWidth);
      rect.setAttribute("height", h);
      rect.setAttribute("class", "s-" + lastHour.statuses[s]);
      const title = document.createElementNS(ns, "title");
      title.textContent = `${n} ${lastHour.statuses[s]}`;
      rect.appendChild(title);
      svg.appendChild(rect);
    });
  });
  return svg;
}

function renderTotals(queues) {
  const totals = $("totals");
  totals.replaceChildren();
  for (const [queue, counts] of Object.entries(queues)) {
    totals.append(el("dt", `${queue} queued / scheduled / dead`));
    totals.append(
      el("dd", `${count(counts.active)} / ${count(counts.scheduled)} / ${count(counts.deadLettered)}`,
        { "data-queue": queue }),
    );
  }
  totals.hidden = false;
}

function renderTenants(overview) {
  renderTotals(overview.queues);
  const rows = overview.tenants.map((tenant) => {
    const row = el("tr", null, { "data-tenant": tenant.id });
    if (tenant.id === state.tenant) row.classList.add("selected");
    const name = el("td");
    name.append(el("strong", tenant.id), " ", el("span", tenant.displayName, { class: "muted" }));
    const dead = tenant.commands.deadLettered + tenant.webhooks.deadLettered;
    const jobs = Object.values(tenant.lastHour.totals).reduce((a, n) => a + n, 0);
    const graph = el("td");
    graph.append(chart(tenant.lastHour));
    row.append(
      name,
      el("td", count(tenant.commands.active), { class: "n", "data-count": "queued" }),
      el("td", count(tenant.commands.scheduled), { class: "n", "data-count": "scheduled" }),
      el("td", dead, { class: dead ? "n warn" : "n", "data-count": "dead-lettered" }),
      el("td", count(tenant.webhooks.active), { class: "n", "data-count": "webhooks" }),
      graph,
      el("td", jobs, { class: "n", "data-count": "jobs" }),
    );
    row.addEventListener("click", () => selectTenant(tenant.id));
    return row;
  });
  $("tenant-rows").replaceChildren(...rows);
  const last = Math.min(overview.offset + overview.tenants.length, overview.matching);
  $("page-info").textContent = overview.matching
    ? `${overview.offset + 1}\u2013${last} of ${overview.matching}` +
      (overview.matching < overview.tenantCount ? ` (of ${overview.tenantCount})` : "")
    : "no tenant matches";
  $("prev").disabled = overview.offset === 0;
  $("next").disabled = last >= overview.matching;
  $("refreshed").textContent = "refreshed " + when(overview.at);
}

function renderDeadLetters(letters) {
  // A dead letter never changes, so its row is kept across refreshes: a button under the
  // operator's pointer is not swapped for a new one while they click it.
  const kept = new Map(
    [...$("deadletter-rows").children].map((row) => [row.dataset.deadletter, row]),
  );
  const rows = letters.map((dead) => {
    if (kept.has(dead.id)) return kept.get(dead.id);
    const row = el("tr", null, { "data-deadletter": dead.id });
    const actions = el("td");
    const replay = el("button", "Replay", { type: "button", "data-action": "replay" });
    replay.addEventListener("click", () => ask("replay", dead));
    const purge = el("button", "Purge", { type: "button", "data-action": "purge" });
    purge.addEventListener("click", () => ask("purge", dead));
    actions.append(replay, purge);
    row.append(
      el("td", dead.id),
      el("td", dead.tenantId),
      el("td", dead.type || dead.queue),
      el("td", dead.reason),
      el("td", dead.description),
      el("td", when(dead.deadLetteredTime)),
      actions,
    );
    return row;
  });
  $("deadletter-rows").replaceChildren(...rows);
  $("deadletters-empty").hidden = letters.length > 0;
  $("deadletters-scope").textContent = state.tenant ? `of ${state.tenant}` : "of every tenant";
  $("all-tenants").hidden = !state.tenant;
}

function renderAudit(entries) {
  $("audit-rows").replaceChildren(
    ...entries.map((entry) => {
      const row = el("tr");
      row.append(
        el("td", new Date(entry.at).toLocaleString()),
        el("td", entry.actor),
        el("td", entry.action),
        el("td", entry.tenant_id || ""),
        el("td", entry.count, { class: "n" }),
        el("td", (entry.message_ids || []).join(", ")),
      );
      return row;
    }),
  );
}

function renderWebhooks(endpoints) {
  $("webhooks-tenant").textContent = state.tenant;
  $("webhook-rows").replaceChildren(
    ...endpoints.map((endpoint) => {
      const last = endpoint.lastDelivery;
      const row = el("tr", null, { "data-endpoint": endpoint.id });
      const lastText = last
        ? `${last.status} ${last.eventType} ${when(last.at)}` +
          (last.statusCode ? ` (HTTP ${last.statusCode})` : "") + (last.error ? ` ${last.error}` : "")
        : "none yet";
      row.append(
        el("td", endpoint.id),
        el("td", endpoint.url),
        el("td", endpoint.status + (endpoint.disabledReason ? `: ${endpoint.disabledReason}` : "")),
        el("td", lastText),
        el("td", `${endpoint.recentFailures} of ${endpoint.recentDeliveries}`, {
          class: endpoint.recentFailures ? "n warn" : "n",
        }),
      );
      return row;
    }),
  );
  $("webhooks-empty").hidden = endpoints.length > 0;
  $("webhooks").hidden = false;
}

function ask(action, dead) {
  const what =
    action === "replay"
      ? `Replay ${dead.id}: a copy of this ${dead.type || "message"} of tenant ${dead.tenantId} ` +
        `goes back to the ${dead.queue} queue to run again, the dead letter is removed, ` +
        "and the audit log records it under your name."
      : `Purge ${dead.id}: this ${dead.type || "message"} of tenant ${dead.tenantId} is deleted ` +
        "for good and will not run; the audit log records it under your name.";
  state.pending = { action, id: dead.id };
  $("confirm-text").textContent = what;
  $("confirm").hidden = false;
  document.querySelector('#confirm [data-action="confirm"]').focus();
}

async function confirmPending() {
  const pending = state.pending;
  state.pending = null;
  $("confirm").hidden = true;
  if (!pending) return;
  const path = "/api/deadletters/" + encodeURIComponent(pending.id);
  try {
    if (pending.action === "replay") await api(path + "/replay", { method: "POST" });
    else await api(path, { method: "DELETE" });
    $("notice").textContent = `${pending.action === "replay" ? "Replayed" : "Purged"} ${pending.id}.`;
  } catch (error) {
    handle(error);
  }
  await refresh();
}

function handle(error) {
  if (error instanceof Refused) {
    showSignIn(
      error.status === 403
        ? `Refused (403): ${error.detail || "this token is not an operator's."}`
        : `Refused (401): ${error.detail || "the token is not valid."} Sign in again.`,
    );
  } else {
    $("notice").textContent = String(error.message || error);
  }
}

async function refresh() {
  if (state.pending) return;
  // Only the newest refresh draws: an older answer arriving late (a timer's, racing a click on
  // Next or on a tenant) never overwrites what the operator asked for since.
  const generation = ++state.generation;
  const query = new URLSearchParams({ offset: state.offset, limit: PAGE_SIZE, q: state.filter });
  const dead = new URLSearchParams({ limit: 100 });
  if (state.tenant) dead.set("tenant", state.tenant);
  try {
    const [overview, letters, audit, hooks] = await Promise.all([
      api("/api/overview?" + query),
      api("/api/deadletters?" + dead),
      api("/api/audit?limit=20"),
      state.tenant ? api(`/api/tenants/${encodeURIComponent(state.tenant)}/webhooks`) : null,
    ]);
    if (generation !== state.generation) return;
    $("signin").hidden = true;
    $("console").hidden = false;
    $("session").hidden = false;
    renderTenants(overview);
    renderDeadLetters(letters);
    renderAudit(audit);
    if (hooks) renderWebhooks(hooks);
    else $("webhooks").hidden = true;
    if (!state.painted) {
      state.painted = true;
      document.documentElement.dataset.painted = String(performance.now());
    }
  } catch (error) {
    handle(error);
  }
}

function selectTenant(id) {
  state.tenant = state.tenant === id ? null : id;
  refresh();
}

function start() {
  refresh();
  clearInterval(state.timer);
  state.timer = setInterval(refresh, REFRESH_MS);
}

function legend() {
  $("legend").replaceChildren(
    ...STATUSES.flatMap((s) => [el("i", null, { class: "s-" + s }), document.createTextNode(s)]),
  );
}

document.addEventListener("DOMContentLoaded", () => {
  legend();
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = event.target.elements.token;
    const token = field.value.trim();
    field.value = "";
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("signin-error").textContent = "";
    start();
  });
  $("sign-out").addEventListener("click", () => showSignIn(""));
  $("prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    refresh();
  });
  $("next").addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    refresh();
  });
  let typing = null;
  document.querySelector("input[name=filter]").addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.filter = event.target.value.trim();
      state.offset = 0;
      refresh();
    }, 250);
  });
  $("all-tenants").addEventListener("click", () => selectTenant(state.tenant));
  document.querySelector('#confirm [data-action="confirm"]').addEventListener("click", confirmPending);
  document.querySelector('#confirm [data-action="cancel"]').addEventListener("click", () => {
    state.pending = null;
    $("confirm").hidden = true;
  });
  if (sessionStorage.getItem(TOKEN_KEY)) start();
});
