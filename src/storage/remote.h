// The parts of cabin that talk to registries and unpack archives live in a
// module (cabin-remote.so, linked with libcurl, libarchive and OpenSSL)
// that the executable loads the first time it needs one of them. Commands
// that only work on local state — run with a stored image, ps, images —
// thus never pay for loading those libraries (about 50 ms per process).
//
// The functions keep their declarations (storage/pull.h, storage/unpack.h);
// in the executable they are thunks (remote_stub.cpp) into this table.
#pragma once

#include <string_view>

#include "storage/fetch.h"
#include "storage/pull.h"
#include "storage/push.h"
#include "storage/tarsplit.h"
#include "storage/tarstream.h"
#include "storage/unpack.h"

namespace cabin::storage {

struct RemoteApi {
  int version;
  ImageRecord (*pull_image)(Store&, std::string_view, const PullOptions&);
  UnpackResult (*unpack_layer)(const LayerReader&, const Store::Staging&, const ExtractOptions&, std::string_view);
  ExtractOptions (*default_extract_options)();
  void (*write_tree_tar)(int, const TarTree&);
  void (*extract_tar_fd)(int, int, const ExtractOptions&);
  LayerContent (*verify_layer_content)(const std::string&, std::string_view, std::string*);
  void (*write_trees_tar)(int, const std::vector<TarTree>&);
  int64_t (*fetch_url)(const std::string&, int);
  bool (*is_archive)(int);
  std::string (*push_image)(Store&, const ImageRecord&, const image::Reference&, const PushOptions&);
  bool (*write_layer_tar)(const std::string&, const ByteSink&);
  void (*check_login)(const std::string&, const config::Credentials&, std::optional<bool>, const std::string&);
  void (*write_tar_entries)(int, const std::vector<TarEntry>&);
  void (*for_each_tar_entry)(int, const std::function<void(const TarEntryInfo&, const TarRead&)>&);
  std::vector<RemoteInstance> (*remote_instances)(const std::string&, bool, const RemoteOptions&);
  std::string (*remote_manifest)(const std::string&, const RemoteOptions&);
  std::string (*push_manifest_list)(const std::string&, const std::string&, const std::vector<std::string>&,
                                    const image::Reference&, bool, const RemoteOptions&, bool);
};
inline constexpr int kRemoteApiVersion = 7;

}  // namespace cabin::storage

// Exported by the module: its RemoteApi, as the const void* that
// load_module calls it through (one function type on both sides).
extern "C" const void* cabin_remote_api();
