// `cabin load`'s reading of docker-archive and oci-archive tars
// (engine/archive.h): the input is the archive, loaded into a new temporary
// store. Runs as nobody when started as root (fuzz.h drop_root).
#include <fcntl.h>

#include "config/paths.h"
#include "engine/archive.h"
#include "fuzz.h"
#include "storage/store.h"
#include "util/fd.h"
#include "util/progress.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::drop_root();
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fs::TempDir dir(fuzz::scratch(), "load-");
  std::string file = dir.path() + "/in.tar";
  fs::write_file_atomic(file, fuzz::as_text(data, size), 0600);
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) std::abort();
  storage::Store store{config::StorePaths{dir.path() + "/root", dir.path() + "/run", "vfs"}};
  Progress progress(stderr, true);
  fuzz::refused_ok([&] { (void)engine::load_images(store, fd.get(), progress); });
  return 0;
}
