// The responsekit event console: lists this process's recent responses (polling the console's
// JSON) and shows the selected one's event timeline, live, through the protocol's replay endpoint
// (GET responses/{id}?stream=true). Plain JS, no dependencies; every URL is relative to the page, so
// the console works under any route prefix. Data goes into the DOM as text, never as HTML.
"use strict";

(() => {
  const BASE = new URL(".", location.href); // the route prefix, with its trailing slash
  const url = (path) => new URL(path, BASE);
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 1000;
  const MAX_RECONNECTS = 5;

  // Event types, after the protocol's ordering rules (responsekit/conformance/event_types.py).
  const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);
  const RESPONSE_LEVEL = new Set([
    "response.created", "response.queued", "response.in_progress", "error", ...TERMINAL,
  ]);
  const PART_ADDED = new Set(["response.content_part.added", "response.reasoning_summary_part.added"]);
  const PART_DONE = new Set(["response.content_part.done", "response.reasoning_summary_part.done"]);

  let selected = null; // the view of the selected response (see select())
  let listed = [];

  // -- small helpers ------------------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function seconds(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "";
    if (value < 1) return `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)} ms`;
    if (value < 60) return `${value.toFixed(2)} s`;
    return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  }

  function clock(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour12: false });
  }

  function shorten(text, max) {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }

  async function getJson(path, signal) {
    const response = await fetch(url(path), { cache: "no-store", signal });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // -- the list of recent responses ---------------------------------------------------------------
  async function refreshList() {
    try {
      const body = await getJson("_console/api/responses");
      listed = body.data;
      renderList();
      setConnection(true, `${body.data.length} of at most ${body.capacity} kept`);
    } catch (error) {
      setConnection(false, error.message);
    }
  }

  function setConnection(ok, text) {
    const badge = $("connection");
    badge.className = `badge ${ok ? "ok" : "bad"}`;
    badge.textContent = ok ? `connected · ${text}` : `disconnected: ${text}`;
  }

  function renderList() {
    const body = document.querySelector("#responses tbody");
    const rows = listed.map((entry) => {
      const row = el("tr");
      row.dataset.id = entry.id;
      if (selected && selected.id === entry.id) row.classList.add("selected");
      row.append(
        el("td", `status status-${entry.status}`, entry.status),
        el("td", "mode", entry.mode),
        el("td", "model", entry.model || "—"),
        el("td", "started", clock(entry.started_at)),
        el("td", "duration", seconds(entry.duration_seconds) + (entry.finished ? "" : " …")),
        el("td", "user mono", entry.user_key_hash ? `#${entry.user_key_hash}` : "—"),
        el("td", "id mono", entry.id),
      );
      row.title = entry.id;
      row.addEventListener("click", () => select(entry.id));
      return row;
    });
    body.replaceChildren(...rows);
    $("empty").hidden = listed.length > 0;
    $("recent-count").textContent = listed.length ? `(${listed.length})` : "";
    if (selected) {
      const entry = listed.find((e) => e.id === selected.id);
      if (entry) {
        selected.entry = { ...selected.entry, ...entry };
        renderSummary(selected);
      }
    }
  }

  // -- one response -------------------------------------------------------------------------------
  async function select(id) {
    if (selected) selected.abort.abort();
    const view = {
      id,
      abort: new AbortController(),
      entry: null,
      records: [], // {event, arrival (ms), t (seconds since start, from the server, when known)}
      timings: new Map(), // sequence_number -> seconds since start, as the server recorded them
      source: null, // "replay" | "console"
      live: false,
      note: null,
      frame: 0,
    };
    selected = view;
    if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
    for (const row of document.querySelectorAll("#responses tbody tr")) {
      row.classList.toggle("selected", row.dataset.id === id);
    }
    $("detail").hidden = false;
    $("detail-id").textContent = id;
    render(view);
    try {
      await loadDetail(view);
    } catch (error) {
      if (view.abort.signal.aborted) return;
      view.note = `The console cannot show this response: ${error.message}`;
      render(view);
      return;
    }
    const replay = view.entry.replay;
    if (replay.available) {
      view.source = "replay";
      await follow(view);
    } else {
      view.note = `Not replayable: ${replay.reason}.`;
      if (!view.entry.isolated) {
        view.source = "console";
        await followCaptured(view);
      } else {
        render(view);
      }
    }
  }

  async function loadDetail(view) {
    const detail = await getJson(`_console/api/responses/${encodeURIComponent(view.id)}`, view.abort.signal);
    if (selected !== view) return;
    view.entry = detail;
    view.timings = new Map(detail.timings.map(([seq, t]) => [seq, t]));
    view.invalid = new Map((detail.invalid || []).map(([seq, message]) => [seq, message]));
    for (const record of view.records) {
      const t = view.timings.get(record.event.sequence_number);
      if (t !== undefined) record.t = t;
    }
  }

  // Live through the replay endpoint; reconnects with starting_after if the stream ends early.
  async function follow(view) {
    let reconnects = 0;
    while (!view.abort.signal.aborted) {
      const last = view.records.length ? view.records[view.records.length - 1].event.sequence_number : null;
      const query = last === null || last === undefined ? "stream=true" : `stream=true&starting_after=${last}`;
      view.live = true;
      render(view);
      let failure = null;
      try {
        const response = await fetch(url(`responses/${encodeURIComponent(view.id)}?${query}`), {
          headers: { Accept: "text/event-stream" },
          cache: "no-store",
          signal: view.abort.signal,
        });
        if (!response.ok) {
          const body = await response.json().catch(() => null);
          failure = `the replay endpoint answered ${response.status}: ${body && body.error ? body.error.message : ""}`;
        } else {
          await readEvents(response, (event) => addEvent(view, event));
        }
      } catch (error) {
        if (view.abort.signal.aborted) return;
        failure = `the replay stream broke: ${error.message}`;
      }
      if (hasTerminal(view) || view.abort.signal.aborted) break;
      if (failure !== null && !view.records.length) {
        view.live = false;
        view.note = `Cannot replay: ${failure}. Showing what the console saw itself.`;
        view.source = "console";
        await followCaptured(view);
        return;
      }
      if (++reconnects > MAX_RECONNECTS) {
        view.note = `The replay ended before the terminal event (${failure || "stream closed"}).`;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    view.live = false;
    if (view.abort.signal.aborted) return;
    // The server's times of every event, now that it has them all (replayed backlogs arrive at once).
    await loadDetail(view).catch(() => {});
    render(view);
    refreshList().catch(() => {}); // the list shows the end now, not at its next poll
  }

  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) onEvent(JSON.parse(data)); // comment-only blocks are keep-alives
      }
    }
  }

  // What the console recorded itself (store=false, or the replay failed); polled while it runs.
  async function followCaptured(view) {
    for (;;) {
      view.records = view.entry.events.map(({ t, event }) => ({ event, t, arrival: null }));
      view.live = !view.entry.finished;
      render(view);
      if (view.entry.finished || view.abort.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (selected !== view) return;
      try {
        await loadDetail(view);
      } catch (error) {
        view.note = `${view.note || ""} The console no longer has it: ${error.message}.`;
        view.live = false;
        render(view);
        return;
      }
    }
  }

  function addEvent(view, event) {
    if (selected !== view) return;
    const t = view.timings.get(event.sequence_number);
    view.records.push({ event, arrival: performance.now(), t });
    if (!view.frame) {
      view.frame = requestAnimationFrame(() => {
        view.frame = 0;
        render(view);
      });
    }
  }

  function hasTerminal(view) {
    return view.records.some((r) => TERMINAL.has(r.event.type));
  }

  // -- checking the stream --------------------------------------------------------------------------
  // Groups the events by output item and content part, runs of deltas together, and flags what breaks
  // the ordering rules: sequence gaps, events after the terminal one, item events outside their
  // item, deltas outside their part; and the events the server found invalid against the protocol's
  // event models (`invalid`: sequence_number -> message, from the console API).
  function analyze(records, invalid) {
    const problems = [];
    const blocks = [];
    const items = new Map();
    let expectedSeq = null;
    let terminal = null;
    let added = 0;

    records.forEach((record, index) => {
      const event = record.event;
      const type = String(event.type);
      const seq = event.sequence_number;
      record.problems = [];
      const flag = (message) => {
        record.problems.push(message);
        problems.push({ seq, type, message });
      };

      if (invalid && invalid.has(seq)) flag(`invalid: ${invalid.get(seq)}`);
      if (typeof seq !== "number") flag("no sequence_number");
      else {
        if (expectedSeq !== null && seq !== expectedSeq) {
          flag(seq > expectedSeq
            ? `sequence gap: expected ${expectedSeq}, got ${seq}`
            : `sequence went back: expected ${expectedSeq}, got ${seq}`);
        }
        expectedSeq = seq + 1;
      }
      if (terminal !== null) flag(`after the terminal event ${terminal}`);
      if (index === 0 && type !== "response.created") {
        flag("the first event must be response.created");
      }
      if (index > 0 && type === "response.created") flag("response.created again");
      if (TERMINAL.has(type) && terminal === null) terminal = type;

      if (RESPONSE_LEVEL.has(type) || typeof event.output_index !== "number") {
        blocks.push({ kind: "event", record });
        return;
      }
      const outputIndex = event.output_index;
      let item = items.get(outputIndex);
      if (type === "response.output_item.added") {
        if (item) flag(`output item ${outputIndex} added twice`);
        else if (outputIndex !== added) flag(`output_index ${outputIndex} added where ${added} was next`);
      } else if (!item) {
        flag(`output item ${outputIndex} was never added`);
      } else if (item.done) {
        flag(`output item ${outputIndex} is already done`);
      }
      if (!item) {
        const itemObject = event.item || {};
        item = {
          done: false,
          parts: new Map(),
          block: { kind: "item", outputIndex, itemType: itemObject.type, itemId: itemObject.id || event.item_id, children: [] },
        };
        items.set(outputIndex, item);
        blocks.push(item.block);
        if (type === "response.output_item.added") added += 1;
      }
      if (type === "response.output_item.done") item.done = true;

      const hasContent = typeof event.content_index === "number";
      const hasSummary = typeof event.summary_index === "number";
      if (!hasContent && !hasSummary) {
        append(item.block.children, record);
        return;
      }
      const key = hasContent ? `content ${event.content_index}` : `summary ${event.summary_index}`;
      let part = item.parts.get(key);
      if (!part) {
        part = { opened: false, closed: false, block: { kind: "part", key, partType: null, children: [] } };
        item.parts.set(key, part);
        item.block.children.push(part.block);
      }
      if (PART_ADDED.has(type)) {
        if (part.opened) flag(`${key} part added twice`);
        part.opened = true;
        part.block.partType = event.part && event.part.type;
      } else if (!part.opened) {
        flag(`outside its part: ${key} was never added`);
      } else if (part.closed) {
        flag(`outside its part: ${key} is already done`);
      }
      if (PART_DONE.has(type)) part.closed = true;
      append(part.block.children, record);
    });

    const last = [...records].reverse().find((r) => TERMINAL.has(r.event.type));
    return { blocks, problems, terminal, response: last ? last.event.response : null };
  }

  // Consecutive deltas of one type become one run.
  function append(children, record) {
    const type = record.event.type;
    const previous = children[children.length - 1];
    if (type.endsWith(".delta")) {
      if (previous && previous.kind === "run" && previous.type === type) previous.records.push(record);
      else children.push({ kind: "run", type, records: [record] });
    } else {
      children.push({ kind: "event", record });
    }
  }

  // -- rendering --------------------------------------------------------------------------------------
  function render(view) {
    if (selected !== view) return;
    renderSummary(view);
    const note = $("replay-note");
    note.hidden = !view.note;
    note.textContent = view.note || "";
    const live = $("live");
    live.textContent = view.live ? "live" : view.records.length ? "ended" : "";
    live.className = `badge ${view.live ? "ok" : ""}`;

    const gaps = gapsOf(view.records);
    const analysis = analyze(view.records, view.invalid);
    const timeline = $("timeline");
    if (view.entry && view.entry.isolated) {
      timeline.replaceChildren(el("p", "muted", "Isolated response: its events are not shown."));
    } else if (!view.records.length) {
      timeline.replaceChildren(el("p", "muted", view.live ? "Waiting for events…" : "No events."));
    } else {
      timeline.replaceChildren(...analysis.blocks.map((block) => renderBlock(block, gaps)));
    }

    const problems = $("problems");
    problems.hidden = analysis.problems.length === 0;
    problems.querySelector("ul").replaceChildren(
      ...analysis.problems.map((p) => el("li", null, `#${p.seq} ${p.type}: ${p.message}`)),
    );

    const final = analysis.response || (view.entry && view.entry.response);
    const json = $("response-json");
    json.className = final ? "" : "muted";
    json.textContent = final
      ? JSON.stringify(final, null, 2)
      : view.entry && view.entry.isolated
        ? "(isolated: not shown)"
        : "(not finished yet)";
  }

  function renderSummary(view) {
    const entry = view.entry;
    const summary = $("detail-summary");
    if (!entry) {
      summary.replaceChildren();
      return;
    }
    const terminal = view.records.find((r) => TERMINAL.has(r.event.type));
    const status = terminal && terminal.event.response ? terminal.event.response.status : entry.status;
    const pairs = [
      ["Status", status, "final-status", `status-${status}`],
      ["Mode", entry.mode],
      ["Model", entry.model || "—"],
      ["Started", clock(entry.started_at)],
      ["Duration", seconds(entry.duration_seconds) + (entry.finished ? "" : " (running)")],
      ["User", entry.user_key_hash ? `#${entry.user_key_hash} (hash of the isolation key)` : "— (not isolated)"],
      ["Stored", entry.stored ? "yes" : "no (store=false)"],
      ["Events", `${view.records.length} shown · ${entry.event_count} emitted`],
      ["Source", view.source === "replay" ? "replay endpoint" : view.source === "console" ? "console's own record" : "—"],
    ];
    summary.replaceChildren(
      ...pairs.flatMap(([label, value, id, className]) => {
        const dd = el("dd", className, value);
        if (id) dd.id = id;
        return [el("dt", null, label), dd];
      }),
    );
  }

  // Seconds between each event and the one before it: the server's clock when known, else arrival.
  function gapsOf(records) {
    const gaps = new Map();
    records.forEach((record, i) => {
      const previous = records[i - 1];
      let gap = null;
      if (!previous) gap = null;
      else if (typeof record.t === "number" && typeof previous.t === "number") gap = record.t - previous.t;
      else if (record.arrival !== null && previous.arrival !== null) gap = (record.arrival - previous.arrival) / 1000;
      gaps.set(record, gap);
    });
    return gaps;
  }

  function renderBlock(block, gaps) {
    if (block.kind === "event") return renderEvent(block.record, gaps);
    if (block.kind === "run") return renderRun(block, gaps);
    const group = el("div", block.kind);
    if (block.kind === "item") {
      group.dataset.outputIndex = block.outputIndex;
      group.dataset.itemType = block.itemType || "";
      group.append(el("div", "group-title", `output item ${block.outputIndex} · ${block.itemType || "?"}${block.itemId ? ` · ${block.itemId}` : ""}`));
    } else {
      group.dataset.part = block.key;
      group.append(el("div", "group-title", `${block.key}${block.partType ? ` · ${block.partType}` : ""}`));
    }
    group.append(...block.children.map((child) => renderBlock(child, gaps)));
    return group;
  }

  function renderEvent(record, gaps) {
    const event = record.event;
    const row = el("div", "event");
    row.dataset.type = event.type;
    row.dataset.seq = event.sequence_number;
    const label = el("span", "type", event.type);
    const detail = eventDetail(event);
    if (detail) label.append(el("span", "detail", detail));
    row.append(el("span", "seq", `#${event.sequence_number}`), el("span", "gap", gapText(gaps, record)), label);
    flagRow(row, label, record.problems);
    return row;
  }

  function renderRun(run, gaps) {
    const row = el("div", "delta-run");
    const first = run.records[0].event;
    const lastRecord = run.records[run.records.length - 1];
    row.dataset.type = run.type;
    row.dataset.count = run.records.length;
    const text = run.records.map((r) => (typeof r.event.delta === "string" ? r.event.delta : "")).join("");
    const span = typeof lastRecord.t === "number" && typeof run.records[0].t === "number"
      ? lastRecord.t - run.records[0].t
      : null;
    const label = el("span", "type", `${run.records.length} × ${run.type}`);
    if (span !== null && run.records.length > 1) label.append(el("span", "detail", `over ${seconds(span)}`));
    label.append(el("span", "text", ` ${shorten(text, 400)}`));
    const seqs = run.records.length > 1 ? `#${first.sequence_number}–${lastRecord.event.sequence_number}` : `#${first.sequence_number}`;
    row.append(el("span", "seq", seqs), el("span", "gap", gapText(gaps, run.records[0])), label);
    flagRow(row, label, run.records.flatMap((r) => r.problems));
    return row;
  }

  function gapText(gaps, record) {
    const gap = gaps.get(record);
    return gap === null || gap === undefined ? "" : `+${seconds(Math.max(gap, 0))}`;
  }

  function flagRow(row, label, problems) {
    if (!problems.length) return;
    row.classList.add("problem");
    row.title = problems.join("; ");
    for (const problem of problems) label.append(el("span", "problem-note", `⚠ ${problem}`));
  }

  function eventDetail(event) {
    if (event.response && event.response.status) return event.response.status;
    if (event.item && event.item.type) return `${event.item.type}${event.item.id ? ` ${event.item.id}` : ""}`;
    if (event.part && event.part.type) return event.part.type;
    for (const field of ["text", "arguments", "refusal", "code", "input"]) {
      if (typeof event[field] === "string") return shorten(JSON.stringify(event[field]), 120);
    }
    if (event.type === "error") return event.message || event.code || "";
    return "";
  }

  // -- start --------------------------------------------------------------------------------------------
  refreshList();
  setInterval(refreshList, POLL_MS);
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (fromHash) select(fromHash);
})();
