// compose files (compose/load.h): the input is compose.yaml in a project
// directory of its own, loaded as `cabin compose` would; it is also read
// as a .env file.
#include "compose/load.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = fuzz::scratch();
  std::string file = dir + "/compose.yaml";
  fs::write_file_atomic(file, std::string(fuzz::as_text(data, size)), 0600);
  compose::LoadOptions o;
  o.files = {file};
  o.cwd = dir;
  o.project_directory = dir;
  o.project_name = "fuzz";
  o.environ = {{"HOME", dir}, {"A", "1"}};
  fuzz::refused_ok([&] {
    auto project = compose::load_project(o);
    fuzz::refused_ok([&] { (void)compose::start_order(project); });
  });
  fuzz::refused_ok([&] { (void)compose::parse_env_file(file, o.environ); });
  return 0;
}
