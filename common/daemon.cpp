#include "common/daemon.hpp"

#include <cstdio>

#include "common/daemon_args.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/reload_ack.hpp"
#include "common/systemd.hpp"

namespace edgesec {
namespace {

// Prints --help or --version when asked; true when the daemon should exit 0 now.
bool AnsweredInformational(const DaemonArgs& args, const DaemonInfo& info) {
  std::string binary = "edgesec-" + info.name;
  if (args.help) {
    std::fputs(DaemonUsage(binary, info.description).c_str(), stdout);
    return true;
  }
  if (args.version) {
    std::printf("%s %s\n", binary.c_str(), EDGESEC_VERSION);
    return true;
  }
  return false;
}

// Binds (or takes over) every listener's socket and starts its server, in order.
Expected<std::vector<std::unique_ptr<http::Server>>> Serve(const Layout& layout,
                                                           const DaemonParts& parts) {
  EDGESEC_TRY(fs::MakeDirs(layout.run(), 0755));
  std::vector<std::unique_ptr<http::Server>> servers;
  for (const DaemonListener& l : parts.listeners) {
    EDGESEC_ASSIGN_OR_RETURN(int fd,
                             systemd::ListenSocket(layout.Socket(l.socket), l.socket, l.mode));
    http::ServerOptions options;
    options.per_uid = l.per_uid;
    EDGESEC_ASSIGN_OR_RETURN(auto server, http::Server::Start(fd, l.handler, options));
    servers.push_back(std::move(server));
  }
  return servers;
}

std::string SocketList(const Layout& layout, const DaemonParts& parts) {
  std::string out;
  for (size_t i = 0; i < parts.listeners.size(); ++i) {
    if (i > 0) out += i + 1 == parts.listeners.size() ? "' and '" : "', '";
    out += layout.Socket(parts.listeners[i].socket);
  }
  return "'" + out + "'";
}

}  // namespace

int RunDaemon(int argc, char** argv, const DaemonInfo& info, const DaemonSetup& setup) {
  auto args = ParseDaemonArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr, "edgesec-%s: %s\n", info.name.c_str(), args.error().message.c_str());
    return 2;
  }
  if (AnsweredInformational(*args, info)) return 0;
  const Layout& layout = args->layout;
  systemd::BlockSignals();

  auto parts = setup(layout);
  if (!parts) {
    log::Error(info.name + ": " + parts.error().Describe());
    return 1;
  }
  auto servers = Serve(layout, *parts);
  if (!servers) {
    log::Error(info.name + ": " + servers.error().Describe());
    return 1;
  }
  if (parts->after_start) parts->after_start();
  log::Info(info.name + " ready on " + SocketList(layout, *parts));
  unsigned generation = 0;
  WriteReloadAck(layout, info.name, generation, {});
  systemd::NotifyReady(info.ready_status);

  systemd::WaitForSignals([&] {
    Status st = parts->reload ? parts->reload() : Status();
    WriteReloadAck(layout, info.name, ++generation, st);
    if (st)
      log::Info(info.name + ": configuration reloaded");
    else
      log::Error(info.name +
                 ": reload failed, keeping the running configuration: " + st.error().Describe());
  });
  if (parts->before_stop) parts->before_stop();
  for (auto it = servers->rbegin(); it != servers->rend(); ++it) (*it)->Stop();
  for (auto it = parts->listeners.rbegin(); it != parts->listeners.rend(); ++it)
    systemd::ReleaseSocket(layout.Socket(it->socket));
  log::Info(info.name + " stopped");
  return 0;
}

}  // namespace edgesec
