"use strict";
// The checker's page: sends the draft to POST /api/check and shows the annotated draft it returns;
// the download buttons send the same draft again for .docx or HTML. Works with the keyboard alone
// (real labels and buttons, the results take the focus and the status line is announced).
const form = document.getElementById("check-form");
const text = document.getElementById("draft-text");
const file = document.getElementById("draft-file");
const status = document.getElementById("status");
const results = document.getElementById("results");
const downloads = {docx: document.getElementById("download-docx"), html: document.getElementById("download-html")};
let checked = null; // the draft last checked: {body: FormData, name: file name stem}

function draft() {
  const body = new FormData();
  const chosen = file.files[0];
  if (chosen) {
    body.append("file", chosen);
    return {body, name: chosen.name.replace(/\.[^.]+$/, "")};
  }
  body.append("text", text.value);
  return {body, name: "draft"};
}

async function post(body, format) {
  const response = await fetch(`/api/check?format=${format}`, {method: "POST", body});
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).error || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function enableDownloads(on) {
  for (const button of Object.values(downloads)) button.disabled = !on;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const sent = draft();
  status.textContent = "Checking…";
  enableDownloads(false);
  try {
    const page = await (await post(sent.body, "html")).text();
    const doc = new DOMParser().parseFromString(page, "text/html");
    results.replaceChildren(...doc.querySelectorAll("style, section.draft"));
    checked = sent;
    const claims = results.querySelectorAll(".note:not(.unchecked)").length;
    const flagged = results.querySelectorAll('.note[data-flagged="true"]').length;
    const unchecked = results.querySelectorAll(".note.unchecked").length;
    const checkedBy = results.querySelector(".summary")?.textContent.split("; checked by ")[1];
    status.textContent = `${claims} claim(s) found, ${flagged} flagged.` +
      (unchecked ? ` ${unchecked} sentence(s) with claims about other treatments not checked.` : "") +
      (checkedBy ? ` Checked by ${checkedBy}.` : "");
    enableDownloads(true);
    results.focus();
  } catch (error) {
    checked = null;
    results.replaceChildren();
    status.textContent = `Could not check the draft: ${error.message}`;
  }
});

// a changed draft must be checked again before its annotated copy is downloaded
for (const input of [text, file]) input.addEventListener("input", () => { checked = null; enableDownloads(false); });
file.addEventListener("change", () => { checked = null; enableDownloads(false); });

for (const [format, button] of Object.entries(downloads)) {
  button.addEventListener("click", async () => {
    if (!checked) return;
    status.textContent = `Preparing the annotated ${format === "docx" ? ".docx" : "HTML"}…`;
    try {
      const blob = await (await post(checked.body, format)).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `${checked.name}-checked.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      status.textContent = `Downloaded ${link.download}.`;
    } catch (error) {
      status.textContent = `Could not download: ${error.message}`;
    }
  });
}
