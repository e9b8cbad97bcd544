#include "common/daemon_args.hpp"

#include <string_view>

#include "common/log.hpp"

namespace edgesec {

Expected<DaemonArgs> ParseDaemonArgs(int argc, char** argv) {
  log::InitFromEnvironment();
  DaemonArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view name) -> Expected<std::string> {
      if (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=')
        return std::string(a.substr(name.size() + 1));
      if (i + 1 >= argc) return InvalidParameter(std::string(name) + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      args.help = true;
    } else if (a == "--version") {
      args.version = true;
    } else if (a.rfind("--root", 0) == 0) {
      EDGESEC_ASSIGN_OR_RETURN(std::string dir, value("--root"));
      if (dir.empty()) return InvalidParameter("--root needs a directory");
      args.layout = Layout::UnderRoot(dir);
    } else if (a.rfind("--log-level", 0) == 0) {
      EDGESEC_ASSIGN_OR_RETURN(std::string level, value("--log-level"));
      log::Level l;
      if (!log::ParseLevel(level, &l))
        return InvalidParameter("--log-level must be error, warn, notice, info or debug");
      log::SetLevel(l);
    } else {
      return InvalidParameter("unknown argument '" + std::string(a) + "'");
    }
  }
  return args;
}

std::string DaemonUsage(const std::string& binary, const std::string& what) {
  return "Usage: " + binary + " [--root DIR] [--log-level LEVEL]\n\n" + what +
         "\n\nOptions:\n"
         "  --root DIR         put every default path under DIR (DIR/etc/edgesec, "
         "DIR/var/lib/edgesec,\n"
         "                     DIR/run/edgesec); runs as the invoking user with embedded defaults\n"
         "  --log-level LEVEL  error, warn, notice, info (default) or debug; also $EDGESEC_LOG\n"
         "  --version          print the version and exit\n"
         "  --help             print this help and exit\n"
         "\nSignals: SIGHUP reloads the config, SIGTERM stops gracefully.\n";
}

}  // namespace edgesec
