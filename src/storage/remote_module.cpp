// The entry point of cabin-remote.so (see storage/remote.h). Linked with
// -Bsymbolic, so the addresses below are this module's own definitions, not
// the executable's thunks of the same name.
#include "storage/remote.h"

extern "C" __attribute__((visibility("default"))) const void* cabin_remote_api() {
  using namespace cabin::storage;
  static const RemoteApi api{kRemoteApiVersion, &pull_image, &unpack_layer, &default_extract_options,
                               &write_tree_tar,   &extract_tar_fd,         &verify_layer_content,
                               &write_trees_tar,  &fetch_url,              &is_archive,
                               &push_image,       &write_layer_tar,        &check_login,
                               &write_tar_entries, &for_each_tar_entry,
                               &remote_instances, &remote_manifest, &push_manifest_list};
  return &api;
}
