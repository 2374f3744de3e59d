// The chat page: asks the page server what this person sees, sends what they do.
(function () {
"use strict";

const { el, mrkdwn, renderBlocks, plainText, emojify } = window.Blocks;
const $ = (id) => document.getElementById(id);

const ui = {
  user: localStorage.getItem("sandbox.user") || "",
  tab: "channel",
  thread: null, // {where: "channel" | "dm", ts}
  state: null,
  modalKey: null, // id and hash of the modal on screen
  toastSeen: {}, // user -> key of the last private reply shown
  toastTimer: null,
  follow: null, // {user, since}: open the next thread the bot starts after a command
  fetching: false,
  again: false,
};

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: response.statusText }));
  if (!response.ok && answer.error) showToast(answer.error, true);
  return answer;
}

async function refresh() {
  if (ui.fetching) { ui.again = true; return; }
  ui.fetching = true;
  try {
    do {
      ui.again = false;
      const response = await fetch("/page/state?user=" + encodeURIComponent(ui.user));
      if (response.ok) render(await response.json());
    } while (ui.again);
  } catch (error) {
    console.warn("refresh failed", error);
  } finally {
    ui.fetching = false;
  }
}

// -- rendering ---------------------------------------------------------------------------------

function time(ts) {
  const date = new Date(parseFloat(ts) * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function messageNode(message, where, channelId, names, inThread) {
  const state = ui.state;
  const act = (item) => api("/page/action", {
    user: ui.user, channel: channelId, message_ts: message.ts, action_id: item.action_id,
    value: item.value, ephemeral_key: message.key || null,
  });
  const body = message.blocks && message.blocks.length
    ? renderBlocks(message.blocks, names, act)
    : mrkdwn(message.text, names);
  const node = el("div", {
    class: "message" + (message.ephemeral ? " ephemeral" : ""),
    dataset: { ts: message.ts },
  },
  el("div", { class: "avatar", "aria-hidden": "true" }, "IB"),
  el("div", { class: "message-main" },
    el("div", { class: "message-meta" },
      el("span", { class: "author" }, state.bot_name),
      el("span", { class: "app-tag" }, "APP"),
      el("time", {}, time(message.ts)),
      message.edited ? el("span", { class: "edited" }, "(edited)") : null),
    message.ephemeral ? el("div", { class: "only-you" }, "Only visible to you") : null,
    body,
    message.files.map((file) => el("a", {
      class: "file-link", href: file.url, target: "_blank", rel: "noopener",
      dataset: { fileId: file.id },
    }, el("span", { class: "file-icon" }, "PDF"),
    el("span", { class: "file-name" }, file.title || file.name))),
    !inThread && message.reply_count > 0
      ? el("button", { type: "button", class: "replies-link", dataset: { ts: message.ts } },
        `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`)
      : null));
  const link = node.querySelector(".replies-link");
  if (link) link.addEventListener("click", () => { ui.thread = { where, ts: message.ts }; renderThread(); });
  return node;
}

function renderMessages(container, conversation, where, names) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren(...conversation.messages.map(
    (m) => messageNode(m, where, conversation.id, names, false)));
  if (!conversation.messages.length) {
    container.append(el("div", { class: "empty" }, where === "dm"
      ? "No direct messages yet. Reminders land here."
      : "No messages yet. Type a slash command below."));
  }
  if (atBottom || !container.dataset.scrolled) {
    container.scrollTop = container.scrollHeight;
    container.dataset.scrolled = "1";
  }
}

function renderThread() {
  const pane = $("thread-pane");
  const state = ui.state;
  if (!ui.thread || !state) { pane.hidden = true; return; }
  const conversation = ui.thread.where === "dm" ? state.dm : state.channel;
  const parent = conversation.messages.find((m) => m.ts === ui.thread.ts);
  if (!parent) { pane.hidden = true; return; }
  const replies = conversation.threads[ui.thread.ts] || [];
  const list = $("thread-messages");
  list.replaceChildren(
    messageNode(parent, ui.thread.where, conversation.id, state.names, true),
    el("div", { class: "thread-count" }, `${replies.filter((r) => !r.ephemeral).length} replies`),
    ...replies.map((m) => messageNode(m, ui.thread.where, conversation.id, state.names, true)));
  pane.hidden = false;
  list.scrollTop = list.scrollHeight;
}

function renderIntro(state) {
  const intro = $("intro");
  intro.replaceChildren(el("p", {}, state.intro));
  const ids = [...new Set(state.intro.match(/\b[A-Z]-\d+\b/g) || [])];
  if (ids.length) {
    intro.append(el("div", { class: "chips" }, "Demo records: ", ids.map((id) => {
      const chip = el("button", { type: "button", class: "chip", title: `/invoice draft ${id}` }, id);
      chip.addEventListener("click", () => {
        $("composer-input").value = `/invoice draft ${id}`;
        $("composer-input").focus();
      });
      return chip;
    })));
  }
}

function renderPeople(state) {
  const select = $("user");
  if (select.options.length !== state.people.length) {
    select.replaceChildren(...state.people.map((p) => el("option", { value: p.id }, p.name)));
  }
  select.value = ui.user;
}

function render(state) {
  if (state.user !== ui.user) return; // an answer for the person before a switch
  ui.state = state;
  if (!ui.user) ui.user = state.user;
  renderPeople(state);
  renderIntro(state);
  $("channel-name").textContent = state.channel.name;
  renderMessages($("channel-messages"), state.channel, "channel", state.names);
  renderMessages($("dm-messages"), state.dm, "dm", state.names);
  const dmCount = state.dm.messages.filter((m) => !m.ephemeral).length;
  if (dmCount) $("tab-dms").dataset.count = String(dmCount);
  else delete $("tab-dms").dataset.count;
  followNewThread(state);
  $("remind-bar").hidden = !state.can_remind;
  renderHome(state);
  renderThread();
  renderModal(state.modal, state.names);
  renderToast(state);
}

// After a command, the first thread the bot starts in the channel opens beside it (a newcomer
// sees the draft, its PDF and the buttons without hunting for "2 replies").
function followNewThread(state) {
  if (!ui.follow || ui.follow.user !== state.user) return;
  const started = state.channel.messages.find(
    (m) => !m.ephemeral && m.reply_count > 0 && parseFloat(m.ts) >= ui.follow.since);
  if (!started) return;
  ui.follow = null;
  ui.thread = { where: "channel", ts: started.ts };
}

function renderHome(state) {
  const home = $("home-view");
  if (!state.home) {
    home.replaceChildren(el("div", { class: "empty" }, "Opening the App Home…"));
    return;
  }
  const act = (item) => api("/page/action", { user: ui.user, view_id: state.home.id, action_id: item.action_id });
  home.replaceChildren(renderBlocks(state.home.blocks, state.names, act));
}

function renderToast(state) {
  const toast = state.toast;
  const first = !(ui.user in ui.toastSeen);
  if (first) ui.toastSeen[ui.user] = toast ? toast.key : null; // what was there is old news
  if (first || !toast || ui.toastSeen[ui.user] === toast.key) return;
  ui.toastSeen[ui.user] = toast.key;
  const body = toast.blocks.length ? renderBlocks(toast.blocks, state.names, () => {}) : mrkdwn(toast.text, state.names);
  showToast(body);
}

function showToast(content, isError) {
  const node = $("toast");
  node.replaceChildren(
    el("div", { class: "only-you" }, isError ? "The page says" : "Only visible to you"),
    content instanceof Node ? content : el("div", {}, String(content)));
  node.classList.toggle("error", Boolean(isError));
  node.hidden = false;
  clearTimeout(ui.toastTimer);
  ui.toastTimer = setTimeout(() => { node.hidden = true; }, 12000);
}

// -- modals ------------------------------------------------------------------------------------

function inputBlock(block) {
  const element = block.element || {};
  const name = block.block_id || "";
  const id = "input-" + name;
  let control;
  if (element.type === "static_select") {
    control = el("select", { name, id },
      el("option", { value: "" }, plainText(element.placeholder) || "Choose…"),
      (element.options || []).map((o) => el("option", { value: o.value }, plainText(o.text))));
    if (element.initial_option) control.value = element.initial_option.value;
  } else if (element.type === "datepicker") {
    control = el("input", { type: "date", name, id, value: element.initial_date || "" });
  } else if (element.multiline) {
    control = el("textarea", { name, id, rows: 4, maxlength: element.max_length });
    control.value = element.initial_value || "";
  } else {
    control = el("input", { type: "text", name, id, maxlength: element.max_length });
    control.value = element.initial_value || "";
  }
  if (element.placeholder && control.tagName !== "SELECT") control.placeholder = plainText(element.placeholder);
  return el("div", { class: "input-block", dataset: { blockId: name } },
    el("label", { for: id }, plainText(block.label), block.optional ? el("span", { class: "optional" }, " (optional)") : null),
    control,
    block.hint ? el("div", { class: "hint" }, plainText(block.hint)) : null,
    el("p", { class: "field-error", hidden: true }));
}

function renderModal(modal, names) {
  const dialog = $("modal");
  if (!modal) {
    ui.modalKey = null;
    if (dialog.open) dialog.close();
    return;
  }
  const key = modal.id + ":" + modal.hash;
  if (ui.modalKey !== key) {
    ui.modalKey = key;
    $("modal-title").textContent = emojify(plainText(modal.title));
    $("modal-submit").textContent = plainText(modal.submit) || "Submit";
    $("modal-submit").hidden = !modal.submit;
    $("modal-cancel").textContent = plainText(modal.close) || "Cancel";
    const act = (item) => api("/page/action", { user: ui.user, view_id: modal.id, action_id: item.action_id });
    $("modal-body").replaceChildren(renderBlocks(modal.blocks, names, act, inputBlock));
    dialog.dataset.viewId = modal.id;
    if (!dialog.open) dialog.showModal();
  }
  showErrors(modal.errors || {});
}

function showErrors(errors) {
  for (const block of document.querySelectorAll("#modal .input-block")) {
    const message = errors[block.dataset.blockId];
    const node = block.querySelector(".field-error");
    node.textContent = message || "";
    node.hidden = !message;
  }
  const general = errors[""] || Object.entries(errors)
    .filter(([id]) => id && !document.querySelector(`#modal .input-block[data-block-id="${CSS.escape(id)}"]`))
    .map(([, m]) => m).join(" ");
  $("modal-error").textContent = general || "";
  $("modal-error").hidden = !general;
}

async function submitModal(event) {
  event.preventDefault();
  const dialog = $("modal");
  const values = {};
  for (const control of dialog.querySelectorAll(".input-block [name]")) values[control.name] = control.value;
  $("modal-submit").disabled = true;
  try {
    const answer = await api("/page/view", { user: ui.user, view_id: dialog.dataset.viewId, values });
    if (answer.errors) showErrors(answer.errors);
    if (answer.ok) { ui.modalKey = null; dialog.close(); }
  } finally {
    $("modal-submit").disabled = false;
    refresh();
  }
}

function closeModal() {
  const dialog = $("modal");
  const viewId = dialog.dataset.viewId;
  if (dialog.open) dialog.close();
  ui.modalKey = null;
  api("/page/close", { user: ui.user, view_id: viewId });
}

// -- wiring ------------------------------------------------------------------------------------

function showTab(tab) {
  ui.tab = tab;
  for (const button of document.querySelectorAll(".tab")) {
    button.classList.toggle("active", button.dataset.tab === tab);
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  $("channel-view").hidden = tab !== "channel";
  $("dms-view").hidden = tab !== "dms";
  $("home-wrap").hidden = tab !== "home";
  const name = ui.state ? ui.state.channel.name : "invoices";
  $("view-title").textContent = { channel: "# " + name, dms: "Direct messages from the bot", home: "App Home" }[tab];
  if (tab === "home") api("/page/home", { user: ui.user });
  if (ui.thread && ui.thread.where === "dm" && tab === "channel") { ui.thread = null; renderThread(); }
}

// A link to a message the bot posted: show its thread here rather than on slack.com.
window.Blocks.openPermalink = (channel, ts) => {
  const state = ui.state;
  if (!state) return;
  const where = channel === state.channel.id ? "channel" : "dm";
  const conversation = where === "dm" ? state.dm : state.channel;
  const parent = conversation.messages.find((m) => m.ts === ts)
    || conversation.messages.find((m) => (conversation.threads[m.ts] || []).some((r) => r.ts === ts));
  if (!parent) { showToast("That message is not in this sandbox.", true); return; }
  showTab(where === "dm" ? "dms" : "channel");
  ui.thread = { where, ts: parent.ts };
  renderThread();
};

function init() {
  const today = new Date();
  $("remind-date").value = today.toISOString().slice(0, 10);
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    ui.follow = { user: ui.user, since: Date.now() / 1000 - 1 };
    await api("/page/command", { user: ui.user, text });
  });
  $("user").addEventListener("change", (event) => {
    ui.user = event.target.value;
    localStorage.setItem("sandbox.user", ui.user);
    $("toast").hidden = true; // it was for the person before
    if (ui.thread && ui.thread.where === "dm") ui.thread = null;
    ui.modalKey = null;
    if (ui.tab === "home") api("/page/home", { user: ui.user });
    refresh();
  });
  for (const button of document.querySelectorAll(".tab")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  $("thread-close").addEventListener("click", () => { ui.thread = null; renderThread(); });
  $("remind-run").addEventListener("click", async () => {
    $("remind-summary").textContent = "Running…";
    const answer = await api("/page/remind", { date: $("remind-date").value });
    $("remind-summary").textContent = answer.ok ? answer.summary : (answer.error || "failed");
  });
  $("modal-form").addEventListener("submit", submitModal);
  $("modal-cancel").addEventListener("click", closeModal);
  $("modal-x").addEventListener("click", closeModal);
  $("modal").addEventListener("cancel", (event) => { event.preventDefault(); closeModal(); });
  $("toast").addEventListener("click", () => { $("toast").hidden = true; });
  const events = new EventSource("/page/events");
  events.onmessage = () => refresh();
  showTab("channel");
  fetch("/page/state").then((r) => r.json()).then((state) => {
    if (!state.people.some((p) => p.id === ui.user)) ui.user = state.user;
    refresh();
  });
}

document.addEventListener("DOMContentLoaded", init);
})();
