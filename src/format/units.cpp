// Human-readable sizes and durations (docker/go-units v0.5.0, the version
// Podman 4.3 uses) and Go's time formats.
#include "format/units.h"

#include <charconv>
#include <cstdlib>

#include <cstdio>
#include <ctime>
#include <string_view>

#include <fmt/format.h>

#include "util/error.h"

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
  // A blank after the last digit, as Podman's Size() inserts it.
  size_t j = s.find_last_of("0123456789");
  if (j == std::string::npos) return " " + s;
  return s.substr(0, j + 1) + " " + s.substr(j + 1);
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

system_clock::time_point parse_time_spec(std::string_view s, system_clock::time_point now) {
  auto bad = [&]() -> system_clock::time_point { fail("invalid time value {:?}: use RFC 3339, a Unix time or a duration such as 10m", s); };
  if (s.empty()) return bad();
  // A Unix time: seconds, optionally with a fraction.
  if (s.find_first_not_of("0123456789.") == std::string_view::npos) {
    auto dot = s.find('.');
    int64_t secs = 0;
    std::string_view whole = s.substr(0, dot);
    if (whole.empty() || std::from_chars(whole.data(), whole.data() + whole.size(), secs).ec != std::errc()) return bad();
    int64_t nanos = 0;
    if (dot != std::string_view::npos) {
      std::string frac(s.substr(dot + 1));
      if (frac.empty() || frac.size() > 9 || frac.find('.') != std::string::npos) return bad();
      frac.resize(9, '0');
      std::from_chars(frac.data(), frac.data() + frac.size(), nanos);
    }
    return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
        std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
  }
  // A date, or a time without a zone (taken as UTC).
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    std::string t(s);
    if (t.size() == 10) t += "T00:00:00Z";
    else if (t.back() != 'Z' && t.find_first_of("+-", 19) == std::string::npos) t += "Z";
    return parse_rfc3339(t);
  }
  // A Go duration: a sequence of decimal numbers with units.
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == start) return bad();
    double v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
    size_t u = i;
    while (i < s.size() && !((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    std::string_view unit = s.substr(u, i - u);
    bool known = false;
    for (const auto& [name, factor] : kUnits)
      if (unit == name) {
        total += v * factor;
        known = true;
      }
    if (!known) return bad();
  }
  return now - std::chrono::duration_cast<system_clock::duration>(std::chrono::duration<double>(total));
}

}  // namespace cabin::format
