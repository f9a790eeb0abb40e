// The campaign console's few behaviours: the composer's live counter and the inbox keyboard.
// No framework, no inline script (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrf ? csrf.getAttribute("content") : "";

  // Composer: the server counts (posts.length.check) and prepares (posts.rules.prepare);
  // this only asks it, 250 ms after the last keystroke, and shows the answer.
  function composer(box) {
    var text = box.querySelector("textarea");
    var counter = document.getElementById("counter");
    var value = document.getElementById("counter-value");
    var previewText = document.getElementById("preview-text");
    var previewError = document.getElementById("preview-error");
    var url = box.getAttribute("data-length-url");
    var postId = box.getAttribute("data-post-id");
    var answers = box.getAttribute("data-answers");
    var timer = null;
    var sent = 0;

    function show(answer, seq) {
      if (seq !== sent) { return; } // an older answer arriving late
      value.textContent = String(answer.weighted_length);
      counter.classList.toggle("over", !answer.valid);
      counter.setAttribute("data-valid", answer.valid ? "yes" : "no");
      previewText.textContent = answer.preview || "";
      previewText.hidden = !answer.preview;
      previewError.textContent = answer.error || "";
      previewError.hidden = !answer.error;
    }

    function ask() {
      var body = new FormData();
      body.append("text", text.value);
      if (postId) { body.append("post_id", postId); }
      if (answers) { body.append("answers", answers); }
      sent += 1;
      var seq = sent;
      counter.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken, "Accept": "application/json" }
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (answer) { show(answer, seq); })
        .catch(function () { /* keep the last count; the save checks again */ })
        .finally(function () { if (seq === sent) { counter.removeAttribute("aria-busy"); } });
    }

    text.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(ask, 250);
    });
  }

  // Inbox: j/k move, x select, f/r/n/i mark (the selected posts, or the current one), / search,
  // R reply to the current post (the reply box; Esc closes it).
  // 1-9 code with the first choice field's values, c type any code (Enter applies it).
  function inbox(form) {
    var items = Array.prototype.slice.call(form.querySelectorAll(".mention"));
    var current = -1;
    var keys = { f: "flagged", r: "reviewed", n: "needs-reply", i: "ignored" };
    var replyForm = document.getElementById("reply-form");

    function openReply(item) {
      if (!replyForm || !item) { return; }
      replyForm.querySelector("#reply-to").value = item.getAttribute("data-id");
      var text = item.querySelector(".mention-text");
      replyForm.querySelector("#reply-target").textContent =
        "To @" + item.getAttribute("data-author") + ": " + (text ? text.textContent.slice(0, 120) : "");
      replyForm.hidden = false;
      replyForm.scrollIntoView({ block: "nearest" });
      replyForm.querySelector("textarea").focus();
    }

    function closeReply() {
      if (!replyForm) { return; }
      replyForm.hidden = true;
      if (current >= 0) { items[current].focus({ preventScroll: true }); }
    }

    if (replyForm) {
      var cancel = document.getElementById("reply-cancel");
      if (cancel) { cancel.addEventListener("click", closeReply); }
      replyForm.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { e.preventDefault(); closeReply(); }
      });
    }
    Array.prototype.forEach.call(form.querySelectorAll(".reply-open"), function (button) {
      button.addEventListener("click", function () {
        var i = items.indexOf(button.closest(".mention"));
        focus(i);
        openReply(items[i]);
      });
    });

    function focus(i) {
      if (!items.length) { return; }
      if (current >= 0) { items[current].classList.remove("current"); }
      current = Math.max(0, Math.min(items.length - 1, i));
      items[current].classList.add("current");
      items[current].focus({ preventScroll: true });
      items[current].scrollIntoView({ block: "nearest" });
    }

    items.forEach(function (item, i) {
      var box = item.querySelector("input.select");
      box.addEventListener("change", function () { item.classList.toggle("selected", box.checked); });
      item.addEventListener("click", function (e) {
        if (e.target.tagName !== "A" && e.target.tagName !== "INPUT") { focus(i); }
      });
    });

    var codeBox = document.getElementById("code-box");
    if (codeBox) {
      // Enter in the code box applies the code (not the form's first button, a review mark).
      codeBox.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") { return; }
        e.preventDefault();
        var apply = document.getElementById("code-apply");
        if (form.requestSubmit) { form.requestSubmit(apply); } else { apply.click(); }
      });
    }

    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
      var key = e.key;
      if (key === "j") { focus(current + 1); }
      else if (key === "k") { focus(current < 0 ? 0 : current - 1); }
      else if (key === "x") {
        if (current < 0) { focus(0); }
        if (current < 0) { return; }
        var box = items[current].querySelector("input.select");
        box.checked = !box.checked;
        items[current].classList.toggle("selected", box.checked);
      } else if (keys[key]) {
        var ticked = form.querySelectorAll("input.select:checked");
        if (!ticked.length) {
          if (current < 0) { return; }
          items[current].querySelector("input.select").checked = true;
        }
        var button = form.querySelector('button[name="status"][value="' + keys[key] + '"]');
        if (!button) { return; }  // the person's role does not let them mark the inbox
        if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
      } else if (key === "R") {
        if (current < 0) { focus(0); }
        if (current < 0 || !replyForm) { return; }
        openReply(items[current]);
      } else if (/^[1-9]$/.test(key) && form.querySelector('button[data-key="' + key + '"]')) {
        // Code the ticked posts (or the current one) with the quick value under this digit.
        if (!form.querySelectorAll("input.select:checked").length) {
          if (current < 0) { return; }
          items[current].querySelector("input.select").checked = true;
        }
        var quick = form.querySelector('button[data-key="' + key + '"]');
        if (form.requestSubmit) { form.requestSubmit(quick); } else { quick.click(); }
      } else if (key === "c" && document.getElementById("code-box")) {
        if (current >= 0 && !form.querySelectorAll("input.select:checked").length) {
          items[current].querySelector("input.select").checked = true;
          items[current].classList.add("selected");
        }
        document.getElementById("code-box").focus();
      } else if (key === "/") {
        var search = document.getElementById("search");
        if (search) { search.focus(); search.select(); }
      } else { return; }
      e.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector(".composer");
    if (box && box.querySelector("textarea:not([readonly])")) { composer(box); }
    var form = document.getElementById("inbox-form");
    if (form) { inbox(form); }
  });
})();
