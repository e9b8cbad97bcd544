// Corpus replay for builds without libFuzzer (GCC, `-Dfuzzing=false`): feeds every file of each
// directory argument (and each file argument) once to the target, so that the seeds and every crash
// input added to tests/fuzz/corpus/<target>/ run in each `meson test`. A violated property aborts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> Inputs(const char* argument) {
  std::vector<std::filesystem::path> out;
  std::filesystem::path p(argument);
  if (std::filesystem::is_directory(p)) {
    for (const auto& entry : std::filesystem::directory_iterator(p))
      if (entry.is_regular_file()) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
  } else if (std::filesystem::is_regular_file(p)) {
    out.push_back(p);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& path : Inputs(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      // An exact-size heap copy, so that a sanitizer sees any read past the end.
      std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() + (bytes.empty() ? 1 : 0)]);
      std::copy(bytes.begin(), bytes.end(), copy.get());
      std::fprintf(stderr, "replaying %s (%zu bytes)\n", path.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(copy.get(), bytes.size());
      ++count;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "no corpus inputs found in the arguments\n");
    return 1;
  }
  std::printf("%zu inputs replayed\n", count);
  return 0;
}
