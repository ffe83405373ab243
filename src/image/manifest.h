// OCI image-spec and Docker schema 2 documents: manifests, indexes, configs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cabin::image {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string string() const;  // "linux/arm64/v8"
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::optional<Platform> platform;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

// The media type of a manifest body: the Content-Type the registry sent when
// it is specific, else the body's mediaType, else guessed from its shape.
std::string detect_media_type(std::string_view body, std::string_view content_type);
bool is_index(std::string_view media_type);
bool is_manifest(std::string_view media_type);

// Parse and validate; throw cabin::Error saying what is malformed.
Manifest parse_manifest(std::string_view body);
Index parse_index(std::string_view body);

// The host's platform in OCI terms (linux/amd64, linux/arm64/v8, …).
Platform host_platform();
// Fills in defaults and normalises aliases (aarch64 → arm64, x86_64 → amd64,
// arm64 variant v8, arm variant v7).
Platform normalize_platform(Platform p);
// Parses "os/arch[/variant]".
Platform parse_platform(std::string_view text);
// The index entry for want; throws an Error listing what the index offers.
const Descriptor& select_platform(const Index& index, const Platform& want);

enum class Compression { None, Gzip, Zstd };
// Throws for media types that are not layers cabin can unpack.
Compression layer_compression(std::string_view media_type);

// An image config (OCI image-spec config.md), kept as JSON with accessors.
struct ImageConfig {
  nlohmann::json json;
  std::vector<std::string> diff_ids;
  std::string created;
  std::string architecture;
  std::string os;
  std::string variant;
};
ImageConfig parse_config(std::string_view body);

}  // namespace cabin::image
