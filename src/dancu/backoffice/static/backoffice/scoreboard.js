// The scoreboard's charts (Apache ECharts, vendored): the data comes from the page's JSON block, never from inline
// script (the Content-Security-Policy allows scripts from this site only).
(function () {
  "use strict";
  var source = document.getElementById("scoreboard-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var red = "#b5121b";
  var charts = [];
  function make(element, option) {
    var chart = echarts.init(element, null, { renderer: "svg" });
    option.aria = { enabled: true };
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  }
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    var series = data[name];
    if (!series) { return; }
    if (name === "linked") {
      var targets = series.targets || [4, 21];
      make(element, {
        grid: { left: 40, right: 16, top: 16, bottom: 32 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: series.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: series.values, itemStyle: { color: red },
          markLine: { symbol: "none", data: targets.map(function (t) { return { xAxis: String(t) }; }) } }]
      });
      return;
    }
    if (name === "lookups") {
      make(element, {
        grid: { left: 56, right: 16, top: 32, bottom: 32 },
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "category", data: series.labels },
        yAxis: { type: "value" },
        series: series.series.map(function (s) { return { name: s.name, type: "bar", stack: "all", data: s.values }; })
      });
      return;
    }
    var percent = element.getAttribute("data-unit") === "percent";
    make(element, {
      grid: { left: 40, right: 8, top: 8, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: series.labels, axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", max: percent ? 100 : null, axisLabel: { fontSize: 10 } },
      series: [{ type: "line", data: series.values, connectNulls: false, itemStyle: { color: red }, symbolSize: 4 }]
    });
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
