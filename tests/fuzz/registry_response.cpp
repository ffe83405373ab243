// What the registry client reads from a registry (registry/response.h,
// registry/www_authenticate.h). The input is a response: its head (status
// line and header fields, one a line) up to an empty line, then its body.
// Each field goes through the parser the client uses for it; the body is
// read as an error body, a manifest and a token endpoint's answer.
#include "fuzz.h"
#include "registry/response.h"
#include "registry/www_authenticate.h"

using namespace cabin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  auto end = text.find("\r\n\r\n");
  size_t skip = 4;
  if (auto lf = text.find("\n\n"); lf < end) end = lf, skip = 2;
  std::string_view head = text.substr(0, end);
  std::string body(end == text.npos ? std::string_view() : text.substr(end + skip));
  std::string content_type;
  for (size_t at = 0; at <= head.size();) {
    auto nl = head.find('\n', at);
    auto line = head.substr(at, nl == head.npos ? head.npos : nl - at + 1);
    at = nl == head.npos ? head.size() + 1 : nl + 1;
    auto h = registry::parse_head_line(line);
    if (h.kind != registry::HeadLine::Field) continue;
    if (h.name == "www-authenticate") {
      fuzz::refused_ok([&] { (void)registry::parse_www_authenticate(h.value); });
    } else if (h.name == "content-range") {
      uint64_t start = 0;
      std::optional<uint64_t> total;
      (void)registry::parse_content_range(h.value, start, total);
    } else if (h.name == "content-type") {
      content_type = h.value;
    } else {
      (void)registry::parse_u64(h.value);
    }
  }
  (void)registry::registry_detail(body);
  fuzz::refused_ok([&] { (void)registry::manifest_media_type(content_type, body); });
  fuzz::refused_ok([&] {
    auto t = registry::parse_token_response(body);
    // The client adds the lifetime to the steady clock in nanoseconds.
    if (t.lifetime_secs < registry::kMinTokenLifetimeSecs || t.lifetime_secs > registry::kMaxTokenLifetimeSecs) std::abort();
  });
  return 0;
}
