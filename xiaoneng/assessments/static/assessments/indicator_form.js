// The indicator form shows the fields of the chosen kind, rule and data source only.
(function () {
  var form = document.getElementById("indicator-form");
  if (!form) { return; }
  var params = JSON.parse(document.getElementById("param-fields").textContent);
  var definitions = JSON.parse(document.getElementById("source-definitions").textContent);
  var kind = form.querySelector("[name=kind]");
  var rule = form.querySelector("[name=rule]");
  var source = form.querySelector("[name=source]");
  var definition = document.getElementById("source-definition");

  function update() {
    form.querySelectorAll(".xn-kind-fields").forEach(function (el) {
      el.hidden = el.dataset.kinds.split(" ").indexOf(kind.value) < 0;
    });
    form.querySelectorAll(".xn-rule").forEach(function (el) {
      el.hidden = el.dataset.rule !== rule.value;
    });
    var wanted = params[source.value] || [];
    form.querySelectorAll(".xn-param").forEach(function (el) {
      el.hidden = wanted.indexOf(el.dataset.param) < 0;
    });
    definition.textContent = definitions[source.value] || "";
  }
  // Without data: a computed rate without cases earns its points, an evaluated indicator
  // without scores none, unless the person chose otherwise.
  var noData = form.querySelector("[name=no_data]");
  var noDataChosen = false;
  noData.addEventListener("change", function () { noDataChosen = true; });
  kind.addEventListener("change", function () {
    if (!noDataChosen) { noData.value = kind.value === "evaluated" ? "zero" : "full"; }
  });
  [kind, rule, source].forEach(function (el) { el.addEventListener("change", update); });
  update();
})();
