/* The portal's small enhancements. Every page works without them. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function setup(root) {
    // The language switch sends itself when a language is chosen.
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Print buttons.
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // Elements that only make sense with scripts (the unit search).
    root.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    // A form is sent once: a second click while it is on its way does nothing.
    root.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (event.submitter && event.submitter.name === "refresh_captcha") return;
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        form.querySelectorAll("[data-once-button]").forEach(function (button) {
          button.setAttribute("aria-disabled", "true");
          button.classList.add("disabled");
        });
      });
    });
    // Character counters.
    root.querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var field = document.getElementById(counter.dataset.counterFor);
      if (!field) return;
      var max = field.getAttribute("maxlength");
      var update = function () { counter.textContent = field.value.length + " / " + max; };
      field.addEventListener("input", update);
      update();
    });
    // Named or anonymous: hide the personal fields, offer the replies an anonymous
    // complaint can get; with no reply wanted, hide the reply method.
    var form = root.querySelector("form[data-complaint-form]");
    if (form) {
      var named = form.querySelector("[data-named-only]");
      var replyWanted = form.querySelector("input[name='reply_wanted']");
      var replyBox = form.querySelector("[data-reply-method]");
      var method = form.querySelector("select[name='reply_method']");
      var sync = function () {
        var anonymous = form.querySelector("input[name='identity'][value='anonymous']:checked") !== null;
        if (named) named.hidden = anonymous;
        if (method) {
          Array.prototype.forEach.call(method.options, function (option) {
            option.disabled = anonymous && option.value !== "portal" && option.value !== "";
          });
          if (anonymous && method.value !== "portal") method.value = "portal";
        }
        if (replyBox && replyWanted) replyBox.hidden = !replyWanted.checked;
      };
      form.addEventListener("change", sync);
      sync();
    }
  }

  ready(function () { setup(document); });
})();
