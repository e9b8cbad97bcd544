// edgectl metrics [--textfile DIR] (docs/metrics.md): GET /metrics of keyd, certd and identityd,
// parsed (common/metrics.hpp's strict parser) and merged — one HELP/TYPE per family, a
// service="keyd|certd|identityd" label on every sample — plus edgesec_up{service}. A service that
// does not answer, refuses or answers something unreadable is named on stderr and has up 0; the
// others are printed all the same, and the exit code is 1. --textfile DIR writes DIR/edgesec.prom
// atomically (mode 0644) for node_exporter's textfile collector instead of printing.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "common/fs.hpp"
#include "common/http/client.hpp"
#include "common/metrics.hpp"

namespace edgesec::cli {
namespace {

constexpr const char* kServices[] = {"keyd", "certd", "identityd"};

// The parsed metrics of one service, or why there are none.
Expected<std::vector<metrics::MetricFamily>> Fetch(const Context& ctx, const std::string& service) {
  http::UnixClient client(ctx.layout.Socket(service), ctx.timeout_ms);
  EDGESEC_ASSIGN_OR_RETURN(http::ClientResponse r,
                           client.Send("GET", "/metrics?api-version=2020-09-01"));
  if (r.status != 200) {
    std::string message = r.body;
    auto j = ParseJsonObject(r.body);
    if (j && j->contains("message") && (*j)["message"].is_string())
      message = (*j)["message"].get<std::string>();
    return MakeError(http::KindForStatus(r.status),
                     "answered " + std::to_string(r.status) + ": " + message);
  }
  return metrics::ParseExposition(r.body);
}

Status CheckTextfileDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return InvalidParameter("--textfile '" + dir +
                            "': no such directory (create it, or give node_exporter's "
                            "--collector.textfile.directory)");
  if (!S_ISDIR(st.st_mode)) return InvalidParameter("--textfile '" + dir + "' is not a directory");
  return {};
}

int Metrics(Context& ctx) {
  std::string dir = ctx.Option("--textfile");
  if (ctx.Has("--textfile")) {
    if (Status st = CheckTextfileDir(dir); !st) return Fail(st.error().message);
  }
  std::vector<metrics::MetricFamily> merged;
  metrics::GaugeBuilder up("edgesec_up",
                           "1 when edgectl metrics read the service's metrics, 0 when it did not "
                           "answer, refused or answered something unreadable.");
  bool all = true;
  for (const char* service : kServices) {
    auto families = Fetch(ctx, service);
    Status merged_ok = {};
    if (families) {
      merged_ok = metrics::MergeInto(merged, std::move(*families), service);
    } else {
      merged_ok = families.error();
    }
    if (!merged_ok) {
      std::fprintf(stderr, "edgectl: metrics of %s: %s\n", service,
                   merged_ok.error().message.c_str());
      all = false;
    }
    up.Add({{"service", service}}, merged_ok ? 1 : 0);
  }
  merged.push_back(std::move(up.family));
  std::string text = metrics::Render(std::move(merged));
  if (!ctx.Has("--textfile")) {
    std::cout << text << std::flush;
    return all ? kOk : kFailure;
  }
  std::string path =
      (dir.size() > 1 && dir.back() == '/' ? dir.substr(0, dir.size() - 1) : dir) + "/edgesec.prom";
  if (Status st = fs::AtomicWriteFile(path, text, 0644); !st) return Fail(st.error().Describe());
  return all ? kOk : kFailure;
}

}  // namespace

std::vector<Command> MetricsCommands() {
  return {
      {{"metrics"},
       "",
       0,
       0,
       "print the metrics of keyd, certd and identityd merged, in Prometheus' text format, with a "
       "service label and edgesec_up{service}; exit 1 when a service did not answer (its up is 0, "
       "the others are printed)",
       {{"--textfile", "DIR",
         "write DIR/edgesec.prom atomically (mode 0644) for node_exporter's textfile collector "
         "instead of printing; DIR must exist"}},
       &Metrics},
  };
}

}  // namespace edgesec::cli
