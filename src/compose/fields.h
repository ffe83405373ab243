// Internal: the service keys that are one plain member of Service, shared by
// the parser, the merge and the YAML output so that a new key is one line.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compose/model.h"

namespace cabin::compose::detail {

using StringField = std::string Service::*;
using BoolField = bool Service::*;
using ListField = std::vector<std::string> Service::*;

inline const std::map<std::string_view, StringField>& string_fields() {
  static const std::map<std::string_view, StringField> m = {
      {"image", &Service::image}, {"network_mode", &Service::network_mode},
      {"restart", &Service::restart}, {"user", &Service::user},
      {"working_dir", &Service::working_dir}, {"hostname", &Service::hostname},
      {"domainname", &Service::domainname}, {"container_name", &Service::container_name},
      {"stop_signal", &Service::stop_signal}, {"pull_policy", &Service::pull_policy},
      {"platform", &Service::platform}, {"ipc", &Service::ipc}, {"pid", &Service::pid},
      {"shm_size", &Service::shm_size}};
  return m;
}

inline const std::map<std::string_view, BoolField>& bool_fields() {
  static const std::map<std::string_view, BoolField> m = {
      {"tty", &Service::tty}, {"stdin_open", &Service::stdin_open},
      {"privileged", &Service::privileged}, {"read_only", &Service::read_only}};
  return m;
}

// Lists (merged by appending what is not there yet); dns, dns_search and
// tmpfs also take a single string.
inline const std::map<std::string_view, ListField>& list_fields() {
  static const std::map<std::string_view, ListField> m = {
      {"expose", &Service::expose}, {"tmpfs", &Service::tmpfs},
      {"cap_add", &Service::cap_add}, {"cap_drop", &Service::cap_drop},
      {"security_opt", &Service::security_opt}, {"dns", &Service::dns},
      {"dns_search", &Service::dns_search}, {"dns_opt", &Service::dns_opt},
      {"profiles", &Service::profiles}, {"devices", &Service::devices},
      {"group_add", &Service::group_add}};
  return m;
}

template <typename F>
F field(const std::map<std::string_view, F>& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : it->second;
}
inline StringField string_field(std::string_view key) { return field(string_fields(), key); }
inline BoolField bool_field(std::string_view key) { return field(bool_fields(), key); }
inline ListField list_field(std::string_view key) { return field(list_fields(), key); }

}  // namespace cabin::compose::detail
