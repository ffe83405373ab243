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

bool to_int(std::string_view s, int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

int parse_signal(std::string_view text) {
  int n = 0;
  if (to_int(text, n)) {
    if (n < 1 || n > SIGRTMAX) fail("invalid signal: {}", text);
    return n;
  }
  std::string name = to_upper(text);
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (const auto& [k, v] : kSignals)
    if (name == k) return v;
  if (name == "RTMIN") return SIGRTMIN;
  if (name == "RTMAX") return SIGRTMAX;
  if (name.rfind("RTMIN+", 0) == 0 && to_int(std::string_view(name).substr(6), n) && SIGRTMIN + n <= SIGRTMAX) return SIGRTMIN + n;
  if (name.rfind("RTMAX-", 0) == 0 && to_int(std::string_view(name).substr(6), n) && SIGRTMAX - n >= SIGRTMIN) return SIGRTMAX - n;
  fail("invalid signal: {}", text);
}

std::string signal_name(int sig) {
  for (const auto& [k, v] : kSignals)
    if (v == sig && k != "IOT") return "SIG" + std::string(k);
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
  return std::to_string(sig);
}

}  // namespace cabin
