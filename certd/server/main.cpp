#include "certd/server/certd_main.hpp"
int main(int argc, char** argv) {
  return edgesec::certd::Main(argc, argv);
}
