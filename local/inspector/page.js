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

const time = (iso) => new Date(iso).toLocaleTimeString();
const shorten = (text, n = 60) => (text.length > n ? `${text.slice(0, n)}…` : text);

function matches(entry) {
  const route = $("filter-route").value;
  const type = $("filter-type").value;
  const phone = $("filter-phone").value.trim();
  return (
    (!route || entry.route === route) &&
    (!type || entry.recordType === type) &&
    (!phone || (entry.phone ?? "").includes(phone))
  );
}

function addOption(select, value) {
  if ([...select.options].some((o) => o.value === value)) return;
  select.append(el("option", { value, textContent: value }));
}

function render() {
  const rows = [...entries.values()].sort((a, b) => b.seq - a.seq).filter(matches);
  $("entries").replaceChildren(
    ...rows.map((e) => {
      const row = el(
        "tr",
        { className: e.seq === selected ? "selected" : "" },
        el("td", { textContent: time(e.receivedAt) }),
        el("td", { textContent: e.route }),
        el("td", { textContent: String(e.statusCode) }),
        el("td", {
          className: `outcome o-${e.outcome}`,
          textContent: e.outcome + (e.replayOf ? ` (replay of #${e.replayOf})` : ""),
          title: e.reason ?? "",
        }),
        el("td", { textContent: e.atId ?? "-" }),
        el("td", { textContent: e.maskedPhone ?? "-" }),
        el("td", { textContent: shorten(e.answer), title: e.answer }),
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
  entries.set(entry.seq, entry);
  addOption($("filter-route"), entry.route);
  addOption($("filter-type"), entry.recordType);
  render();
  if (entry.seq === selected) show(entry.seq);
}

const block = (title, text) => [el("h3", { textContent: title }), el("pre", { textContent: text })];
const headerLines = (headers) =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");

async function show(seq) {
  selected = seq;
  render();
  const response = await fetch(`/api/exchanges/${seq}`);
  const detail = await response.json();
  if (selected !== seq) return;
  const e = detail.entry;
  const replay = el("button", { textContent: "Replay", type: "button" });
  replay.dataset.testid = "replay";
  const replayResult = el("span", { className: "muted" });
  replay.addEventListener("click", async () => {
    replay.disabled = true;
    const r = await (await fetch(`/api/exchanges/${seq}/replay`, { method: "POST" })).json();
    replayResult.textContent = ` replayed: ${r.statusCode} ${shorten(r.answer, 40)}`;
    replay.disabled = false;
  });
  const parts = [
    el("h2", { textContent: `#${e.seq} ${e.route}` }, " ", replay, replayResult),
    el("p", {
      className: `outcome o-${e.outcome}`,
      textContent: `${e.outcome}${e.reason ? `: ${e.reason}` : ""}`,
    }),
    ...block(
      "Request as received",
      `${e.method} ${e.path}?${e.query}\n${headerLines(e.headers)}\n\n${e.body}`,
    ),
    ...block(
      `Answer (${e.statusCode}, ${e.durationMs} ms)`,
      `${headerLines(e.answerHeaders)}\n\n${e.answer}`,
    ),
  ];
  if (detail.record) parts.push(...block("Stored record", JSON.stringify(detail.record, null, 2)));
  else if (e.outcome === "queued")
    parts.push(el("p", { className: "muted", textContent: "Not recorded yet." }));
  if (detail.reply) {
    const r = detail.reply;
    parts.push(
      el("h3", { textContent: "Reply" }),
      el("p", {
        textContent: `${r.state}${r.messageId ? `, messageId ${r.messageId}` : ""}; delivery: ${r.deliveryStatus ?? "no report yet"}`,
      }),
      el("pre", { textContent: r.message ?? "" }),
    );
    parts.at(-2).dataset.testid = "reply";
  }
  if (detail.related?.length)
    parts.push(...block("Other records under this AT id", JSON.stringify(detail.related, null, 2)));
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
for (const id of ["filter-route", "filter-type", "filter-phone"])
  $(id).addEventListener("input", render);

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
