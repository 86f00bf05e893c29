// The review queue and the decision page: keyboard shortcuts, row decisions with a few seconds
// to undo, and the claim the decision page takes when it is shown (documented on each page).
(function () {
  "use strict";

  function typing(event) {
    const el = event.target;
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)
      && !(el.tagName === "INPUT" && ["radio", "checkbox"].includes(el.type)));
  }

  function toggleHelp() {
    const help = document.querySelector(".tm-shortcuts");
    if (help) help.open = !help.open;
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, fields, keepalive) {
    const body = new URLSearchParams(fields || {});
    return fetch(url, {
      method: "POST",
      body,
      keepalive: !!keepalive,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then((response) => response.json().catch(() => ({ ok: false, message: `Error ${response.status}` })));
  }

  function queue() {
    const rows = Array.from(document.querySelectorAll("#result_list tbody tr"));
    const toast = document.getElementById("tm-toast");
    const undoSeconds = parseFloat((toast && toast.dataset.undoSeconds) || "5");
    let cursor = rows.length ? 0 : -1;
    // The decision waiting for its undo window to pass: nothing is sent before then.
    let pending = null;

    function show() {
      rows.forEach((row, i) => row.classList.toggle("tm-cursor", i === cursor));
      if (cursor >= 0) rows[cursor].scrollIntoView({ block: "nearest" });
    }
    function move(step) {
      const free = (i) => i >= 0 && i < rows.length && !rows[i].hidden;
      let i = cursor + step;
      while (i >= 0 && i < rows.length && rows[i].hidden) i += step;
      if (free(i)) { cursor = i; return; }
      if (free(cursor)) return;
      i = cursor - step; // the last row went: the one before it becomes current
      while (i >= 0 && i < rows.length && rows[i].hidden) i -= step;
      cursor = free(i) ? i : -1;
    }
    function say(html, kind) {
      if (!toast) return;
      toast.hidden = false;
      toast.className = `tm-toast tm-toast-${kind}`;
      toast.innerHTML = html;
    }
    function escapeHtml(text) {
      const span = document.createElement("span");
      span.textContent = text;
      return span.innerHTML;
    }

    function send(decision) {
      if (decision.timer) clearTimeout(decision.timer);
      if (decision.ticker) clearInterval(decision.ticker);
      if (pending === decision) pending = null;
      return post(decision.url, { decision: decision.value, last_review: decision.lastReview }, decision.keepalive)
        .then((answer) => {
          if (answer.ok) {
            say(escapeHtml(answer.message), "done");
            decision.row.classList.add("tm-decided");
          } else {
            decision.row.hidden = false;
            say(escapeHtml(answer.message), "error");
          }
        });
    }
    function undo() {
      if (!pending) return;
      const decision = pending;
      pending = null;
      clearTimeout(decision.timer);
      clearInterval(decision.ticker);
      decision.row.hidden = false;
      cursor = rows.indexOf(decision.row);
      show();
      say(`Undone: ${escapeHtml(decision.name)} was not ${decision.verb}.`, "undone");
    }
    function decide(row, value) {
      const button = row.querySelector(`button[name=decision][value=${value}]`);
      if (!button) return;
      if (pending) send(pending); // a second decision sends the first at once
      const url = new URL(button.formAction, window.location.href);
      const decision = {
        row,
        value,
        url: url.pathname,
        lastReview: url.searchParams.get("last_review") || "",
        name: row.querySelector("[data-name]").dataset.name,
        verb: value === "removed" ? "removed" : "approved",
      };
      let left = Math.round(undoSeconds);
      const render = () => say(
        `${value === "removed" ? "Removing" : "Approving"} <b>${escapeHtml(decision.name)}</b> in ` +
        `<span id="tm-undo-left">${left}</span> s · <button type="button" id="tm-undo">Undo <kbd>z</kbd></button>`,
        "pending");
      render();
      decision.ticker = setInterval(() => { left = Math.max(0, left - 1); render(); }, 1000);
      decision.timer = setTimeout(() => send(decision), undoSeconds * 1000);
      pending = decision;
      row.hidden = true;
      move(1);
      show();
    }

    if (toast) toast.addEventListener("click", (event) => {
      if (event.target.closest("#tm-undo")) undo();
    });
    // Leaving the page inside the undo window sends the decision (it was not undone).
    window.addEventListener("pagehide", () => { if (pending) { pending.keepalive = true; send(pending); } });
    // The row buttons go through the same undo window (without script they post at once).
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[name=decision]");
      if (!button) return;
      event.preventDefault();
      const row = button.closest("tr");
      cursor = rows.indexOf(row);
      decide(row, button.value);
    });

    function runBulk(name, verb) {
      const selected = Array.from(document.querySelectorAll("#result_list tbody input.action-select:checked"));
      if (!selected.length) {
        say(`Select rows first (<kbd>x</kbd>), or press <kbd>${verb[0]}</kbd> for the current row.`, "error");
        return;
      }
      const names = selected.map((box) => box.closest("tr").querySelector("[data-name]")?.dataset.name || "?");
      if (!window.confirm(`${verb[0].toUpperCase()}${verb.slice(1)} ${names.length} comment(s): ${names.join(", ")}?`)) return;
      const select = document.querySelector("#changelist-form select[name=action]");
      if (!select) return;
      select.value = name;
      document.querySelector("#changelist-form button[name=index]")?.click();
    }
    show();
    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key;
      if (key === "j" || key === "ArrowDown") move(1);
      else if (key === "k" || key === "ArrowUp") move(-1);
      else if ((key === "o" || key === "Enter") && cursor >= 0) {
        rows[cursor].querySelector("a.tm-review-link")?.click();
        return;
      } else if (key === "x" && cursor >= 0) rows[cursor].querySelector("input.action-select")?.click();
      else if (key === "a" && cursor >= 0 && !rows[cursor].hidden) decide(rows[cursor], "approved");
      else if (key === "r" && cursor >= 0 && !rows[cursor].hidden) decide(rows[cursor], "removed");
      else if (key === "z") undo();
      else if (key === "A") runBulk("approve_selected", "approve");
      else if (key === "R") runBulk("remove_selected", "remove");
      else if (key === "/") document.querySelector("#searchbar")?.focus();
      else if (key === "?") toggleHelp();
      else return;
      event.preventDefault();
      show();
    });
  }

  function decide() {
    const form = document.getElementById("tm-decide-form");
    const go = (id) => { const link = document.getElementById(id); if (link) link.click(); };
    const fieldset = form && form.querySelector("fieldset");
    // Take the claim now that a person has the page in front of them (a GET never claims).
    if (form && form.dataset.claimUrl && fieldset && !fieldset.disabled) {
      post(form.dataset.claimUrl, { release: form.dataset.cameFrom || "" }).then((answer) => {
        form.dataset.claimed = answer.ok ? "yes" : "no";
        if (!answer.ok) {
          fieldset.disabled = true;
          const note = document.getElementById("tm-claimed");
          if (note) { note.textContent = answer.message; note.hidden = false; }
        }
      });
    }
    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key;
      const enabled = fieldset && !fieldset.disabled;
      const button = form && form.querySelector(`button[data-key="${key}"]`);
      if (button && enabled) {
        form.requestSubmit(button);
      } else if (/^[1-6]$/.test(key) && enabled) {
        const row = form.querySelector(`tr[data-label-index="${key}"]`);
        const radios = row ? Array.from(row.querySelectorAll("input[type=radio]")) : [];
        const yes = radios.find((r) => r.value === "1");
        const no = radios.find((r) => r.value === "0");
        if (yes && no) (yes.checked ? no : yes).checked = true;
      } else if (key === "j" || key === "n") go("tm-next");
      else if (key === "k" || key === "p") go("tm-prev");
      else if (key === "u") go("tm-queue");
      else if (key === "?") toggleHelp();
      else return;
      event.preventDefault();
    });
  }

  // Try a text: score as the moderator types, a moment after they stop (one request at a time).
  function trial() {
    const form = document.getElementById("tm-trial-form");
    const output = document.getElementById("tm-trial-output");
    const state = document.getElementById("tm-trial-state");
    if (!form || !output) return;
    let timer = null;
    let inFlight = null;
    function score() {
      const text = form.querySelector("textarea[name=text]").value;
      if (!text.trim()) return;
      if (inFlight) inFlight.abort();
      inFlight = new AbortController();
      if (state) state.textContent = "Scoring…";
      fetch(window.location.pathname, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        signal: inFlight.signal,
      })
        .then((response) => response.text())
        .then((html) => {
          const page = new DOMParser().parseFromString(html, "text/html");
          const fresh = page.getElementById("tm-trial-output");
          if (fresh) output.innerHTML = fresh.innerHTML;
          const errors = page.querySelector("#tm-trial-form .errornote");
          if (state) state.textContent = errors ? errors.textContent : "Scores update as you type.";
        })
        .catch((error) => { if (error.name !== "AbortError" && state) state.textContent = String(error); });
    }
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(score, 600);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (document.body.classList.contains("tm-trial-page")) trial();
    if (document.body.classList.contains("tm-queue")) queue();
    if (document.body.classList.contains("tm-decide")) decide();
  });
})();
