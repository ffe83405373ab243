// Docker mode (cabin run as `docker`): how names resolve, match and show.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/mode.h"
#include "config/registries.h"
#include "format/output.h"
#include "format/units.h"
#include "image/reference.h"
#include "storage/store.h"

using cabin::config::CliMode;
using cabin::image::docker_familiar_name;
using cabin::image::docker_familiar_reference;
using cabin::image::parse_reference;
using cabin::image::shown_name;
using cabin::storage::name_denotes;

namespace {

// Sets the process-wide mode for one test and puts Podman mode back after.
struct ModeGuard {
  explicit ModeGuard(CliMode m) { cabin::config::set_cli_mode(m); }
  ~ModeGuard() { cabin::config::set_cli_mode(CliMode::Podman); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;
};

std::vector<std::string> candidates(const cabin::config::RegistriesConf& c, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& r : c.resolve_short_name(parse_reference(name))) out.push_back(r.string());
  return out;
}

std::string printed(const cabin::format::ListOptions& o, const std::vector<nlohmann::json>& rows) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = ::open_memstream(&buf, &len);
  cabin::format::print_list(f, o, rows, nlohmann::json::array());
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

}  // namespace

TEST_CASE("docker mode: chosen by argv[0]'s basename", "[docker]") {
  CHECK(cabin::config::mode_for_program("docker") == CliMode::Docker);
  CHECK(cabin::config::mode_for_program("/usr/local/bin/docker") == CliMode::Docker);
  CHECK(cabin::config::mode_for_program("./docker") == CliMode::Docker);
  CHECK(cabin::config::mode_for_program("cabin") == CliMode::Podman);
  CHECK(cabin::config::mode_for_program("/usr/bin/cabin") == CliMode::Podman);
  CHECK(cabin::config::mode_for_program("/opt/docker/cabin") == CliMode::Podman);
  CHECK(cabin::config::mode_for_program("docker-compose") == CliMode::Podman);
  CHECK(cabin::config::mode_for_program("podman") == CliMode::Podman);
  CHECK(cabin::config::mode_for_program("") == CliMode::Podman);
}

TEST_CASE("docker mode: stored names in Docker's familiar form", "[docker]") {
  CHECK(docker_familiar_name("docker.io/library/busybox:latest") == "busybox:latest");
  CHECK(docker_familiar_name("docker.io/library/busybox") == "busybox");
  CHECK(docker_familiar_name("docker.io/user/app:1") == "user/app:1");
  const std::string digest = "sha256:" + std::string(64, 'a');
  CHECK(docker_familiar_name("docker.io/library/alpine@" + digest) == "alpine@" + digest);
  // library/ stays where it is not an official image's one component.
  CHECK(docker_familiar_name("docker.io/library/a/b:1") == "library/a/b:1");
  // Podman keeps locally built short names under localhost/; Docker shows them bare.
  CHECK(docker_familiar_name("localhost/myapp:latest") == "myapp:latest");
  CHECK(docker_familiar_name("localhost/team/myapp:2") == "team/myapp:2");
  // Every other registry keeps its name, a localhost with a port included.
  CHECK(docker_familiar_name("localhost:5000/myapp:latest") == "localhost:5000/myapp:latest");
  CHECK(docker_familiar_name("127.0.0.1:5000/busybox:latest") == "127.0.0.1:5000/busybox:latest");
  CHECK(docker_familiar_name("quay.io/library/busybox:latest") == "quay.io/library/busybox:latest");
  CHECK(docker_familiar_name("docker.iox/busybox") == "docker.iox/busybox");
  CHECK(docker_familiar_name("<none>") == "<none>");
  CHECK(docker_familiar_name("") == "");
}

TEST_CASE("docker mode: typed names as Docker's pull messages show them", "[docker]") {
  CHECK(docker_familiar_reference("busybox") == "busybox:latest");
  CHECK(docker_familiar_reference("busybox:1.36") == "busybox:1.36");
  CHECK(docker_familiar_reference("docker.io/library/busybox") == "busybox:latest");
  CHECK(docker_familiar_reference("index.docker.io/user/app") == "user/app:latest");
  CHECK(docker_familiar_reference("127.0.0.1:5000/x") == "127.0.0.1:5000/x:latest");
  CHECK(docker_familiar_reference("Not Valid") == "Not Valid");
}

TEST_CASE("docker mode: shown_name follows the mode", "[docker]") {
  CHECK(shown_name("docker.io/library/busybox:latest") == "docker.io/library/busybox:latest");
  CHECK(shown_name("localhost/myapp:latest") == "localhost/myapp:latest");
  ModeGuard docker(CliMode::Docker);
  CHECK(cabin::config::program_name() == "docker");
  CHECK(shown_name("docker.io/library/busybox:latest") == "busybox:latest");
  CHECK(shown_name("localhost/myapp:latest") == "myapp:latest");
}

TEST_CASE("docker mode: a short name denotes localhost's or docker.io's image only", "[docker]") {
  // Podman: localhost/NAME first, then NAME under any registry.
  CHECK(name_denotes("busybox", "localhost/busybox:latest", true));
  CHECK(name_denotes("busybox", "quay.io/busybox:latest", false));
  CHECK(name_denotes("busybox", "127.0.0.1:5000/busybox:latest", false));
  CHECK(name_denotes("busybox", "docker.io/library/busybox:latest", false));

  ModeGuard docker(CliMode::Docker);
  // The first pass (exact_only) still finds what cabin stored under localhost/.
  CHECK(name_denotes("myapp", "localhost/myapp:latest", true));
  CHECK(name_denotes("myapp:2", "localhost/myapp:2", true));
  CHECK_FALSE(name_denotes("myapp", "docker.io/library/myapp:latest", true));
  // The second finds docker.io's, and nothing elsewhere.
  CHECK(name_denotes("myapp", "docker.io/library/myapp:latest", false));
  CHECK(name_denotes("library/myapp", "docker.io/library/myapp:latest", false));
  CHECK(name_denotes("user/app:1", "docker.io/user/app:1", false));
  CHECK_FALSE(name_denotes("busybox", "quay.io/busybox:latest", false));
  CHECK_FALSE(name_denotes("busybox", "127.0.0.1:5000/busybox:latest", false));
  CHECK_FALSE(name_denotes("busybox", "docker.io/library/busybox:1", false));
  CHECK_FALSE(name_denotes("app", "docker.io/user/app:latest", false));
  // Qualified names match exactly, as in Podman mode.
  CHECK(name_denotes("127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest", false));
  CHECK(name_denotes("docker.io/busybox", "docker.io/library/busybox:latest", false));
}

TEST_CASE("docker mode: short names pull from docker.io only", "[docker]") {
  cabin::config::RegistriesConf c;
  c.merge_text(R"(
unqualified-search-registries = ["quay.io", "docker.io"]
[aliases]
"busybox" = "quay.io/prometheus/busybox"
)",
               "/test/registries.conf");
  CHECK(candidates(c, "busybox") == std::vector<std::string>{"quay.io/prometheus/busybox:latest"});
  CHECK(candidates(c, "alpine").size() == 2);
  {
    ModeGuard docker(CliMode::Docker);
    // Neither aliases nor search registries: Docker knows only docker.io.
    CHECK(candidates(c, "busybox") == std::vector<std::string>{"docker.io/library/busybox:latest"});
    CHECK(candidates(c, "alpine:3") == std::vector<std::string>{"docker.io/library/alpine:3"});
    CHECK(candidates(c, "user/app") == std::vector<std::string>{"docker.io/user/app:latest"});
    CHECK(candidates(c, "quay.io/x/y:1") == std::vector<std::string>{"quay.io/x/y:1"});
    // No registries.conf at all is no error either.
    cabin::config::RegistriesConf none;
    CHECK(candidates(none, "busybox") == std::vector<std::string>{"docker.io/library/busybox:latest"});
  }
}

TEST_CASE("docker mode: sizes without a blank, as Docker prints them", "[docker]") {
  CHECK(cabin::format::human_size(4261000) == "4.26 MB");
  ModeGuard docker(CliMode::Docker);
  CHECK(cabin::format::human_size(4261000) == "4.26MB");
  CHECK(cabin::format::human_size(0) == "0B");
}

TEST_CASE("docker mode: {{json .}} prints a line of JSON per row", "[docker]") {
  cabin::format::ListOptions o;
  o.format = "{{json .}}";
  o.docker_json_keys = {"ID", "Repository", "Tag"};
  std::vector<nlohmann::json> rows = {{{"ID", "abc"}, {"Repository", "busybox"}, {"Tag", "<none>"}, {"Id", "x"}},
                                      {{"ID", "def"}, {"Repository", "myapp"}}};
  ModeGuard docker(CliMode::Docker);
  // Only the listed keys, sorted; a missing one is empty; HTML escaped as json.Marshal does.
  CHECK(printed(o, rows) ==
        "{\"ID\":\"abc\",\"Repository\":\"busybox\",\"Tag\":\"\\u003cnone\\u003e\"}\n"
        "{\"ID\":\"def\",\"Repository\":\"myapp\",\"Tag\":\"\"}\n");
  o.format = "json";
  o.docker_json_keys.clear();
  CHECK(printed(o, {rows[1]}) == "{\"ID\":\"def\",\"Repository\":\"myapp\"}\n");
}
