#include "registry/response.h"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/strings.h"

namespace cabin::registry {

HeadLine parse_head_line(std::string_view line) {
  HeadLine h;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    h.kind = HeadLine::Status;
    auto sp = line.find(' ');
    if (sp != line.npos) {
      if (auto code = parse_u64(line.substr(sp + 1, 3))) h.status = static_cast<long>(*code);
    }
  } else if (auto colon = line.find(':'); colon != line.npos && colon > 0) {
    h.kind = HeadLine::Field;
    h.name = to_lower(trim(line.substr(0, colon)));
    h.value = std::string(trim(line.substr(colon + 1)));
  }
  return h;
}

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

bool parse_content_range(std::string_view v, uint64_t& start, std::optional<uint64_t>& total) {
  v = trim(v);
  if (!starts_with_ci(v, "bytes ")) return false;
  v.remove_prefix(6);
  auto dash = v.find('-');
  auto slash = v.find('/');
  if (dash == v.npos || slash == v.npos || slash < dash) return false;
  auto first = parse_number<uint64_t>(v.substr(0, dash));
  if (!first) return false;
  start = *first;
  if (auto t = v.substr(slash + 1); t != "*") {
    total = parse_number<uint64_t>(t);
    if (!total) return false;
  }
  return true;
}

std::optional<uint64_t> parse_u64(std::string_view v) {
  v = trim(v);
  if (v.empty() || v.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::string registry_detail(const std::string& body) {
  if (body.empty()) return "";
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array() || j["errors"].empty())
    return "";
  const auto& e = j["errors"][0];
  if (!e.is_object()) return "";
  std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  std::string message =
      e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
  std::string code_text = to_lower(code);
  std::replace(code_text.begin(), code_text.end(), '_', ' ');
  std::string out;
  if (message.empty() || to_lower(message) == code_text) {
    out = code_text;
  } else if (code_text.empty()) {
    out = message;
  } else {
    out = fmt::format("{}: {}", code_text, message);
  }
  return one_line(out);
}

std::string manifest_media_type(const std::string& content_type, const std::string& body) {
  std::string ct = to_lower(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
  std::string body_type;
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string())
    body_type = j["mediaType"].get<std::string>();
  bool specific = ct.rfind("application/vnd.", 0) == 0;
  if (specific) {
    if (!body_type.empty() && body_type != ct)
      fail("manifest media type mismatch: Content-Type is {} but the manifest says {}", ct, body_type);
    return ct;
  }
  return body_type.empty() ? ct : body_type;
}

TokenAnswer parse_token_response(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) fail("requesting bearer token: the response is not a JSON object");
  TokenAnswer t;
  for (const char* key : {"token", "access_token"}) {
    if (j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty()) {
      t.token = j[key].get<std::string>();
      break;
    }
  }
  if (t.token.empty()) fail("requesting bearer token: the response holds no token");
  t.lifetime_secs = kMinTokenLifetimeSecs;
  // Bounded above too: the expiry is now + lifetime on the steady clock, in
  // nanoseconds, which a huge expires_in would overflow.
  if (j.contains("expires_in") && j["expires_in"].is_number_integer())
    t.lifetime_secs = std::clamp(j["expires_in"].get<int64_t>(), kMinTokenLifetimeSecs, kMaxTokenLifetimeSecs);
  return t;
}

}  // namespace cabin::registry
