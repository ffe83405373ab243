// Signal names as Podman takes them (kill -s, --stop-signal, STOPSIGNAL).
#pragma once

#include <string>
#include <string_view>

namespace cabin {

// "SIGTERM", "TERM", "term", "15", "RTMIN+3": the signal number. Throws
// cabin::Error "invalid signal: X" for anything else.
int parse_signal(std::string_view text);
// "SIGTERM" for 15.
std::string signal_name(int sig);

}  // namespace cabin
