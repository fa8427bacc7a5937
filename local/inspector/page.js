// The inspector page: a live list over Server-Sent Events, a detail view, replay and redrive.
// Plain DOM; every value from a request is set as text, never as HTML.

const entries = new Map();
let selected;
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child ?? "");
  return node;
}

const time = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });
const shorten = (text, n = 60) => (text.length > n ? `${text.slice(0, n)}…` : text);
const asText = (value) => (typeof value === "string" ? value : JSON.stringify(value));

// The phone filter takes what a person types: +254…, 0711… (read by the server with the stack's
// default country, using the ingestion's normaliser), or a part of a number.
let phoneFilter = { raw: "", e164: null };
async function updatePhoneFilter() {
  const raw = $("filter-phone").value.trim();
  phoneFilter = { raw, e164: null };
  render();
  if (!raw) return;
  const { e164 } = await (await fetch(`/api/phone?q=${encodeURIComponent(raw)}`)).json();
  if ($("filter-phone").value.trim() !== raw) return;
  phoneFilter = { raw, e164 };
  render();
}

function matches(entry) {
  const route = $("filter-route").value;
  const type = $("filter-type").value;
  const phone = entry.phone ?? "";
  return (
    (!route || entry.route === route) &&
    (!type || entry.recordType === type) &&
    (!phoneFilter.raw ||
      (phoneFilter.e164 ? phone === phoneFilter.e164 : phone.includes(phoneFilter.raw)))
  );
}

function addOption(select, value) {
  if ([...select.options].some((o) => o.value === value)) return;
  select.append(el("option", { value, textContent: value }));
}

const outcomeText = (e) => e.outcome + (e.replayOf ? ` (replay of #${e.replayOf})` : "");

function render() {
  const rows = [...entries.values()].sort((a, b) => b.seq - a.seq).filter(matches);
  $("entries").replaceChildren(
    ...rows.map((e) => {
      const row = el(
        "tr",
        { className: e.seq === selected ? "selected" : "" },
        el("td", { textContent: time(e.receivedAt) }),
        el("td", { textContent: e.route }),
        el("td", { className: "summary", textContent: e.summary || "-", title: e.summary ?? "" }),
        el("td", {
          className: `outcome o-${e.outcome}`,
          textContent: outcomeText(e),
          title: [outcomeText(e), e.reason].filter(Boolean).join(": "),
        }),
        el("td", { textContent: e.maskedPhone ?? "-" }),
        el("td", { className: "wide", textContent: e.atId ?? "-", title: e.atId ?? "" }),
      );
      row.dataset.seq = String(e.seq);
      row.dataset.outcome = e.outcome;
      row.dataset.route = e.route;
      row.addEventListener("click", () => show(e.seq));
      return row;
    }),
  );
  $("empty").hidden = entries.size > 0;
  $("count").textContent = `${rows.length} of ${entries.size}`;
}

function put(entry) {
  const before = entries.get(entry.seq);
  entries.set(entry.seq, entry);
  addOption($("filter-route"), entry.route);
  addOption($("filter-type"), entry.recordType);
  render();
  // Re-show the selected request only when what it shows changed (not while editing it).
  if (entry.seq === selected && JSON.stringify(before) !== JSON.stringify(entry) && !editing)
    show(entry.seq);
}

const pre = (text, testid) => {
  const node = el("pre", { textContent: text });
  if (testid) node.dataset.testid = testid;
  return node;
};
const headerLines = (headers) =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
const fieldList = (fields, testid) => {
  const list = el(
    "dl",
    { className: "fields" },
    ...Object.entries(fields ?? {}).flatMap(([k, v]) => [
      el("dt", { textContent: k }),
      el("dd", { textContent: asText(v) }),
    ]),
  );
  if (testid) list.dataset.testid = testid;
  return list;
};
const folded = (title, ...children) =>
  el("details", {}, el("summary", { textContent: title }), ...children);
const button = (text, testid) => {
  const node = el("button", { textContent: text, type: "button" });
  node.dataset.testid = testid;
  return node;
};

/** A worker's error: in full while it is why the row is stuck, folded once a retry succeeded. */
function errorBlock(title, error, testid, current) {
  const heading = `${current ? title : `${title}, on an earlier attempt`} (receive ${error.receiveCount}): `;
  const stack = error.stack ? pre(error.stack, `${testid}-stack`) : "";
  const block = current
    ? el(
        "div",
        { className: "error" },
        el("strong", { textContent: heading }),
        `${error.name}: ${error.message}`,
        stack,
      )
    : folded(`${heading}${error.name}: ${error.message}`, stack);
  block.dataset.testid = testid;
  return block;
}

let editing = false;

async function show(seq) {
  selected = seq;
  editing = false;
  render();
  const response = await fetch(`/api/exchanges/${seq}`);
  const detail = await response.json();
  // Another row was chosen meanwhile, or the user began editing a detail drawn meanwhile:
  // drawing this one now would throw their edits away.
  if (selected !== seq || editing) return;
  const e = detail.entry;

  const result = el("span", { className: "muted" });
  result.dataset.testid = "replay-result";
  const post = async (edits) => {
    const init = { method: "POST" };
    if (edits) {
      init.headers = { "content-type": "application/json" };
      init.body = JSON.stringify({ fields: edits });
    }
    const r = await (await fetch(`/api/exchanges/${seq}/replay`, init)).json();
    result.textContent = r.error
      ? ` ${r.error}`
      : ` replayed: ${r.statusCode} ${shorten(r.answer, 40)}`;
  };
  const replay = button("Replay", "replay");
  replay.addEventListener("click", async () => {
    replay.disabled = true;
    await post();
    replay.disabled = false;
  });
  const copy = button("Copy as curl", "copy-curl");
  copy.title = "The callback key stays a variable: export CALLBACK_KEY=… first";
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(detail.curl);
      result.textContent = " curl copied (key as $CALLBACK_KEY)";
    } catch {
      result.textContent = " could not copy: select the curl below";
    }
  });
  const editable = e.fields && Object.keys(e.fields).length > 0;
  const edit = button("Edit & replay", "edit");
  edit.hidden = !editable;
  const form = el("form", { className: "edit", hidden: true });
  form.dataset.testid = "edit-form";
  if (editable) {
    for (const [name, value] of Object.entries(e.fields)) {
      const input = el("input", { name, value: asText(value) });
      input.dataset.field = name;
      form.append(el("label", { textContent: name, htmlFor: `edit-${name}` }), input);
      input.id = `edit-${name}`;
    }
    const send = el("button", { type: "submit", textContent: "Replay edited" });
    send.dataset.testid = "replay-edited";
    form.append(el("div", { className: "actions" }, send));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const edits = Object.fromEntries(
        [...form.querySelectorAll("input")].map((i) => [i.name, i.value]),
      );
      send.disabled = true;
      await post(edits);
      send.disabled = false;
    });
  }
  edit.addEventListener("click", () => {
    form.hidden = !form.hidden;
    editing = !form.hidden;
  });

  const parts = [
    el("h2", { textContent: `#${e.seq} ${e.route}` }, replay, copy, edit, result),
    el("p", {
      className: `outcome o-${e.outcome}`,
      textContent: `${outcomeText(e)}${e.reason ? `: ${e.reason}` : ""}`,
    }),
    form,
  ];
  parts.at(-2).dataset.testid = "outcome";
  if (e.summary) {
    const line = el("p", { className: "summary-line", textContent: e.summary });
    line.dataset.testid = "summary";
    parts.push(line);
  }
  const stuck = e.outcome === "retrying" || e.outcome === "dead-lettered";
  if (e.error && stuck) parts.push(errorBlock("Recorder error", e.error, "error", true));
  const replySettled = detail.reply && !["pending", "sending"].includes(detail.reply.state);
  if (e.replyError && !replySettled)
    parts.push(errorBlock("Reply error", e.replyError, "reply-error", true));
  if (detail.reply) {
    const r = detail.reply;
    const status = el("p", {
      textContent: `${r.state}${r.messageId ? `, messageId ${r.messageId}` : ""}; delivery: ${r.deliveryStatus ?? "no report yet"}`,
    });
    status.dataset.testid = "reply";
    parts.push(
      el(
        "div",
        { className: "reply" },
        el("strong", { textContent: "Reply" }),
        status,
        el("div", { textContent: r.message ?? "" }),
      ),
    );
  } else if (e.route === "sms-twoway" && e.outcome !== "refused") {
    parts.push(el("p", { className: "muted", textContent: "No reply yet." }));
  }
  if (e.error && !stuck) parts.push(errorBlock("Recorder error", e.error, "error", false));
  if (e.replyError && replySettled)
    parts.push(errorBlock("Reply error", e.replyError, "reply-error", false));
  parts.push(el("h3", { textContent: "Fields (decoded)" }), fieldList(e.fields, "fields"));
  parts.push(
    el("h3", { textContent: `Answer (${e.statusCode}, ${e.durationMs} ms)` }),
    pre(e.answer || "(empty)", "answer"),
  );
  if (detail.record) {
    // What AT sent first (unless it is the fields above, as it usually is), the keys folded away.
    const { payload, keys, ...attributes } = detail.record;
    const same = JSON.stringify(payload) === JSON.stringify(e.fields);
    const stored = el(
      "div",
      {},
      same
        ? el("p", { className: "muted", textContent: "payload: the fields above, as stored" })
        : fieldList(payload),
      fieldList(attributes),
      folded("Keys and indexes", pre(JSON.stringify(keys, null, 2))),
    );
    stored.dataset.testid = "record";
    parts.push(el("h3", { textContent: "Stored record" }), stored);
  } else if (e.outcome === "queued" || e.outcome === "retrying")
    parts.push(el("p", { className: "muted", textContent: "Not recorded yet." }));
  parts.push(
    folded(
      "Request as received",
      pre(`${e.method} ${e.path}?${e.query}\n${headerLines(e.headers)}\n\n${e.body}`, "raw"),
      pre(headerLines(e.answerHeaders)),
    ),
    folded("curl (key as $CALLBACK_KEY)", pre(detail.curl, "curl")),
  );
  if (detail.deliveries?.length) {
    // Each event of this callback at each --forward-to endpoint: attempts, status, answer.
    const list = el(
      "div",
      {},
      ...detail.deliveries.map((d) => {
        const item = el(
          "div",
          {},
          el("p", {
            textContent: `${d.eventType} → ${d.endpoint} (${d.url}): ${d.state}, ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}${d.lastStatus === undefined ? "" : `, last status ${d.lastStatus}`}${d.lastError ? `: ${d.lastError}` : ""}${d.nextAttemptAt ? `, next at ${d.nextAttemptAt}` : ""}`,
          }),
          d.lastResponse ? pre(d.lastResponse) : "",
        );
        item.dataset.testid = "delivery";
        return item;
      }),
    );
    parts.push(el("h3", { textContent: "Forwarded" }), list);
  }
  if (detail.related?.length)
    parts.push(
      folded(
        `Other records under this AT id (${detail.related.length})`,
        pre(JSON.stringify(detail.related, null, 2)),
      ),
    );
  $("detail").replaceChildren(...parts);
}

function renderDeadLetters(list) {
  if (list.length === 0) {
    $("dlq-list").replaceChildren("None.");
    return;
  }
  $("dlq-list").replaceChildren(
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ...["Queue", "Route", "Type", "AT id", "Receives", "Why"].map((h) =>
            el("th", { textContent: h }),
          ),
        ),
      ),
      el(
        "tbody",
        {},
        ...list.map((d) =>
          el(
            "tr",
            {},
            ...[d.queue, d.route, d.type, d.atId, String(d.receiveCount), d.reason].map((t) =>
              el("td", { textContent: t, title: t }),
            ),
          ),
        ),
      ),
    ),
  );
}

async function loadDeadLetters() {
  renderDeadLetters(await (await fetch("/api/dead-letters")).json());
}

$("refresh-dlq").addEventListener("click", loadDeadLetters);
$("redrive").addEventListener("click", async () => {
  const moved = await (await fetch("/api/dead-letters/redrive", { method: "POST" })).json();
  const total = moved.reduce((n, q) => n + q.moved, 0);
  $("dlq-status").textContent = `Moved ${total} message(s) back to their queues.`;
});
for (const id of ["filter-route", "filter-type"]) $(id).addEventListener("input", render);
$("filter-phone").addEventListener("input", updatePhoneFilter);

const events = new EventSource("/events");
events.addEventListener("hello", (message) => {
  const { entries: list, deadLetters } = JSON.parse(message.data);
  for (const e of list) put(e);
  renderDeadLetters(deadLetters);
  $("status").textContent = "live";
  $("status").className = "live";
});
events.addEventListener("entry", (message) => put(JSON.parse(message.data)));
events.addEventListener("dead-letters", (message) => renderDeadLetters(JSON.parse(message.data)));
events.addEventListener("error", () => {
  $("status").textContent = "reconnecting";
  $("status").className = "";
});
render();
