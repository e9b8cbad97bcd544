#include "keyd/server/keyd_main.hpp"

int main(int argc, char** argv) {
  return edgesec::keyd::Main(argc, argv);
}
