// common/metrics: the text exposition (escaping, cumulative histogram buckets, stable sorting),
// the strict parser (round trip, refusals naming the line), the merge of edgectl metrics, and the
// GET /metrics route (Content-Type, readers).
#include "common/metrics.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "common/http/metrics_route.hpp"

using namespace edgesec::metrics;

TEST_CASE("label values and HELP text are escaped as the format says") {
  CHECK(EscapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(EscapeHelp("x\\y\nz\"") == "x\\\\y\\nz\"");  // quotes stay in HELP
  std::string text = Render({{"m", "h\nx", "gauge", {{"", {{"id", "q\"\\\n"}}, 1}}}});
  CHECK(text == "# HELP m h\\nx\n# TYPE m gauge\nm{id=\"q\\\"\\\\\\n\"} 1\n");
}

TEST_CASE("values: integers plain, others in Go's shortest form, infinities and NaN") {
  CHECK(FormatValue(0) == "0");
  CHECK(FormatValue(1804214253) == "1804214253");
  CHECK(FormatValue(-3) == "-3");
  CHECK(FormatValue(0.0001) == "0.0001");
  CHECK(FormatValue(0.00005) == "5e-05");
  CHECK(FormatValue(2.5) == "2.5");
  CHECK(FormatValue(0.1 + 0.2) == "0.30000000000000004");
  CHECK(FormatValue(1.0 / 0.0) == "+Inf");
  CHECK(FormatValue(-1.0 / 0.0) == "-Inf");
  CHECK(FormatValue(std::nan("")) == "NaN");
}

TEST_CASE("histogram buckets are cumulative and end with +Inf, _sum and _count") {
  Registry r;
  auto& h = r.HistogramFamily("op_seconds", "t", {"op"}, {0.1, 1});
  Histogram& sign = h.With({"sign"});
  sign.Observe(0.05);
  sign.Observe(0.1);  // on the bound: in le="0.1"
  sign.Observe(0.5);
  sign.Observe(7);
  std::string text = Render(r.Collect());
  CHECK(text ==
        "# HELP op_seconds t\n# TYPE op_seconds histogram\n"
        "op_seconds_bucket{op=\"sign\",le=\"0.1\"} 2\n"
        "op_seconds_bucket{op=\"sign\",le=\"1\"} 3\n"
        "op_seconds_bucket{op=\"sign\",le=\"+Inf\"} 4\n"
        "op_seconds_sum{op=\"sign\"} 7.65\n"
        "op_seconds_count{op=\"sign\"} 4\n");
}

TEST_CASE("families sort by name, children by label values, the same every time") {
  Registry r;
  r.CounterFamily("b_total", "b", {"x"}).With({"z"}).Inc(2);
  r.CounterFamily("b_total", "b", {"x"}).With({"a"}).Inc();
  r.GaugeFamily("a", "a", {}).With({}).Set(1.5);
  r.CounterFamily("empty_total", "no child: left out", {"x"});
  std::string first = Render(r.Collect());
  CHECK(first ==
        "# HELP a a\n# TYPE a gauge\na 1.5\n"
        "# HELP b_total b\n# TYPE b_total counter\nb_total{x=\"a\"} 1\nb_total{x=\"z\"} 2\n");
  CHECK(Render(r.Collect()) == first);
}

TEST_CASE("counters add up across threads") {
  Registry r;
  Counter& c = r.CounterFamily("c_total", "c", {}).With({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.Inc();
    });
  for (auto& t : threads) t.join();
  CHECK(c.Value() == 40000);
}

TEST_CASE("the parser reads back what Render writes") {
  Registry r;
  r.CounterFamily("k_total", "help with \\ and\nnewline", {"id"}).With({"a\"b\\c\nd"}).Inc(3);
  r.HistogramFamily("d_seconds", "d", {"op"}, KeyOperationBuckets()).With({"sign"}).Observe(0.0003);
  std::string text = Render(r.Collect());
  auto parsed = ParseExposition(text);
  REQUIRE(parsed);
  CHECK(Render(*parsed) == text);
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[1].help == "help with \\ and\nnewline");
  CHECK((*parsed)[1].samples[0].labels[0].second == "a\"b\\c\nd");
}

TEST_CASE("the parser refuses what the daemons never write, naming the line") {
  auto refused = [](const std::string& text, const std::string& what) {
    auto r = ParseExposition(text);
    INFO(text);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains(what));
  };
  refused("m 1\n", "line 1: sample 'm' before its HELP and TYPE");
  refused("# HELP m h\n# TYPE m summary\n", "line 2: unsupported metric type 'summary'");
  refused("# HELP m h\n# TYPE m gauge\nm{a=\"1\",a=\"2\"} 1\n", "line 3: label 'a' repeated");
  refused("# HELP m h\n# TYPE m gauge\nm{a=\"\\t\"} 1\n", "unknown escape");
  refused("# HELP m h\n# TYPE m gauge\nm{a=\"x} 1\n", "not closed");
  refused("# HELP m h\n# TYPE m gauge\nm 1 1700000000\n", "invalid sample value");
  refused("# HELP m h\n# TYPE m gauge\nm 0x10\n", "invalid sample value");
  refused("# HELP m h\n# TYPE m gauge\nother 1\n", "line 3: sample 'other' is not of family 'm'");
  refused("# HELP m h\n# TYPE m gauge\nm_bucket{le=\"1\"} 1\n", "not of family");
  refused("# HELP m h\n# TYPE m histogram\nm_sum{le=\"1\"} 1\n", "'le' belongs to _bucket");
  refused("# HELP m h\n# TYPE m gauge\n# HELP m h\n", "line 3: metric 'm' described twice");
  refused("# a comment\n", "line 1: '# HELP' or '# TYPE' expected");
  refused("# HELP m h\n", "has HELP but no TYPE");
  refused("# HELP m h\n# TYPE m gauge\nm 1", "does not end with a newline");
}

TEST_CASE("merging adds the service label first and keeps one HELP/TYPE per family") {
  std::vector<MetricFamily> merged;
  auto keyd = ParseExposition(
      "# HELP edgesec_build_info b\n# TYPE edgesec_build_info gauge\n"
      "edgesec_build_info{version=\"1\"} 1\n");
  auto certd = ParseExposition(
      "# HELP edgesec_build_info b\n# TYPE edgesec_build_info gauge\n"
      "edgesec_build_info{version=\"1\"} 1\n");
  REQUIRE((keyd && certd));
  REQUIRE(MergeInto(merged, *keyd, "keyd"));
  REQUIRE(MergeInto(merged, *certd, "certd"));
  CHECK(Render(merged) ==
        "# HELP edgesec_build_info b\n# TYPE edgesec_build_info gauge\n"
        "edgesec_build_info{service=\"keyd\",version=\"1\"} 1\n"
        "edgesec_build_info{service=\"certd\",version=\"1\"} 1\n");
  auto counter = ParseExposition(
      "# HELP edgesec_build_info b\n# TYPE edgesec_build_info counter\n"
      "edgesec_build_info 1\n");
  REQUIRE(counter);
  auto clash = MergeInto(merged, *counter, "identityd");
  REQUIRE_FALSE(clash);
  CHECK_THAT(clash.error().message,
             Catch::Contains("is a counter, another service has it as a gauge"));
  auto labelled = ParseExposition("# HELP x b\n# TYPE x gauge\nx{service=\"y\"} 1\n");
  REQUIRE(labelled);
  CHECK_FALSE(MergeInto(merged, *labelled, "keyd"));
}

TEST_CASE("GET /metrics: text 0.0.4, for root, the own uid and principals only") {
  using namespace edgesec::http;
  Router router({"2020-09-01"}, 401);
  auto readers = std::make_shared<MetricsReaders>(std::vector<uid_t>{4242});
  AddMetricsRoute(router, "2020-09-01", readers, [] {
    GaugeBuilder g("edgesec_test_gauge", "computed when asked");
    g.Add({{"cert_id", "c"}}, 7);
    return std::vector<MetricFamily>{std::move(g.family)};
  });
  Request req;
  req.method = "GET";
  req.path = "/metrics";
  req.query["api-version"] = "2020-09-01";
  req.peer_uid = 4242;
  Response ok = router.Dispatch(req);
  CHECK(ok.status == 200);
  CHECK(ok.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK_THAT(ok.body, Catch::Contains("edgesec_test_gauge{cert_id=\"c\"} 7\n"));
  CHECK_THAT(ok.body, Catch::Contains("edgesec_build_info{version=\"" EDGESEC_VERSION "\"} 1\n"));
  CHECK(ParseExposition(ok.body));
  req.peer_uid = ::getuid() == 4243 ? 4244 : 4243;
  Response refused = router.Dispatch(req);
  CHECK(refused.status == 401);
  CHECK_THAT(refused.body, Catch::Contains("may not read metrics"));
  readers->Set({4243, 4244});
  CHECK(router.Dispatch(req).status == 200);
}
