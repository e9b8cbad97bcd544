// edgectl provision --ca CERT --ca-key KEY --count N --out DIR: a factory batch of device
// identities. Each device directory is made whole in DIR/.tmp-<id> and renamed into place, so a
// run killed at any moment leaves whole devices and at most one half-made one, which a rerun with
// the same arguments discards and makes again; the manifest is rebuilt from the directories.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "cli/provision.hpp"
#include "common/fs.hpp"
#include "common/x509/keygen.hpp"
#include "common/x509/validate.hpp"

namespace edgesec::cli::provision {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* kTmpPrefix = ".tmp-";

struct Existing {
  std::map<long, ManifestRow> devices;  // whole devices of this prefix, by number
  std::set<long> half_made;             // .tmp-<id> directories of this prefix
  std::vector<std::string> leftovers;   // .tmp-* directories and manifest temp files to remove
};

std::string KeyFileFor(const std::string& engine) {
  return engine == "file" ? "key.pem" : "key.uri";
}

// One whole device directory of an earlier run: it must hold this engine's key file and a chain
// whose leaf this CA signed.
Expected<ManifestRow> CheckDevice(const BatchArgs& a, const Ca& ca, const std::string& id) {
  std::string dir = a.out + "/" + id;
  if (!fs::Exists(dir + "/" + KeyFileFor(a.engine)))
    return InvalidParameter("device '" + dir + "' has no " + KeyFileFor(a.engine) +
                            ": it was made with another --engine");
  auto pem = fs::ReadFile(dir + "/cert.pem", 1 << 20);
  if (!pem) return InvalidParameter("device '" + dir + "': " + pem.error().Describe());
  auto chain = x509::ParsePemChain(*pem);
  if (!chain) return InvalidParameter("device '" + dir + "/cert.pem': " + chain.error().message);
  if (auto st = x509::CheckIssued(ca.chain[0].get(), (*chain)[0].get(), 1); !st)
    return InvalidParameter("device '" + dir + "' was not signed by CA '" + a.ca_cert +
                            "': a rerun must use the CA that made the batch in '" + a.out + "'");
  return RowOf(id, (*chain)[0].get());
}

// What an earlier run left in DIR. Reads only; refuses devices of another CA, engine or prefix.
Expected<Existing> Scan(const BatchArgs& a, const Ca& ca) {
  Existing e;
  std::error_code ec;
  if (!stdfs::exists(a.out, ec)) return e;
  if (!stdfs::is_directory(a.out, ec))
    return InvalidParameter("--out '" + a.out + "' is not a directory");
  std::string manifest_tmp = stdfs::path(a.manifest).filename().string() + kTmpPrefix;
  bool manifest_here = stdfs::path(a.manifest).parent_path() == stdfs::path(a.out);
  for (const auto& entry : stdfs::directory_iterator(a.out, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && name.rfind(kTmpPrefix, 0) == 0) {
      e.leftovers.push_back(entry.path().string());
      if (long n = DeviceNumber(a.prefix, name.substr(std::string(kTmpPrefix).size())); n > 0)
        e.half_made.insert(n);
    } else if (entry.is_directory(ec)) {
      long n = DeviceNumber(a.prefix, name);
      if (n == 0 && fs::Exists(entry.path().string() + "/cert.pem"))
        return InvalidParameter("--out '" + a.out + "' holds device '" + name +
                                "' of another batch (not --prefix '" + a.prefix +
                                "'): use another --out");
      if (n == 0) continue;
      EDGESEC_ASSIGN_OR_RETURN(e.devices[n], CheckDevice(a, ca, name));
    } else if (manifest_here && name.rfind(manifest_tmp, 0) == 0) {
      e.leftovers.push_back(entry.path().string());
    }
  }
  if (ec) return IoError("cannot list '" + a.out + "'", ec.value());
  if (!manifest_here) {  // --manifest elsewhere: its temp files there
    stdfs::path parent = stdfs::path(a.manifest).parent_path();
    for (const auto& entry : stdfs::directory_iterator(parent.empty() ? "." : parent, ec))
      if (entry.path().filename().string().rfind(manifest_tmp, 0) == 0)
        e.leftovers.push_back(entry.path().string());
  }
  return e;
}

// A new file in the .tmp directory, on disk before the directory is renamed: no temp file and
// rename of its own (the directory's rename is the commit), so four fsyncs per device in all.
Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return IoError("cannot create '" + path + "'", errno);
  ssize_t written = ::write(fd, data.data(), data.size());
  int err = written == static_cast<ssize_t>(data.size()) ? 0 : (written < 0 ? errno : EIO);
  if (err == 0 && ::fchmod(fd, mode) != 0) err = errno;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err != 0) return IoError("cannot write '" + path + "'", err);
  return {};
}

Status WriteKey(const BatchArgs& a, const std::shared_ptr<keyd::KeydClient>& keyd,
                const std::string& id, const std::string& tmp, bool key_may_exist,
                EvpPkeyPtr* key) {
  if (a.engine == "file") {
    EDGESEC_ASSIGN_OR_RETURN(*key, x509::GenerateKey(a.key_type));
    EDGESEC_ASSIGN_OR_RETURN(std::string pem, PrivateKeyToPkcs8Pem(key->get()));
    return WriteNewFile(tmp + "/key.pem", pem, 0600);
  }
  // The .tmp directory is on disk before the keyd key exists: a rerun knows the key is this
  // batch's.
  EDGESEC_TRY(fs::FsyncDirectoryOf(tmp));
  auto made = KeydKey(keyd, id, a.key_type, a.engine, !key_may_exist);
  if (!made) {
    // A refusal (another batch's key, another engine) leaves no key of this batch: no .tmp either.
    std::error_code ec;
    if (made.error().kind == ErrorKind::kInvalidParameter) stdfs::remove_all(tmp, ec);
    return made.error();
  }
  *key = std::move(*made);
  return WriteNewFile(tmp + "/key.uri", "edgesec:" + id + "\n", 0644);
}

// Device `n`, made whole in DIR/.tmp-<id> and renamed to DIR/<id>.
Expected<ManifestRow> MakeDevice(const BatchArgs& a, const Ca& ca,
                                 const std::shared_ptr<keyd::KeydClient>& keyd, long n,
                                 bool key_may_exist) {
  std::string id = DeviceId(a.prefix, n);
  std::string tmp = a.out + "/" + kTmpPrefix + id, dir = a.out + "/" + id;
  if (::mkdir(tmp.c_str(), 0755) != 0) return IoError("cannot create '" + tmp + "'", errno);
  EvpPkeyPtr key;
  EDGESEC_TRY(WriteKey(a, keyd, id, tmp, key_may_exist, &key));
  EDGESEC_ASSIGN_OR_RETURN(X509Ptr cert,
                           IssueLeaf(ca, {id, key.get(), a.days, std::time(nullptr)}));
  EDGESEC_ASSIGN_OR_RETURN(std::string leaf, x509::ToPem(cert.get()));
  EDGESEC_TRY(WriteNewFile(tmp + "/cert.pem", leaf + ca.chain_pem, 0644));
  EDGESEC_TRY(fs::FsyncDirectoryOf(tmp + "/cert.pem"));  // the .tmp directory itself
  if (::rename(tmp.c_str(), dir.c_str()) != 0)
    return IoError("cannot rename '" + tmp + "' to '" + dir + "'", errno);
  EDGESEC_TRY(fs::FsyncDirectoryOf(dir));
  return RowOf(id, cert.get());
}

Status RemoveLeftovers(const Existing& e) {
  for (const auto& path : e.leftovers) {
    std::error_code ec;
    stdfs::remove_all(path, ec);
    if (ec) return IoError("cannot remove the half-made '" + path + "'", ec.value());
  }
  return e.leftovers.empty() ? Status{} : fs::FsyncDirectoryOf(e.leftovers.front());
}

// An exclusive flock on DIR itself (no lock file: a refused run writes nothing), so that two runs
// on one batch directory do not take each other's .tmp directories for half-made devices.
class DirLock {
 public:
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Lock(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) return IoError("cannot open '" + dir + "'", errno);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
      return errno == EWOULDBLOCK
                 ? InvalidParameter("another edgectl provision is running on '" + dir + "'")
                 : IoError("cannot lock '" + dir + "'", errno);
    return {};
  }

 private:
  int fd_ = -1;
};

struct Outcome {
  long made = 0, kept = 0;
  double seconds = 0;
};

void Report(const Context& ctx, const BatchArgs& a, const Outcome& o, long total) {
  std::string text = "made " + std::to_string(o.made) + ", kept " + std::to_string(o.kept) + ": " +
                     std::to_string(total) + " devices in '" + a.out + "', manifest '" +
                     a.manifest + "'";
  if (total > a.count)
    text += " (the directory holds more devices than --count " + std::to_string(a.count) + ")";
  double per = o.made > 0 ? 1000 * o.seconds / static_cast<double>(o.made) : 0.0;
  char timing[64] = "";
  if (o.made > 0) std::snprintf(timing, sizeof timing, "; %.2f ms per identity", per);
  ctx.Print({{"made", o.made},
             {"kept", o.kept},
             {"devices", total},
             {"out", a.out},
             {"manifest", a.manifest},
             {"msPerIdentity", per}},
            text + timing);
}

}  // namespace

int RunBatch(Context& ctx) {
  auto args = ParseBatchArgs(ctx);
  if (!args) {
    std::fprintf(stderr, "edgectl provision: %s; see --help\n", args.error().message.c_str());
    return kUsage;
  }
  const BatchArgs& a = *args;
  auto ca = LoadCa(a.ca_cert, a.ca_key, ctx.layout);
  if (!ca) return Fail("provision: " + ca.error().Describe());
  std::string manifest_dir = stdfs::path(a.manifest).parent_path().string();
  if (!manifest_dir.empty() && stdfs::path(manifest_dir) != stdfs::path(a.out) &&
      !stdfs::is_directory(manifest_dir))
    return Fail("provision: --manifest '" + a.manifest + "': directory '" + manifest_dir +
                "' does not exist");
  if (!fs::Exists(a.out))
    if (auto st = fs::MakeDirs(a.out, 0755); !st)
      return Fail("provision: " + st.error().Describe());
  DirLock lock;
  if (auto st = lock.Lock(a.out); !st) return Fail("provision: " + st.error().Describe());
  auto existing = Scan(a, *ca);
  if (!existing) return Fail("provision: " + existing.error().Describe());
  Existing& e = *existing;
  if (auto st = RemoveLeftovers(e); !st) return Fail("provision: " + st.error().Describe());
  std::shared_ptr<keyd::KeydClient> keyd = a.engine == "file" ? nullptr : KeydFor(ctx.layout);
  Outcome o;
  o.kept = static_cast<long>(e.devices.size());
  long step = std::max(1L, a.count / 20);
  auto start = std::chrono::steady_clock::now();
  Status status;
  for (long n = 1; n <= a.count && status; ++n) {
    if (e.devices.count(n) != 0) continue;
    auto row = MakeDevice(a, *ca, keyd, n, e.half_made.count(n) != 0);
    if (!row) {
      // A failed device's .tmp directory goes, unless a keyd key may exist: then a rerun must see
      // that the key is this batch's (it discards the directory and reuses the key).
      std::error_code ec;
      if (a.engine == "file")
        stdfs::remove_all(a.out + "/" + kTmpPrefix + DeviceId(a.prefix, n), ec);
      status = row.error().Context("device '" + DeviceId(a.prefix, n) + "'");
      break;
    }
    e.devices[n] = std::move(*row);
    ++o.made;
    if (n % step == 0 || n == a.count)
      std::fprintf(stderr, "edgectl provision: %ld/%ld %s\n", n, a.count,
                   DeviceId(a.prefix, n).c_str());
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<ManifestRow> rows;
  for (const auto& [n, row] : e.devices) rows.push_back(row);
  if (rows.empty() && !status) return Fail("provision: " + status.error().Describe());
  if (auto st = fs::AtomicWriteFile(a.manifest, ManifestText(rows), 0644); !st && status)
    status = st.error().Context("writing the manifest");
  if (!status)
    return Fail("provision: " + status.error().Describe() + " (" + std::to_string(o.made) +
                " made; rerun the same command to go on)");
  Report(ctx, a, o, static_cast<long>(e.devices.size()));
  return kOk;
}

}  // namespace edgesec::cli::provision
