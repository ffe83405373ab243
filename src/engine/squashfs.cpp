#include "engine/squashfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/create.h"
#include "engine/lifecycle.h"
#include "rootless/fixes.h"
#include "storage/containers.h"
#include "storage/rootfs.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/strings.h"

namespace cabin::engine {
namespace {

// Writes the config as /.cabin/config.json under root (the mounted image,
// whose upper dir is a throwaway container's): never through a symlink the
// image has there.
void store_config(const std::string& root, const std::string& config) {
  UniqueFd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top) throw_errno("open {}", root);
  std::string path = storage::kSquashfsConfigPath;
  std::string dir_name = path.substr(0, path.find('/')), file_name = path.substr(path.find('/') + 1);
  if (::mkdirat(top.get(), dir_name.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir /{}", dir_name);
  UniqueFd dir(::openat(top.get(), dir_name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) throw_errno("the image has /{}, which is not a directory", dir_name);
  if (::unlinkat(dir.get(), file_name.c_str(), 0) != 0 && errno != ENOENT) throw_errno("remove /{}", storage::kSquashfsConfigPath);
  UniqueFd out(::openat(dir.get(), file_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out) throw_errno("create /{}", storage::kSquashfsConfigPath);
  if (!write_all(out.get(), config)) throw_errno("write /{}", storage::kSquashfsConfigPath);
}

}  // namespace

void export_squashfs(storage::Store& store, const config::StorePaths& paths, const std::string& image,
                     const std::string& file) {
  std::string mksquashfs = find_in_path("mksquashfs");
  if (mksquashfs.empty()) fail("mksquashfs is not installed (fix: {})", rootless::fix::install_squashfs_tools());
  auto rec = store.get_image(image);
  std::string tmp = file + ".cabin-tmp";
  UniqueFd check(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!check) throw_errno("create {}", tmp);
  check.reset();
  ScopeGuard drop_tmp([&] { ::unlink(tmp.c_str()); });

  // The image's root as a container's that never runs (its upper dir takes
  // the config file), removed afterwards.
  CreateOptions co;
  co.quiet = true;
  co.pull = "never";
  co.run.networks = {"none"};
  auto created = create_container(store, paths, co, rec.id, {"/"});
  storage::ContainerStore containers(paths);
  ScopeGuard remove([&] {
    try {
      containers.remove(created.record.id);
    } catch (const Error&) {
    }
  });
  auto root = mount_container_root(paths, containers, created.record, created.config);
  store_config(root.path(), store.get_blob(rec.config_digest()));
  auto r = run_process({mksquashfs, root.path(), tmp, "-noappend", "-quiet", "-no-progress"});
  if (!r.exited_ok()) {
    std::vector<std::string> said;
    for (const auto& l : split(r.output, '\n'))
      if (!trim(l).empty()) said.emplace_back(trim(l));
    fail("mksquashfs {}: {}", r.describe(), said.empty() ? "no output" : join(said, "; "));
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) throw_errno("rename {} to {}", tmp, file);
  drop_tmp.dismiss();
}

}  // namespace cabin::engine
