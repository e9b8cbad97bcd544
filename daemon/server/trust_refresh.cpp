#include "daemon/server/trust_refresh.hpp"

#include "common/log.hpp"
#include "common/systemd.hpp"
#include "common/trust_store.hpp"

namespace edgesec::identityd {

void RefreshOsTrust(const Layout& layout, const std::function<Expected<std::string>()>& bundle) {
  if (!trust::Installed(layout)) {
    log::Debug("identityd: the trust bundle is not in the OS store (no '" +
               trust::StoreDir(layout) + "'); nothing to refresh");
    return;
  }
  if (!layout.is_rooted()) {
    if (Status st = systemd::StartUnit(kTrustUnit); !st)
      log::Error("identityd: cannot refresh the OS trust store after the Edge CA change: " +
                 st.error().Describe() + "; run `edgectl trust install` as root");
    else
      log::Notice(std::string("identityd: started ") + kTrustUnit +
                  " to refresh the OS trust store after the Edge CA change");
    return;
  }
  auto pem = bundle();
  auto written =
      pem ? trust::Write(trust::StoreDir(layout), *pem) : Expected<trust::WriteResult>(pem.error());
  if (!written) {
    log::Error("identityd: cannot refresh the trust store files under --root: " +
               written.error().Describe());
    return;
  }
  log::Notice("identityd: refreshed '" + trust::StoreDir(layout) + "' after the Edge CA change (" +
              std::to_string(written->added.size()) + " written, " +
              std::to_string(written->removed.size()) +
              " removed; under --root update-ca-certificates is not run)");
}

}  // namespace edgesec::identityd
