// Image references as Docker and Podman parse and normalise them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cabin::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "localhost", "quay.io"
  std::string path;    // "library/alpine"
  std::string tag;     // empty when only a digest was given
  std::string digest;  // "sha256:<hex>", or empty

  std::string name() const;    // domain/path
  std::string string() const;  // name[:tag][@digest]
  bool operator==(const Reference&) const = default;
};

struct ParsedReference {
  Reference ref;         // normalised: default tag added when neither tag nor digest
  bool qualified;        // the input named a registry (domain) explicitly
  std::string original;  // the input text
};

// Parses IMAGE[:TAG][@DIGEST]. A first component counts as a domain when it
// contains '.' or ':' or is "localhost" (Docker's rule). Unqualified names get
// domain docker.io (and "library/" for one-component paths) in ref, with
// qualified=false so callers can apply short-name resolution instead.
// Throws cabin::Error with Podman-like messages ("invalid reference format",
// "repository name must be lowercase") naming the input.
ParsedReference parse_reference(std::string_view input);

// True for a 64-hex image ID or a unique-prefix candidate (3..64 hex chars).
bool looks_like_id(std::string_view s);

}  // namespace cabin::image
