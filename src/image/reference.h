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
  bool qualified = false;  // the input named a registry (domain) explicitly
  std::string original;  // the input text
};

// Parses IMAGE[:TAG][@DIGEST]. A first component counts as a domain when it
// contains '.' or ':' or is "localhost" (Docker's rule). Unqualified names get
// domain docker.io (and "library/" for one-component paths) in ref, with
// qualified=false so callers can apply short-name resolution instead.
// "index.docker.io" is rewritten to docker.io. NAME:TAG@DIGEST keeps both.
// Throws cabin::Error with Podman-like messages ("invalid reference format",
// "repository name must be lowercase") naming the input, e.g.
//   parse "Alpine": invalid reference format: repository name must be lowercase
// Grammar and checks follow containers/image docker/reference (Podman's copy of
// distribution/reference): path components [a-z0-9]+ joined by ".", "_", "__"
// or runs of "-"; tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digest ALGO:HEX where
// ALGO is sha256/sha384/sha512 and HEX 64/96/128 lowercase hex digits; the
// normalised name (domain/path) at most 255 characters. Bracketed IPv6 hosts
// ("[::1]:5000/x") are accepted, as newer distribution/reference does.
ParsedReference parse_reference(std::string_view input);

// The repository as the user typed it: the domain only when one was given,
// without the implicit "library/", without tag and digest. "alpine:3" ->
// "alpine"; "docker.io/alpine@sha256:…" -> "docker.io/alpine". This is the key
// for short-name aliases (containers-registries.conf(5)).
std::string typed_name(const ParsedReference& parsed);

// A stored name (repository, "repo:tag" or "repo@digest") as Docker shows it:
// "docker.io/library/alpine:3" -> "alpine:3", "docker.io/user/app" ->
// "user/app", "docker.io/library/a/b" -> "library/a/b" (Docker's familiar
// form), and "localhost/myapp:1" -> "myapp:1" (Podman stores locally
// built short names under localhost/, Docker under docker.io/library/).
// Other registries' names are returned unchanged.
std::string docker_familiar_name(std::string_view stored);

// A name the user typed, normalised (default tag added) and in Docker's
// familiar form: "busybox" -> "busybox:latest", "docker.io/x/y" -> "x/y:latest".
// Returns the input when it does not parse.
std::string docker_familiar_reference(std::string_view input);

// The name to show for a stored one: docker_familiar_name in Docker mode
// (config/mode.h), the name itself otherwise.
std::string shown_name(std::string_view stored);

// True for a 64-hex image ID or a unique-prefix candidate (3..64 hex chars).
bool looks_like_id(std::string_view s);

// Whether s is a valid registry host[:port] (domain grammar; IPv6 in brackets).
bool is_valid_domain(std::string_view s);

}  // namespace cabin::image
