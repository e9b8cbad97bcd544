#include "cli/cli.hpp"

int main(int argc, char** argv) {
  return edgesec::cli::Main(argc, argv);
}
