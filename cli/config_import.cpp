// edgectl config import FILE.yaml [--out FILE [--force]]: IoT Edge 1.1's config.yaml → a commented
// config.toml (config/super/import_yaml.hpp converts; this is the files). The config.toml goes to
// stdout, or atomically to --out, which is never replaced without --force; warnings go to stderr.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "cli/cli.hpp"
#include "cli/config_commands.hpp"
#include "common/fs.hpp"
#include "config/super/import_yaml.hpp"
#include "config/super/super.hpp"

namespace edgesec::cli {
namespace {

namespace super = config::super;

// The finished file appears under `path` in one step, and only if nothing is there: a link(2) of
// a complete temp file, which fails with EEXIST, unlike rename(2), which would replace.
Status CreateNew(const std::string& path, const std::string& text) {
  std::string tmp =
      path + ".import-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  EDGESEC_TRY(fs::AtomicWriteFile(tmp, text, 0600));
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err == EEXIST)
    return MakeError(ErrorKind::kIo, "'" + path + "' exists (--force replaces it)");
  if (rc != 0) return IoError("cannot create '" + path + "'", err);
  return fs::FsyncDirectoryOf(path);
}

// What `config check` will say about the files the output names (missing, unreadable by the
// service user): warnings now, since the files may be put in place after the import.
std::vector<std::string> CrossCheckOf(const Context& ctx, const std::string& toml,
                                      const std::string& label) {
  auto read = super::ReadSuperConfig(toml, label);
  if (!read) return {read.error().message};
  super::CheckOptions options;
  options.rooted = ctx.layout.is_rooted();
  return super::CrossCheck(read->config, options);
}

}  // namespace

int ConfigImport(Context& ctx) {
  const std::string& in = ctx.args[0];
  std::string out = ctx.Option("--out");
  if (ctx.Has("--force") && out.empty()) {
    std::fprintf(stderr, "edgectl config import: --force goes with --out FILE; see --help\n");
    return kUsage;
  }
  auto text = fs::ReadFile(in);
  if (!text) return Fail("cannot read '" + in + "': " + text.error().Describe());
  auto imported = super::ImportIotEdge11Yaml(*text, in);
  if (!imported) return Fail(imported.error().message + "; nothing written");
  std::vector<std::string> warnings = imported->warnings;
  for (const auto& problem : CrossCheckOf(ctx, imported->toml, out.empty() ? "config.toml" : out))
    warnings.push_back(problem + " (`config check` fails until this is fixed)");
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (out.empty()) {
    ctx.Print(Json{{"config", imported->toml}, {"warnings", warnings}}, imported->toml);
    return kOk;
  }
  Status st = ctx.Has("--force") ? fs::AtomicWriteFile(out, imported->toml, 0600)
                                 : CreateNew(out, imported->toml);
  if (!st) return Fail(st.error().Describe() + "; nothing written");
  ctx.Print(Json{{"written", out}, {"warnings", warnings}},
            "wrote " + out + " (mode 0600); next: edgectl config check --config " + out);
  return kOk;
}

}  // namespace edgesec::cli
