#pragma once
// Keeps the OS trust store in step with an Edge CA rollover, when the integrator put the trust
// bundle there (`edgectl trust install`; its folder DIR/usr/local/share/ca-certificates/edgesec is
// the marker — without it nothing happens):
// - system layout: starts the root oneshot edgesec-trust.service (`edgectl trust install --quiet`)
//   through systemd's D-Bus API. identityd runs sandboxed as edgeid and cannot run
//   update-ca-certificates itself; the package's polkit rule lets edgeid start exactly that unit.
// - under --root (no systemd): writes the bundle's files itself, as `edgectl --root DIR trust
//   install` does (never update-ca-certificates: that would change the host's store).
// Failures are logged, never fatal: the trust bundle served on the sockets is already the new one.

#include <functional>
#include <string>

#include "common/error.hpp"
#include "common/paths.hpp"

namespace edgesec::identityd {

inline constexpr const char* kTrustUnit = "edgesec-trust.service";

void RefreshOsTrust(const Layout& layout, const std::function<Expected<std::string>()>& bundle);

}  // namespace edgesec::identityd
