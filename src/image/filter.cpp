#include "image/filter.h"

#include <fnmatch.h>

#include <chrono>

#include "config/mode.h"
#include "format/units.h"
#include "image/reference.h"
#include "image/report.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::image {
namespace {

bool parse_bool(const std::string& key, const std::string& v) {
  std::string l = to_lower(v);
  if (l == "true" || l == "1") return true;
  if (l == "false" || l == "0") return false;
  fail("invalid {} filter value {:?}: must be true or false", key, v);
}


}  // namespace

int64_t parse_until(const std::string& v) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  if (auto secs = parse_number<int64_t>(v); secs && *secs >= 0) return *secs;
  static constexpr std::pair<char, int64_t> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}};
  for (auto [unit, seconds] : kUnits)
    if (v.size() >= 2 && v.back() == unit)
      if (auto n = parse_number<int64_t>(std::string_view(v).substr(0, v.size() - 1)); n && *n >= 0)
        return *n > now / seconds ? 0 : now - *n * seconds;  // longer ago than 1970: everything
  try {
    return std::chrono::duration_cast<std::chrono::seconds>(
               format::parse_rfc3339(v).time_since_epoch())
        .count();
  } catch (const Error&) {
    fail("invalid until filter value {:?}: want a duration (10m, 2h), RFC 3339 time or unix seconds", v);
  }
}

bool glob_match(std::string_view pattern, std::string_view text) {
  return ::fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), FNM_PATHNAME) == 0;
}

ImageFilter::ImageFilter(const std::vector<std::string>& filters, const storage::Store& store)
    : store_(store), parents_(storage::parent_ids(store.images())) {
  for (const auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos) fail("invalid image filter {:?}: want KEY=VALUE", f);
    std::string key = f.substr(0, eq), value = f.substr(eq + 1);
    static const std::vector<std::string> kKeys = {"reference", "dangling", "label", "label!",
                                                   "before",    "since",    "id",    "digest",
                                                   "readonly",  "until",    "intermediate", "containers"};
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
      fail("unsupported image filter {:?}", key);
    if (key == "dangling" || key == "readonly" || key == "intermediate" || key == "containers")
      parse_bool(key, value);
    if (key == "before" || key == "since") {
      auto rec = store.get_image(value);
      times_.emplace_back(key, unix_seconds(rec.created));
      continue;
    }
    if (key == "until") {
      times_.emplace_back(key, parse_until(value));
      continue;
    }
    auto it = std::find_if(by_key_.begin(), by_key_.end(), [&](auto& p) { return p.first == key; });
    if (it == by_key_.end()) by_key_.push_back({key, {value}});
    else it->second.push_back(value);
  }
}

bool ImageFilter::matches(const storage::ImageRecord& rec) const {
  int64_t created = unix_seconds(rec.created);
  for (const auto& [key, t] : times_) {
    if (key == "before" && !(created < t)) return false;
    if (key == "since" && !(created > t)) return false;
    if (key == "until" && !(created < t)) return false;
  }
  for (const auto& entry : by_key_) {
    // Named, not bound: clang 14 (the sanitizer build) cannot capture a structured binding.
    const std::string& key = entry.first;
    const auto& values = entry.second;
    auto any = [&](auto&& pred) { return std::any_of(values.begin(), values.end(), pred); };
    if (key == "dangling") {
      bool dangling = rec.names.empty() && !parents_.count(rec.id);
      if (!any([&](const std::string& v) { return parse_bool(key, v) == dangling; })) return false;
    } else if (key == "readonly") {
      if (!any([&](const std::string& v) { return !parse_bool(key, v); })) return false;
    } else if (key == "intermediate") {
      bool intermediate = rec.names.empty() && parents_.count(rec.id);
      if (!any([&](const std::string& v) { return parse_bool(key, v) == intermediate; })) return false;
    } else if (key == "containers") {
      if (!any([&](const std::string& v) { return !parse_bool(key, v); })) return false;
    } else if (key == "id") {
      if (!any([&](const std::string& v) { return rec.id.rfind(std::string(digest_hex(v)), 0) == 0; }))
        return false;
    } else if (key == "digest") {
      if (!any([&](const std::string& v) {
            return std::find(rec.digests.begin(), rec.digests.end(), v) != rec.digests.end();
          }))
        return false;
    } else if (key == "reference") {
      bool ok = any([&](const std::string& v) {
        for (const auto& n : rec.names) {
          std::string repo = n.substr(0, n.find('@'));
          auto slash = repo.rfind('/');
          auto colon = repo.rfind(':');
          std::string bare = (colon != std::string::npos && (slash == std::string::npos || colon > slash))
                                 ? repo.substr(0, colon)
                                 : repo;
          // Docker matches the familiar name, with and without its tag.
          if (config::docker_mode()) {
            if (glob_match(v, docker_familiar_name(bare)) || glob_match(v, docker_familiar_name(repo))) return true;
            continue;
          }
          // Podman matches the pattern against the full name, the name
          // without tag, and the familiar (short) forms.
          std::string last = bare.substr(bare.rfind('/') + 1);
          std::string tag_part = repo.size() > bare.size() ? repo.substr(bare.size()) : "";
          for (const auto& cand : {n, repo, bare, last, last + tag_part})
            if (glob_match(v, cand)) return true;
          if (v.find('/') != std::string::npos) {
            // "library/busybox" against "docker.io/library/busybox"
            for (const auto& cand : {bare, repo})
              if (cand.size() > v.size() && glob_match("*/" + v, cand)) return true;
          }
        }
        return false;
      });
      if (!ok) return false;
    } else if (key == "label" || key == "label!") {
      nlohmann::json cfg = load_config(store_, rec);
      nlohmann::json labels = cfg.value("config", nlohmann::json::object()).value("Labels", nlohmann::json::object());
      if (labels.is_null()) labels = nlohmann::json::object();
      for (const auto& v : values) {
        auto eq = v.find('=');
        std::string k = v.substr(0, eq);
        bool has = labels.contains(k) &&
                   (eq == std::string::npos || (labels[k].is_string() && labels[k] == v.substr(eq + 1)));
        if ((key == "label") != has) return false;
      }
    }
  }
  return true;
}

}  // namespace cabin::image
