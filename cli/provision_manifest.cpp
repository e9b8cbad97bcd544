// edgectl provision: the registration manifest (CSV) of a batch.
#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "cli/provision.hpp"
#include "common/x509/details.hpp"
#include "common/x509/time.hpp"

namespace edgesec::cli::provision {

Expected<ManifestRow> RowOf(const std::string& device_id, X509* cert) {
  ManifestRow row;
  row.device_id = device_id;
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
  if (hex == nullptr) return OpenSslError("cannot read the serial number of '" + device_id + "'");
  row.serial = hex;
  OPENSSL_free(hex);
  row.sha256 = x509::Sha256Fingerprint(cert);
  EDGESEC_ASSIGN_OR_RETURN(int64_t not_after, x509::ToEpoch(X509_get0_notAfter(cert)));
  row.not_after = x509::Rfc3339(not_after);
  return row;
}

std::string ManifestText(std::vector<ManifestRow> rows) {
  std::map<std::string, ManifestRow> by_id;
  for (auto& r : rows) by_id[r.device_id] = std::move(r);
  std::string text = std::string(kManifestHeader) + "\n";
  for (const auto& [id, r] : by_id)
    text += r.device_id + "," + r.serial + "," + r.sha256 + "," + r.not_after + "\n";
  return text;
}

Expected<std::vector<ManifestRow>> ParseManifest(const std::string& text) {
  std::vector<ManifestRow> rows;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != kManifestHeader)
        return InvalidParameter("manifest line 1: expected the header '" +
                                std::string(kManifestHeader) + "'");
      continue;
    }
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    if (fields.size() != 4 ||
        std::any_of(fields.begin(), fields.end(), [](const std::string& f) { return f.empty(); }))
      return InvalidParameter("manifest line " + std::to_string(number) +
                              ": expected 4 non-empty fields");
    rows.push_back({fields[0], fields[1], fields[2], fields[3]});
  }
  if (number == 0) return InvalidParameter("manifest is empty: expected a header line");
  return rows;
}

}  // namespace edgesec::cli::provision
