// The ranking page's charts: the totals by rank, coloured by grade, and the grades' shares.
(function () {
  var data = JSON.parse(document.getElementById("ranking-data").textContent);
  if (!window.echarts) { return; }
  var colours = {
    excellent: "#146c43", good: "#0d6efd", competent: "#0d6efd",
    fair: "#fd7e14", basic: "#fd7e14", poor: "#b02a37", incompetent: "#b02a37"
  };
  var bars = document.getElementById("ranking-chart");
  if (bars) {
    var chart = echarts.init(bars);
    chart.setOption({
      tooltip: {trigger: "axis"},
      grid: {left: 48, right: 16, bottom: 90},
      xAxis: {type: "category", data: data.labels, axisLabel: {rotate: data.labels.length > 6 ? 40 : 0, interval: 0}},
      yAxis: {type: "value", name: data.names.total},
      series: [{
        name: data.names.total, type: "bar",
        data: data.totals.map(function (v, i) { return {value: v, itemStyle: {color: colours[data.grades[i]] || "#6c757d"}}; }),
        label: {show: data.labels.length <= 20, position: "top"}
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var pie = document.getElementById("grade-chart");
  if (pie) {
    var codes = Object.keys(data.grade_names);
    var grades = echarts.init(pie);
    grades.setOption({
      tooltip: {trigger: "item"},
      legend: {bottom: 0},
      series: [{
        name: data.names.grades, type: "pie", radius: ["40%", "70%"],
        data: data.distribution
          .map(function (d, i) { return {name: d.name, value: d.value, itemStyle: {color: colours[codes[i]]}}; })
          .filter(function (d) { return d.value > 0; })
      }]
    });
    window.addEventListener("resize", function () { grades.resize(); });
  }
})();
