// Keyboard shortcuts for the review queue and the decision page (documented on each page).
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

  function queue() {
    const rows = Array.from(document.querySelectorAll("#result_list tbody tr"));
    let cursor = rows.length ? 0 : -1;
    function show() {
      rows.forEach((row, i) => row.classList.toggle("tm-cursor", i === cursor));
      if (cursor >= 0) rows[cursor].scrollIntoView({ block: "nearest" });
    }
    function runAction(name) {
      if (!document.querySelector("#result_list tbody input.action-select:checked") && cursor >= 0) {
        rows[cursor].querySelector("input.action-select")?.click();
      }
      const select = document.querySelector("#changelist-form select[name=action]");
      if (!select) return;
      select.value = name;
      document.querySelector("#changelist-form button[name=index]")?.click();
    }
    show();
    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key;
      if (key === "j" || key === "ArrowDown") cursor = Math.min(rows.length - 1, cursor + 1);
      else if (key === "k" || key === "ArrowUp") cursor = Math.max(0, cursor - 1);
      else if ((key === "o" || key === "Enter") && cursor >= 0) {
        rows[cursor].querySelector("a.tm-review-link")?.click();
        return;
      } else if (key === "x" && cursor >= 0) rows[cursor].querySelector("input.action-select")?.click();
      else if (key === "A") runAction("approve_selected");
      else if (key === "R") runAction("remove_selected");
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
    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key;
      const fieldset = form && form.querySelector("fieldset");
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

  document.addEventListener("DOMContentLoaded", () => {
    if (document.body.classList.contains("tm-queue")) queue();
    if (document.body.classList.contains("tm-decide")) decide();
  });
})();
