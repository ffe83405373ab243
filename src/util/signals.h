// Signal names as Podman takes them (kill -s, --stop-signal, STOPSIGNAL).
#pragma once

#include <csignal>
#include <string>
#include <string_view>

namespace cabin {

// "SIGTERM", "TERM", "term", "15", "RTMIN+3": the signal number. Throws
// cabin::Error "invalid signal: X" for anything else.
int parse_signal(std::string_view text);
// "SIGTERM" for 15.
std::string signal_name(int sig);

// SIGPIPE ignored while alive: a pipe whose reader has gone is an EPIPE
// error the code can report, not a signal that ends cabin.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &old_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction old_ {};
};

}  // namespace cabin
