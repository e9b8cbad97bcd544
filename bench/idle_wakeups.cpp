// idle-wakeups: what the three daemons cost while nothing happens (issue 14, "event-driven idle").
// Starts keyd, certd and identityd under a temp --root (`edgectl up`), lets them settle for 5 s,
// then watches them idle for 60 s: context switches (voluntary + nonvoluntary, summed over every
// thread, sampled per thread every second so that a thread that ends keeps what it had counted)
// and CPU ticks (utime + stime of the process). Prints per daemon, per minute, with the goal:
//   <daemon> idle: N context switches/min, T CPU ticks/min   goal <= 2   PASS|MISS
// and, for finding a waker, the threads that switched (name, tid, count) and the threads created.
//
//   idle-wakeups [--seconds N] [--settle S] [path/to/edgectl]   (default: 60 s from 5 s after
//   `up`, <build>/edgectl; the daemons are found next to edgectl: EDGESEC_LIBEXECDIR is set to its
//   folder). The keep-alive connections of the start are closed by the daemons 10 s after their
//   last request, inside the default window (a few switches, once): --settle 20 leaves them out.
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/edgectl_root.hpp"

namespace {

constexpr double kGoalPerMinute = 2;
const char* const kDaemons[] = {"keyd", "certd", "identityd"};

int Fail(const std::string& what) {
  std::fprintf(stderr, "idle-wakeups: %s\n", what.c_str());
  return 1;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// voluntary_ctxt_switches + nonvoluntary_ctxt_switches of one thread; -1 when it is gone.
long long Switches(pid_t pid, const std::string& tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + tid + "/status");
  if (!in) return -1;
  long long sum = 0;
  bool seen = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
        line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) {
      sum += std::atoll(line.c_str() + line.find(':') + 1);
      seen = true;
    }
  }
  return seen ? sum : -1;
}

// utime + stime of the whole process (threads that ended included), in clock ticks.
long long CpuTicks(pid_t pid) {
  std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) {
      stime = std::atoll(field.c_str());
      return utime + stime;
    }
  }
  return -1;
}

std::vector<std::string> Tids(pid_t pid) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  ::closedir(dir);
  return out;
}

struct ThreadCount {
  std::string name;
  long long first = 0, last = 0;
};

struct Watched {
  std::string name;
  pid_t pid = 0;
  long long ticks_before = 0, ticks_after = 0;
  std::map<std::string, ThreadCount> threads;  // by tid
  int threads_at_start = 0, threads_created = 0;

  void Sample(bool initial) {
    for (const std::string& tid : Tids(pid)) {
      long long n = Switches(pid, tid);
      if (n < 0) continue;
      auto [it, fresh] = threads.try_emplace(tid);
      if (fresh) {
        std::string comm = ReadText("/proc/" + std::to_string(pid) + "/task/" + tid + "/comm");
        while (!comm.empty() && comm.back() == '\n') comm.pop_back();
        it->second.name = comm;
        // A thread born during the measurement counts from zero.
        it->second.first = initial ? n : 0;
        ++(initial ? threads_at_start : threads_created);
      }
      it->second.last = n;
    }
  }
  long long Total() const {
    long long sum = 0;
    for (const auto& [tid, t] : threads) sum += t.last - t.first;
    return sum;
  }
};

pid_t ReadPid(const std::string& path) {
  return static_cast<pid_t>(std::atol(ReadText(path).c_str()));
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60, settle = 5;
  std::string edgectl;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
      if (seconds <= 0)
        return Fail("--seconds wants a positive number, not '" + std::string(argv[i]) + "'");
    } else if (a == "--settle" && i + 1 < argc) {
      settle = std::atoi(argv[++i]);
      if (settle < 0)
        return Fail("--settle wants a number of seconds, not '" + std::string(argv[i]) + "'");
    } else {
      edgectl = a;
    }
  }
  if (edgectl.empty()) edgectl = edgesec::bench::EdgectlBesideBench();
  ::setenv("EDGESEC_LIBEXECDIR", std::filesystem::path(edgectl).parent_path().c_str(), 1);
  std::string error;
  auto stack = edgesec::bench::EdgectlRoot::Up(edgectl, &error);
  if (!stack) return Fail(error);
  const std::string& root = stack->path();

  std::vector<Watched> daemons;
  for (const char* name : kDaemons) {
    Watched w;
    w.name = name;
    w.pid = ReadPid(root + "/run/edgesec/" + name + ".pid");
    daemons.push_back(w);
  }
  std::this_thread::sleep_for(std::chrono::seconds(settle));
  for (auto& d : daemons) {
    d.Sample(true);
    d.ticks_before = CpuTicks(d.pid);
  }
  auto start = std::chrono::steady_clock::now();
  for (int s = 1; s <= seconds; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    for (auto& d : daemons) d.Sample(false);
  }
  bool all_alive = true;
  for (auto& d : daemons) {
    d.ticks_after = CpuTicks(d.pid);
    if (d.ticks_after < 0 || d.pid <= 0) all_alive = false;
  }
  stack.reset();
  if (!all_alive) return Fail("a daemon was not running through the measurement");

  double per_minute = 60.0 / seconds;
  bool all_pass = true;
  std::printf("idle for %d s, from %d s after 'edgectl up' (per minute, all threads)\n", seconds,
              settle);
  for (const auto& d : daemons) {
    double switches = d.Total() * per_minute;
    double ticks = (d.ticks_after - d.ticks_before) * per_minute;
    bool pass = switches <= kGoalPerMinute;
    all_pass = all_pass && pass;
    std::printf("%s idle: %.1f context switches/min, %.1f CPU ticks/min   goal <= %.0f   %s\n",
                d.name.c_str(), switches, ticks, kGoalPerMinute, pass ? "PASS" : "MISS");
    std::printf("  threads: %d at start, %d created during the run", d.threads_at_start,
                d.threads_created);
    for (const auto& [tid, t] : d.threads)
      if (t.last != t.first)
        std::printf("; %s[%s] %lld", t.name.c_str(), tid.c_str(), t.last - t.first);
    std::printf("\n");
  }
  std::printf("overall: %s\n", all_pass ? "PASS" : "MISS");
  return 0;
}
