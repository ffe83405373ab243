// Human-readable numbers and times, as Podman prints them (go-units).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cabin::format {

// go-units HumanSizeWithPrecision(size, 3): decimal units, "7.63 MB".
std::string human_size(double bytes);
// go-units HumanDuration: "Less than a second", "2 weeks", "3 months".
std::string human_duration(std::chrono::seconds d);
// human_duration(now - t) + " ago"
std::string time_ago(std::chrono::system_clock::time_point t);
// RFC 3339 with nanoseconds in UTC: "2024-01-02T15:04:05.123456789Z".
std::string rfc3339_nano(std::chrono::system_clock::time_point t);
// Parses RFC 3339 (any offset, optional fraction); throws Error on bad input.
std::chrono::system_clock::time_point parse_rfc3339(std::string_view s);
// Go's time.Time.String() in local time: "2024-01-02 15:04:05.123456789 +0000 UTC".
std::string go_time_string(std::chrono::system_clock::time_point t);

}  // namespace cabin::format
