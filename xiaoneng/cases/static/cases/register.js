// Registration form: the complainant's details step aside when the complaint is anonymous,
// the reply method only matters when a reply is wanted, and the send button works once.
(function () {
  "use strict";
  var form = document.querySelector("[data-testid='case-register-form']");
  if (!form) { return; }
  var anonymous = form.querySelector("input[name='anonymous']");
  var replyWanted = form.querySelector("input[name='reply_wanted']");
  var replyMethod = form.querySelector("select[name='reply_method']");
  var personal = form.querySelector(".xn-complainant-fields");

  function sync() {
    if (anonymous && personal) {
      personal.setAttribute("aria-disabled", anonymous.checked ? "true" : "false");
      personal.querySelectorAll("input").forEach(function (input) { input.disabled = anonymous.checked; });
    }
    if (replyWanted && replyMethod) { replyMethod.disabled = !replyWanted.checked; }
  }
  if (anonymous) { anonymous.addEventListener("change", sync); }
  if (replyWanted) { replyWanted.addEventListener("change", sync); }
  sync();

  window.addEventListener("pageshow", function () {
    form.querySelectorAll("button[type='submit']").forEach(function (button) {
      button.disabled = false;
    });
  });
  form.addEventListener("submit", function () {
    form.querySelectorAll("button[type='submit']").forEach(function (button) {
      button.disabled = true;
    });
  });
})();
