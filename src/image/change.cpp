#include "image/change.h"

#include <cctype>

#include "util/error.h"
#include "util/strings.h"

namespace cabin::image {
namespace {

using nlohmann::json;

// Exec form (a JSON array of strings) or shell form.
json command_value(std::string_view value, std::string_view change) {
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '[') {
    auto arr = json::parse(v, nullptr, false);
    if (arr.is_discarded() || !arr.is_array())
      fail("invalid change {:?}: malformed JSON array", std::string(change));
    for (const auto& e : arr)
      if (!e.is_string()) fail("invalid change {:?}: array elements must be strings", std::string(change));
    return arr;
  }
  return json::array({"/bin/sh", "-c", std::string(v)});
}

// "k=v k2="v 2"" or the legacy "k v" form (one pair).
std::vector<std::pair<std::string, std::string>> key_values(std::string_view value,
                                                           std::string_view change) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view v = trim(value);
  auto first_space = v.find_first_of(" \t");
  auto first_eq = v.find('=');
  if (first_eq == std::string_view::npos || (first_space != std::string_view::npos && first_space < first_eq)) {
    if (first_space == std::string_view::npos)
      fail("invalid change {:?}: want KEY=VALUE or KEY VALUE", std::string(change));
    out.emplace_back(std::string(v.substr(0, first_space)), std::string(trim(v.substr(first_space))));
    return out;
  }
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
    if (i >= v.size()) break;
    size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) fail("invalid change {:?}: {:?} has no '='", std::string(change), std::string(v.substr(i)));
    std::string key(v.substr(i, eq - i));
    if (key.empty()) fail("invalid change {:?}: empty key", std::string(change));
    i = eq + 1;
    std::string val;
    while (i < v.size() && !std::isspace(static_cast<unsigned char>(v[i]))) {
      char c = v[i];
      if (c == '"' || c == '\'') {
        size_t close = v.find(c, i + 1);
        if (close == std::string_view::npos) fail("invalid change {:?}: unterminated quote", std::string(change));
        val.append(v.substr(i + 1, close - i - 1));
        i = close + 1;
      } else if (c == '\\' && i + 1 < v.size()) {
        val += v[i + 1];
        i += 2;
      } else {
        val += c;
        ++i;
      }
    }
    out.emplace_back(key, val);
  }
  return out;
}

std::vector<std::string> words_or_array(std::string_view value, std::string_view change) {
  std::string_view v = trim(value);
  std::vector<std::string> out;
  if (!v.empty() && v.front() == '[') {
    auto arr = command_value(v, change);
    for (const auto& e : arr) out.push_back(e.get<std::string>());
    return out;
  }
  for (auto& w : split(v, ' '))
    if (!trim(w).empty()) out.emplace_back(trim(w));
  return out;
}

}  // namespace

void apply_change(json& config, std::string_view change) {
  std::string_view c = trim(change);
  size_t sep = c.find_first_of(" \t=");
  if (sep == std::string_view::npos) fail("invalid change {:?}: missing value", std::string(change));
  std::string instr = to_lower(c.substr(0, sep));
  std::string_view value = trim(c.substr(sep + 1));
  if (value.empty()) fail("invalid change {:?}: missing value", std::string(change));
  if (!config.is_object()) config = json::object();
  if (instr == "cmd") {
    config["Cmd"] = command_value(value, change);
  } else if (instr == "entrypoint") {
    config["Entrypoint"] = command_value(value, change);
  } else if (instr == "env") {
    json env = config.value("Env", json::array());
    for (const auto& [k, v] : key_values(value, change)) {
      std::string prefix = k + "=";
      json kept = json::array();
      for (const auto& e : env)
        if (e.get<std::string>().rfind(prefix, 0) != 0) kept.push_back(e);
      kept.push_back(k + "=" + v);
      env = std::move(kept);
    }
    config["Env"] = env;
  } else if (instr == "label") {
    json labels = config.value("Labels", json::object());
    if (labels.is_null()) labels = json::object();
    for (const auto& [k, v] : key_values(value, change)) labels[k] = v;
    config["Labels"] = labels;
  } else if (instr == "expose") {
    json ports = config.value("ExposedPorts", json::object());
    if (ports.is_null()) ports = json::object();
    for (auto p : words_or_array(value, change)) {
      if (p.find('/') == std::string::npos) p += "/tcp";
      auto port = p.substr(0, p.find('/'));
      auto proto = p.substr(p.find('/') + 1);
      if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit) ||
          (proto != "tcp" && proto != "udp" && proto != "sctp"))
        fail("invalid change {:?}: invalid port {:?}", std::string(change), p);
      ports[p] = json::object();
    }
    config["ExposedPorts"] = ports;
  } else if (instr == "volume") {
    json vols = config.value("Volumes", json::object());
    if (vols.is_null()) vols = json::object();
    for (const auto& v : words_or_array(value, change)) vols[v] = json::object();
    config["Volumes"] = vols;
  } else if (instr == "user") {
    config["User"] = std::string(value);
  } else if (instr == "workdir") {
    if (value.empty() || value.front() != '/')
      fail("invalid change {:?}: WORKDIR must be an absolute path", std::string(change));
    config["WorkingDir"] = std::string(value);
  } else if (instr == "stopsignal") {
    config["StopSignal"] = std::string(value);
  } else if (instr == "onbuild") {
    json ob = config.value("OnBuild", json::array());
    if (ob.is_null()) ob = json::array();
    ob.push_back(std::string(value));
    config["OnBuild"] = ob;
  } else {
    fail("invalid change {:?}: {:?} is not a valid change instruction (want CMD, ENTRYPOINT, ENV, "
         "EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME or WORKDIR)",
         std::string(change), std::string(c.substr(0, sep)));
  }
}

}  // namespace cabin::image
