// Human-readable sizes and durations (docker/go-units v0.5.0, the version
// Podman 4.3 uses) and Go's time formats.
#include "format/units.h"

#include <charconv>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <cstdio>
#include <ctime>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "config/mode.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::format {

namespace {

using std::chrono::nanoseconds;
using std::chrono::system_clock;

// HumanDuration on nanoseconds, as go-units computes it from a
// time.Duration: seconds and minutes truncated, hours rounded.
std::string duration_ns(int64_t ns) {
  double d = static_cast<double>(ns);
  auto seconds = static_cast<int64_t>(d / 1e9);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  auto minutes = static_cast<int64_t>(d / 6e10);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  auto hours = static_cast<int64_t>(d / 3.6e12 + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", static_cast<int64_t>(d / 3.6e12) / 24 / 365);
}

struct Split {
  std::tm tm{};
  int64_t nanos = 0;  // 0 … 999999999
};

Split split_time(system_clock::time_point t, bool utc) {
  auto ns = std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  Split s;
  auto tt = static_cast<std::time_t>(secs);
  if (utc)
    ::gmtime_r(&tt, &s.tm);
  else
    ::localtime_r(&tt, &s.tm);
  s.nanos = frac;
  return s;
}

// Go's ".999999999": the fraction without trailing zeros, nothing when zero.
std::string fraction(int64_t nanos) {
  if (nanos == 0) return "";
  std::string f = fmt::format(".{:09}", nanos);
  while (f.back() == '0') f.pop_back();
  return f;
}

std::string time_string(system_clock::time_point t, bool utc) {
  Split s = split_time(t, utc);
  std::string out = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}", s.tm.tm_year + 1900, s.tm.tm_mon + 1,
                                s.tm.tm_mday, s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec, fraction(s.nanos));
  long off = utc ? 0 : s.tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  long m = (off < 0 ? -off : off) / 60;
  out += fmt::format(" {}{:02}{:02}", sign, m / 60, m % 60);
  std::string zone = utc ? "UTC" : (s.tm.tm_zone != nullptr ? s.tm.tm_zone : "");
  // Go prints the offset again when the zone has no abbreviation.
  out += " " + (zone.empty() ? fmt::format("{}{:02}{:02}", sign, m / 60, m % 60) : zone);
  return out;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

system_clock::time_point from_unix_nanos(long double ns) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      nanoseconds(static_cast<int64_t>(ns))));
}

// Go's time.ParseDuration, in nanoseconds; nullopt when it does not parse.
std::optional<long double> parse_go_duration(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0.0L;
  if (s.empty()) return std::nullopt;
  static const std::pair<std::string_view, long double> kUnits[] = {
      {"ns", 1.0L},  {"us", 1e3L},   {"\xc2\xb5s", 1e3L}, {"\xce\xbcs", 1e3L},
      {"ms", 1e6L},  {"s", 1e9L},    {"m", 60e9L},        {"h", 3600e9L},
  };
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      digits = true;
      ++i;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += (s[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) return std::nullopt;
    size_t u = i;
    while (u < s.size() && s[u] != '.' && (s[u] < '0' || s[u] > '9')) ++u;
    std::string_view unit = s.substr(i, u - i);
    if (unit.empty()) return std::nullopt;  // Go: "missing unit in duration"
    bool known = false;
    for (const auto& [name, factor] : kUnits) {
      if (unit == name) {
        total += value * factor;
        known = true;
        break;
      }
    }
    if (!known) return std::nullopt;
    s.remove_prefix(u);
  }
  if (total > 9.223372036854775807e18L) return std::nullopt;  // Go: "invalid duration"
  return neg ? -total : total;
}

// Go's strconv.ParseFloat for finite decimal (or hex) numbers.
std::optional<long double> parse_float(std::string_view s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  std::string str(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(str.c_str(), &end);
  if (end != str.c_str() + str.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

std::string go_human_size(double bytes, int precision) {
  static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  size_t i = 0;
  while (bytes >= 1000.0 && i + 1 < std::size(units)) {
    bytes /= 1000.0;
    ++i;
  }
  // Go's %.*g with an explicit precision prints as C's does.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, bytes, units[i]);
  return buf;
}

std::string human_size(double bytes) {
  std::string s = go_human_size(bytes, 3);
  if (config::docker_mode()) return s;  // Docker prints "4.26MB"
  // A blank after the last digit, as Podman's Size() inserts it.
  size_t j = s.find_last_of("0123456789");
  if (j == std::string::npos) return " " + s;
  return s.substr(0, j + 1) + " " + s.substr(j + 1);
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s) {
  auto ns = parse_go_duration(s);
  if (!ns) return std::nullopt;
  return nanoseconds(static_cast<int64_t>(*ns));
}

std::string go_duration(nanoseconds d) {
  int64_t ns = d.count();
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  // v / unit with the fraction's trailing zeros dropped.
  auto decimal = [](uint64_t v, uint64_t unit) {
    std::string s = std::to_string(v / unit);
    if (uint64_t f = v % unit) {
      std::string digits = fmt::format("{:0{}}", f, std::to_string(unit).size() - 1);
      s += "." + digits.substr(0, digits.find_last_not_of('0') + 1);
    }
    return s;
  };
  std::string out;
  if (u == 0) return "0s";
  if (u < 1000) out = decimal(u, 1) + "ns";
  else if (u < 1000000) out = decimal(u, 1000) + "µs";
  else if (u < 1000000000) out = decimal(u, 1000000) + "ms";
  else {
    uint64_t minutes = u / 60000000000, hours = minutes / 60;
    if (hours) out += std::to_string(hours) + "h";
    if (minutes) out += std::to_string(minutes % 60) + "m";
    out += decimal(u % 60000000000, 1000000000) + "s";
  }
  return ns < 0 ? "-" + out : out;
}

std::string human_duration(std::chrono::seconds d) {
  return duration_ns(std::chrono::duration_cast<nanoseconds>(d).count());
}

std::string time_ago(system_clock::time_point t) { return time_ago(t, system_clock::now()); }

std::string time_ago(system_clock::time_point t, system_clock::time_point now) {
  return duration_ns(std::chrono::duration_cast<nanoseconds>(now - t).count()) + " ago";
}

std::string rfc3339_nano(system_clock::time_point t) {
  Split s = split_time(t, true);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z", s.tm.tm_year + 1900, s.tm.tm_mon + 1, s.tm.tm_mday,
                     s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec, fraction(s.nanos));
}

std::string rfc3339_local(system_clock::time_point t, bool fixed_fraction, bool zulu) {
  Split s = split_time(t, false);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", s.tm.tm_year + 1900, s.tm.tm_mon + 1,
                                s.tm.tm_mday, s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec,
                                fixed_fraction ? fmt::format(".{:09}", s.nanos) : fraction(s.nanos));
  long off = s.tm.tm_gmtoff;
  if (off == 0 && zulu) return out + "Z";
  char sign = off < 0 ? '-' : '+';
  long m = (off < 0 ? -off : off) / 60;
  return out + fmt::format("{}{:02}:{:02}", sign, m / 60, m % 60);
}

system_clock::time_point parse_rfc3339(std::string_view s) {
  auto bad = [&](std::string_view why) -> system_clock::time_point {
    fail("parsing time \"{}\" as RFC 3339: {}", s, why);
  };
  size_t i = 0;
  auto digits = [&](size_t n, int* out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    i += n;
    return true;
  };
  auto lit = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int year, mon, day, hour, min, sec;
  if (!digits(4, &year) || !lit('-') || !digits(2, &mon) || !lit('-') || !digits(2, &day))
    return bad("want YYYY-MM-DD");
  if (!lit('T')) return bad("want T between date and time");
  if (!digits(2, &hour) || !lit(':') || !digits(2, &min) || !lit(':') || !digits(2, &sec))
    return bad("want hh:mm:ss");
  if (mon < 1 || mon > 12) return bad("month out of range");
  if (day < 1 || day > days_in_month(year, mon)) return bad("day out of range");
  if (hour > 23) return bad("hour out of range");
  if (min > 59) return bad("minute out of range");
  if (sec > 59) return bad("second out of range");
  int64_t nanos = 0;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    size_t start = i;
    int64_t scale = 100000000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      nanos += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return bad("want digits after the decimal point");
  }
  long offset = 0;
  if (lit('Z')) {
    offset = 0;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!digits(2, &oh) || !lit(':') || !digits(2, &om)) return bad("want a zone offset ±hh:mm");
    if (oh > 23 || om > 59) return bad("time zone offset out of range");
    offset = sign * (oh * 3600L + om * 60L);
  } else {
    return bad("want Z or a zone offset");
  }
  if (i != s.size()) return bad("extra text at the end");
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(::timegm(&tm)) - offset;
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(std::chrono::seconds(secs) + nanoseconds(nanos)));
}

std::string go_time_string(system_clock::time_point t) { return time_string(t, false); }

std::string go_time_string_utc(system_clock::time_point t) { return time_string(t, true); }

system_clock::time_point parse_input_time(std::string_view text, bool since, system_clock::time_point now) {
  auto try_rfc3339 = [](const std::string& s) -> std::optional<system_clock::time_point> {
    try {
      return format::parse_rfc3339(s);
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  std::string s(text);
  // time.RFC3339Nano, time.RFC3339
  if (auto t = try_rfc3339(s)) return *t;
  bool dated = s.size() >= 10 && s[4] == '-' && s[7] == '-';
  if (dated && s.size() == 10) {  // "2006-01-02", UTC
    if (auto t = try_rfc3339(s + "T00:00:00Z")) return *t;
  } else if (dated && s[10] == 'T') {  // "2006-01-02T15:04:05[.999999999]", UTC
    if (auto t = try_rfc3339(s + "Z")) return *t;
  } else if (dated && (s[10] == 'Z' || s[10] == '+' || s[10] == '-')) {  // "2006-01-02Z07:00"
    if (auto t = try_rfc3339(s.substr(0, 10) + "T00:00:00" + s.substr(10))) return *t;
  }
  // Unix seconds, with a fraction.
  if (auto v = parse_float(s)) {
    long double ipart;
    long double fpart = std::modf(*v, &ipart);
    return from_unix_nanos(ipart * 1e9L + std::trunc(fpart * 1e9L));
  }
  // A duration before (since) or after (until) now.
  if (auto d = parse_go_duration(s)) {
    auto delta = std::chrono::duration_cast<system_clock::duration>(nanoseconds(static_cast<int64_t>(*d)));
    return since ? now - delta : now + delta;
  }
  fail("unable to interpret time value");
}

uint64_t parse_size(std::string_view value, int unit_base) {
  // go-units parseSize: the number runs to the last digit, dot or blank; a
  // blank between number and unit is dropped.
  size_t sep = value.find_last_of("0123456789. ");
  if (sep == std::string_view::npos) fail("invalid size: '{}'", value);
  std::string_view num = value.substr(0, value[sep] == ' ' ? sep : sep + 1);
  std::string_view sfx = value.substr(sep + 1);
  // strconv.ParseFloat's decimal syntax: [+]digits[.digits][e[±]digits].
  std::string_view digits = num;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  auto parsed = parse_number<double>(digits);
  if (!parsed || digits[0] == '-') fail("invalid size: '{}'", value);
  double size = *parsed;
  if (!sfx.empty()) {
    if (sfx.size() > 3) fail("invalid suffix: '{}'", sfx);
    std::string lower;
    for (char ch : sfx) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    if (lower[0] == 'b') {
      if (lower.size() > 1) fail("invalid suffix: '{}'", lower);
    } else {
      static constexpr std::string_view kUnits = "kmgtp";
      size_t unit = kUnits.find(lower[0]);
      if (unit == std::string_view::npos) fail("invalid suffix: '{}'", lower);
      if ((lower.size() == 2 && lower[1] != 'b') || (lower.size() == 3 && lower.substr(1) != "ib"))
        fail("invalid suffix: '{}'", lower);
      for (size_t i = 0; i <= unit; ++i) size *= unit_base;
    }
  }
  if (!(size < 9223372036854775808.0)) fail("invalid size: '{}'", value);
  return static_cast<uint64_t>(size);
}

}  // namespace cabin::format
