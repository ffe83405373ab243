#include "util/digest.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>
#include <openssl/evp.h>

#include <array>
#include <mutex>

#include "util/error.h"

namespace cabin {
namespace {

// libcrypto is opened on the first hash rather than linked: most commands
// never hash, and loading it costs every process several milliseconds.
struct Crypto {
  EVP_MD_CTX* (*ctx_new)();
  void (*ctx_free)(EVP_MD_CTX*);
  const EVP_MD* (*sha256)();
  int (*init)(EVP_MD_CTX*, const EVP_MD*, ENGINE*);
  int (*update)(EVP_MD_CTX*, const void*, size_t);
  int (*final)(EVP_MD_CTX*, unsigned char*, unsigned int*);
};

const Crypto& crypto() {
  static Crypto c;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_GLOBAL);
    if (!h) fail("load libcrypto.so.3 (OpenSSL 3): {}", ::dlerror());
    auto sym = [&](const char* name) {
      void* p = ::dlsym(h, name);
      if (!p) fail("libcrypto.so.3 has no {}", name);
      return p;
    };
    c.ctx_new = reinterpret_cast<decltype(c.ctx_new)>(sym("EVP_MD_CTX_new"));
    c.ctx_free = reinterpret_cast<decltype(c.ctx_free)>(sym("EVP_MD_CTX_free"));
    c.sha256 = reinterpret_cast<decltype(c.sha256)>(sym("EVP_sha256"));
    c.init = reinterpret_cast<decltype(c.init)>(sym("EVP_DigestInit_ex"));
    c.update = reinterpret_cast<decltype(c.update)>(sym("EVP_DigestUpdate"));
    c.final = reinterpret_cast<decltype(c.final)>(sym("EVP_DigestFinal_ex"));
  });
  return c;
}

}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) crypto().ctx_free(ctx);
  }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  const Crypto& c = crypto();
  impl_->ctx = c.ctx_new();
  if (!impl_->ctx || c.init(impl_->ctx, c.sha256(), nullptr) != 1) fail("initialise sha256");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t len) {
  crypto().update(impl_->ctx, data, len);
  bytes_ += len;
}

std::string Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  crypto().final(impl_->ctx, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

bool is_valid_digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || digest.substr(0, kPrefix.size()) != kPrefix)
    return false;
  for (char c : digest.substr(kPrefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void validate_digest(std::string_view digest) {
  if (!is_valid_digest(digest))
    fail("invalid digest {:?}: want sha256: and 64 lowercase hex digits", std::string(digest));
}

std::string_view digest_hex(std::string_view digest) {
  auto colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

std::string random_id() {
  std::array<unsigned char, 32> bytes{};
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::read(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    throw_errno("read /dev/urandom");
  ::close(fd);
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

}  // namespace cabin
