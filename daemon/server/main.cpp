#include "daemon/server/identityd_main.hpp"

int main(int argc, char** argv) {
  return edgesec::identityd::Main(argc, argv);
}
