// Keeps the bell's badge in the top bar in step when an item is marked read in place:
// the server answers with an HX-Trigger "xn:inbox-unread" carrying the new unread count.
document.body.addEventListener("xn:inbox-unread", function (event) {
  var badge = document.querySelector("[data-testid='inbox-link'] .badge");
  var count = event.detail && event.detail.value;
  if (!badge || typeof count !== "number") {
    return;
  }
  if (count > 0) {
    badge.textContent = String(count);
  } else {
    badge.remove();
  }
});
