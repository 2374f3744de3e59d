// Block Kit and mrkdwn, rendered with DOM nodes only: every text from the app or a person
// becomes a text node, never HTML (no string is ever parsed as markup on the page).
(function () {
"use strict";

const EMOJI = {
  page_facing_up: "📄", white_check_mark: "✅", x: "❌", no_entry: "⛔", warning: "⚠️",
  alarm_clock: "⏰", rotating_light: "🚨", moneybag: "💰", bar_chart: "📊", wave: "👋",
  hourglass_flowing_sand: "⏳", hourglass: "⌛", memo: "📝", inbox_tray: "📥", bell: "🔔",
  heavy_check_mark: "✔️", information_source: "ℹ️", mag: "🔍", calendar: "📅", tada: "🎉",
  email: "📧", repeat: "🔁", zzz: "💤", receipt: "🧾", money_with_wings: "💸", clipboard: "📋",
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
}

// Text with placeholders \uE000n\uE001 standing for the line's <…> tokens (so *bold* may
// hold a link or a mention, as on Slack).
function textWithTokens(text, tokens, names, out) {
  text.split(/\uE000(\d+)\uE001/).forEach((part, i) => {
    if (i % 2 === 1) special(tokens[Number(part)], names, out);
    else if (part) out.append(unescapeSlack(part));
  });
}

// *bold*, _italic_, ~strike~, `code` in one line.
function inline(text, tokens, names, out) {
  const pattern = /(`[^`\n]+`)|(\*[^*\n]+\*)|(_[^_\n]+_)|(~[^~\n]+~)/;
  let rest = text;
  while (rest) {
    const match = pattern.exec(rest);
    if (!match) { textWithTokens(rest, tokens, names, out); break; }
    if (match.index > 0) textWithTokens(rest.slice(0, match.index), tokens, names, out);
    const token = match[0];
    const inner = token.slice(1, -1);
    if (match[1]) {
      const code = el("code");
      textWithTokens(inner, tokens, names, code);
      out.append(code);
    } else {
      const node = el(match[2] ? "b" : match[3] ? "i" : "s");
      inline(inner, tokens, names, node);
      out.append(node);
    }
    rest = rest.slice(match.index + token.length);
  }
}

function safeHref(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

// A permalink to a message (https://…/archives/C…/p1700000000123456): the page opens it.
const PERMALINK = /\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})/;

// One <…> token: a mention, a channel, a special or a link.
function special(token, names, out) {
  const [target, label] = token.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    out.append(el("span", { class: "mention", dataset: { user: id } }, "@" + (names[id] || label || id)));
  } else if (target.startsWith("#")) {
    out.append(el("span", { class: "mention" }, "#" + (label || target.slice(1))));
  } else if (target.startsWith("!")) {
    out.append(el("span", { class: "mention" }, "@" + (label || target.slice(1).split("^")[0])));
  } else {
    const href = safeHref(unescapeSlack(target));
    const text = unescapeSlack(label || target);
    if (!href) { out.append(text); return; }
    const link = el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text);
    const permalink = PERMALINK.exec(href);
    if (permalink && window.Blocks.openPermalink) {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        window.Blocks.openPermalink(permalink[1], `${permalink[2]}.${permalink[3]}`);
      });
    }
    out.append(link);
  }
}

function mrkdwnLine(line, names, out) {
  const tokens = [];
  const clean = line.replace(/[\uE000\uE001]/g, ""); // the placeholders are ours alone
  const text = emojify(clean).replace(/<([^<>]+)>/g, (all, token) => {
    tokens.push(token);
    return `\uE000${tokens.length - 1}\uE001`;
  });
  inline(text, tokens, names, out);
}

// Slack's mrkdwn as a fragment: lines starting with ">" become a quote.
function mrkdwn(text, names) {
  const out = el("div", { class: "mrkdwn" });
  let quote = null;
  String(text || "").split("\n").forEach((line, i, lines) => {
    const quoted = line.startsWith("&gt;") || line.startsWith(">");
    if (quoted) {
      if (!quote) { quote = el("blockquote"); out.append(quote); }
      else quote.append(el("br"));
      mrkdwnLine(line.replace(/^(&gt;|>)\s?/, ""), names, quote);
      return;
    }
    quote = null;
    mrkdwnLine(line, names, out);
    if (i < lines.length - 1 && !(lines[i + 1].startsWith("&gt;") || lines[i + 1].startsWith(">"))) {
      out.append(el("br"));
    }
  });
  return out;
}

function textObject(obj, names) {
  if (!obj) return el("span");
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, names);
  return el("div", { class: "plain" }, emojify(String(obj.text || "")));
}

function plainText(obj) {
  return obj && typeof obj.text === "string" ? obj.text : "";
}

// An interactive element: buttons are real buttons; `act(element)` sends the click.
function element(item, names, act) {
  if (item.type === "button") {
    const button = el("button", {
      type: "button",
      class: "btn" + (item.style ? " " + item.style : ""),
      dataset: { actionId: item.action_id || "", value: item.value || "" },
    }, plainText(item.text));
    if (item.url && safeHref(item.url)) {
      button.addEventListener("click", () => window.open(item.url, "_blank", "noopener"));
    } else {
      button.addEventListener("click", () => act(item, button));
    }
    return button;
  }
  if (item.type === "image") return el("span", { class: "image-alt" }, item.alt_text || "");
  if (item.type === "mrkdwn" || item.type === "plain_text") return textObject(item, names);
  return el("span", { class: "unsupported" }, "[" + (plainText(item.placeholder) || item.type) + "]");
}

// Blocks of a message or a view (`input` blocks are rendered by the modal code).
function renderBlocks(blocks, names, act, renderInput) {
  const out = el("div", { class: "blocks" });
  for (const block of blocks || []) {
    switch (block.type) {
      case "header":
        out.append(el("h3", { class: "block-header" }, emojify(plainText(block.text))));
        break;
      case "section": {
        const section = el("div", { class: "block-section" });
        const body = el("div", { class: "section-body" });
        if (block.text) body.append(textObject(block.text, names));
        if (block.fields) {
          body.append(el("div", { class: "fields" }, block.fields.map((f) => textObject(f, names))));
        }
        section.append(body);
        if (block.accessory) section.append(el("div", { class: "accessory" }, element(block.accessory, names, act)));
        out.append(section);
        break;
      }
      case "context":
        out.append(el("div", { class: "block-context" }, (block.elements || []).map((e) => element(e, names, act))));
        break;
      case "divider":
        out.append(el("hr", { class: "block-divider" }));
        break;
      case "actions":
        out.append(el("div", { class: "block-actions", dataset: { blockId: block.block_id || "" } },
          (block.elements || []).map((e) => element(e, names, act))));
        break;
      case "input":
        if (renderInput) out.append(renderInput(block));
        break;
      case "image":
        out.append(el("div", { class: "image-alt" }, block.alt_text || ""));
        break;
      default:
        if (block.text) out.append(textObject(block.text, names));
    }
  }
  return out;
}

window.Blocks = { el, mrkdwn, renderBlocks, plainText, emojify };
})();
