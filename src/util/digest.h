// Content digests ("sha256:<64 hex>") and a streaming SHA-256.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cabin {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // "sha256:<hex>"; the hasher may not be used afterwards.
  std::string finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

std::string sha256_digest(std::string_view data);

// Checks "algorithm:hex" syntax; only sha256 (64 lowercase hex) is accepted
// for content, matching what registries serve. Throws Error naming the value.
void validate_digest(std::string_view digest);
bool is_valid_digest(std::string_view digest);
// The hex part of "sha256:<hex>".
std::string_view digest_hex(std::string_view digest);

// 64 random lowercase hex digits: an ID for a container or a network.
std::string random_id();

}  // namespace cabin
