#include "common/error.hpp"

#include <cstring>

namespace edgesec {

Error IoError(std::string message, int err) {
  return MakeError(ErrorKind::kIo, std::move(message), std::strerror(err));
}

}  // namespace edgesec
