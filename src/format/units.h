// Human-readable numbers and times, as Podman prints them (go-units).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cabin::format {

// go-units HumanSizeWithPrecision(size, 3) with a blank before the unit, as
// Podman prints image and container sizes: "7.63 MB", "1.05 kB", "123 B";
// in Docker mode (config/mode.h) without the blank, as Docker prints them.
std::string human_size(double bytes);
// go-units HumanSizeWithPrecision(size, precision) as is, without the blank:
// "7.632MB" for precision 4 (go-units HumanSize, used by `podman system df`).
std::string go_human_size(double bytes, int precision);
// go-units' parseSize: a number (fractions and exponents allowed), then
// k/m/g/t/p with an optional b or ib, case-insensitive, each unit_base
// times the one before: 1000 for FromHumanSize (--log-opt max-size, where
// "1KiB" is still 1000), 1024 for RAMInBytes (--shm-size, --memory,
// compose's sizes). Throws Error "invalid size: '10.x'" or
// "invalid suffix: 'x'", as Podman words them.
uint64_t parse_size(std::string_view value, int unit_base);
// Go's time.ParseDuration ("1h30m", "1.5s", "300ms"); nullopt when it
// does not parse.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s);
// Go's time.Duration.String: "1s", "1m30s", "1h0m0s", "500ms", "0s".
std::string go_duration(std::chrono::nanoseconds d);
// go-units HumanDuration: "Less than a second", "2 weeks", "3 months".
std::string human_duration(std::chrono::seconds d);
// human_duration(now - t) + " ago", with the sub-second part of the
// difference kept as Go's time.Since does.
std::string time_ago(std::chrono::system_clock::time_point t);
std::string time_ago(std::chrono::system_clock::time_point t, std::chrono::system_clock::time_point now);
// RFC 3339 with nanoseconds in UTC: "2024-01-02T15:04:05.123456789Z".
std::string rfc3339_nano(std::chrono::system_clock::time_point t);
// RFC 3339 in local time: the fraction as 9 digits (fixed, Go's
// "…05.000000000Z07:00") or without trailing zeros (Go's RFC3339Nano); a
// zero offset as "Z" when zulu, else "+00:00".
std::string rfc3339_local(std::chrono::system_clock::time_point t, bool fixed_fraction, bool zulu);
// Parses RFC 3339 (any offset, optional fraction); throws Error on bad input.
std::chrono::system_clock::time_point parse_rfc3339(std::string_view s);
// Podman's util.ParseInputTime, for --since and --until: RFC 3339 (with or
// without fraction), "2006-01-02T15:04:05[.fraction]" (UTC), "2006-01-02",
// "2006-01-02Z07:00", Unix seconds with an optional fraction, or a Go
// duration ("10m", "1h30m", "1.5s") before now (since) or after now (until).
// Throws cabin::Error "unable to interpret time value".
std::chrono::system_clock::time_point parse_input_time(std::string_view s, bool since,
                                                       std::chrono::system_clock::time_point now);

// Go's time.Time.String() in local time: "2024-01-02 15:04:05.123456789 +0000 UTC".
std::string go_time_string(std::chrono::system_clock::time_point t);
// The same in UTC: Podman prints image CreatedAt as time.Unix(…).UTC().String(),
// "2024-01-02 15:04:05 +0000 UTC".
std::string go_time_string_utc(std::chrono::system_clock::time_point t);

}  // namespace cabin::format
