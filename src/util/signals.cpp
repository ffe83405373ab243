#include "util/signals.h"

#include <signal.h>

#include <array>
#include <charconv>
#include <utility>

#include "util/error.h"
#include "util/strings.h"

namespace cabin {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 31> kSignals{{
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},       {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},       {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"SYS", SIGSYS},
}};

}  // namespace

int parse_signal(std::string_view text) {
  if (auto n = parse_number<int>(text)) {
    if (*n < 1 || *n > SIGRTMAX) fail("invalid signal: {}", text);
    return *n;
  }
  std::string name = to_upper(text);
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (const auto& [k, v] : kSignals)
    if (name == k) return v;
  if (name == "RTMIN") return SIGRTMIN;
  if (name == "RTMAX") return SIGRTMAX;
  auto n = parse_number<int>(std::string_view(name).substr(std::min<size_t>(name.size(), 6)));
  if (n && *n >= 0 && *n <= SIGRTMAX - SIGRTMIN) {
    if (name.rfind("RTMIN+", 0) == 0) return SIGRTMIN + *n;
    if (name.rfind("RTMAX-", 0) == 0) return SIGRTMAX - *n;
  }
  fail("invalid signal: {}", text);
}

std::string signal_name(int sig) {
  for (const auto& [k, v] : kSignals)
    if (v == sig && k != "IOT") return "SIG" + std::string(k);
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
  return std::to_string(sig);
}

}  // namespace cabin
