// The compose file model: interpolation, parsing, discovery, merging,
// normalisation, validation and `compose config` output.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>

#include "compose/interpolate.h"
#include "compose/load.h"
#include "compose/output.h"
#include "error_of.h"
#include "util/fs.h"
#include "util/log.h"

using namespace cabin::compose;
using cabin::test::error_of;
using Strings = std::vector<std::string>;
using namespace std::chrono_literals;

namespace {

std::string interp(std::string_view text, std::map<std::string, std::string> env = {}) {
  return interpolate(text, [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/cabin-compose-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { cabin::fs::remove_all(path); }
  std::string write(const std::string& name, std::string_view text) const {
    std::string p = path + "/" + name;
    cabin::fs::mkdir_p(p.substr(0, p.rfind('/')));
    cabin::fs::write_file_atomic(p, text);
    return p;
  }
};

// What fn writes on stderr (log::warn's destination).
std::string stderr_of(const std::function<void()>& fn) {
  char tmpl[] = "/tmp/cabin-compose-stderr.XXXXXX";
  int fd = ::mkstemp(tmpl);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  try {
    fn();
  } catch (...) {
    ::dup2(saved, 2);
    ::close(saved);
    throw;
  }
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::string out = cabin::fs::read_file(tmpl);
  ::unlink(tmpl);
  return out;
}

// Loads compose.yml (and the other files given) from a fresh directory.
struct Fixture {
  TempDir dir;
  LoadOptions options;
  explicit Fixture(std::string_view compose, std::map<std::string, std::string> files = {}) {
    dir.write("compose.yml", compose);
    for (const auto& [name, text] : files) dir.write(name, text);
    options.cwd = dir.path;
    options.project_name = "proj";
    options.environ = {{"HOME", "/home/me"}};
  }
  Project load() const { return load_project(options); }
  std::string error() const {
    return error_of([&] { load(); });
  }
};

}  // namespace

TEST_CASE("compose interpolation: the forms Compose documents", "[compose]") {
  std::map<std::string, std::string> env = {{"A", "a"}, {"EMPTY", ""}};
  CHECK(interp("x$A-${A}y", env) == "xa-ay");
  CHECK(interp("${UNSET:-def} ${EMPTY:-def} ${EMPTY-def} ${UNSET-def}", env) == "def def  def");
  CHECK(interp("${A:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}", env) == "alt||alt|");
  CHECK(interp("${UNSET:-${ALSO:-${A}}}", env) == "a");
  CHECK(interp("$$A $${A} $$", env) == "$A ${A} $");
  CHECK(interp("${A:?boom}", env) == "a");
  CHECK(interp("no vars at all") == "no vars at all");
  CHECK(interp("${UNSET}|$UNSET", env) == "|");
  CHECK(error_of([&] { interp("${UNSET:?set it in .env}", env); }) ==
        "required variable UNSET is missing a value: set it in .env");
  CHECK(error_of([&] { interp("${EMPTY:?}", env); }) == "required variable EMPTY is missing a value");
  CHECK(interp("${EMPTY?}", env).empty());
  CHECK(error_of([&] { interp("${A", env); }) ==
        "invalid interpolation format \"${A\": you may need to escape any $ with another $");
  CHECK(error_of([&] { interp("cost: $5", env); }) ==
        "invalid interpolation format \"cost: $5\": you may need to escape any $ with another $");
  CHECK_THAT(error_of([&] { interp("${A:x}", env); }), Catch::Contains("invalid interpolation format"));
  Strings unset;
  interpolate("$X ${Y} ${Z:-z}", [](const std::string&) { return std::nullopt; },
              [&](const std::string& n) { unset.push_back(n); });
  CHECK(unset == Strings{"X", "Y"});
}

TEST_CASE("compose: a service's keys in every form they take", "[compose]") {
  Fixture f(R"(
services:
  web:
    image: nginx:${TAG:-latest}
    command: sh -c "echo 'hi there'"
    entrypoint: []
    environment:
      - A=1
      - FROM_ENV
      - MISSING
    env_file: web.env
    ports:
      - "8080:80"
      - "127.0.0.1:9090:90/udp"
      - "443"
      - "8000-8001:7000-7001"
      - "[::1]:53:53/udp"
      - target: 5000
        published: 5001
        host_ip: 0.0.0.0
        protocol: tcp
    expose: [3000, "3001"]
    volumes:
      - data:/data:ro
      - ./src:/src
      - ~/cache:/cache:z
      - /anon
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 64m, mode: 01777}
    tmpfs: /run
    networks:
      front:
        aliases: [www]
        ipv4_address: 10.0.0.5
      back:
    depends_on:
      db:
        condition: service_healthy
        restart: true
      cache:
        condition: service_started
        required: false
    healthcheck:
      test: curl -f http://localhost
      interval: 1m30s
      timeout: 5s
      start_period: 500ms
      retries: 3
    restart: unless-stopped
    user: "1000:1000"
    working_dir: /app
    labels: {com.example.a: "1", b: two}
    deploy: {replicas: 2}
    init: true
    tty: true
    stop_grace_period: 1m
    cap_add: [NET_ADMIN]
    read_only: true
    ulimits:
      nproc: 65535
      nofile: {soft: 1024, hard: 2048}
    extra_hosts:
      - "somehost=162.242.195.82"
      - "other:10.0.0.1"
    dns: 8.8.8.8
    secrets:
      - token
      - source: cert
        target: /etc/cert.pem
        mode: 0440
    pull_policy: always
  db:
    image: postgres
    build:
      context: ./db
      args: [VERSION=16, FROM_ENV]
    healthcheck:
      test: ["CMD", "pg_isready"]
  cache:
    image: redis
    profiles: [extra]
networks: {front: {}, back: {}}
volumes:
  data:
secrets:
  token: {file: ./token.txt}
  cert: {environment: CERT}
)",
            {{"web.env", "A=from-file\nB=b\n"}});
  f.options.environ["FROM_ENV"] = "env-value";
  Project p = f.load();
  CHECK(p.services.count("cache") == 0);
  CHECK(p.disabled_services.count("cache") == 1);
  const Service& web = p.services.at("web");
  CHECK(web.image == "nginx:latest");
  CHECK(web.command == Strings{"sh", "-c", "echo 'hi there'"});
  CHECK(web.entrypoint == Strings{});
  CHECK(web.environment.at("A") == "1");  // environment wins over env_file
  CHECK(web.environment.at("B") == "b");
  CHECK(web.environment.at("FROM_ENV") == "env-value");
  CHECK_FALSE(web.environment.at("MISSING").has_value());
  REQUIRE(web.ports.size() == 7);
  CHECK(web.ports[0] == Port{80, "8080", "", "tcp", "ingress"});
  CHECK(web.ports[1] == Port{90, "9090", "127.0.0.1", "udp", "ingress"});
  CHECK(web.ports[2] == Port{443, "", "", "tcp", "ingress"});
  CHECK(web.ports[3] == Port{7000, "8000", "", "tcp", "ingress"});
  CHECK(web.ports[4] == Port{7001, "8001", "", "tcp", "ingress"});
  CHECK(web.ports[5] == Port{53, "53", "::1", "udp", "ingress"});
  CHECK(web.ports[6] == Port{5000, "5001", "0.0.0.0", "tcp", "ingress"});
  CHECK(web.expose == Strings{"3000", "3001"});
  REQUIRE(web.volumes.size() == 5);
  CHECK(web.volumes[0].type == "volume");
  CHECK(web.volumes[0].source == "data");
  CHECK(web.volumes[0].read_only);
  CHECK(web.volumes[1].type == "bind");
  CHECK(web.volumes[1].source == f.dir.path + "/src");
  CHECK(web.volumes[1].bind->create_host_path == true);
  CHECK(web.volumes[2].source == "/home/me/cache");
  CHECK(web.volumes[2].bind->selinux == "z");
  CHECK(web.volumes[3].source.empty());
  CHECK(web.volumes[3].target == "/anon");
  CHECK(web.volumes[4].tmpfs->size == 64 << 20);
  CHECK(web.volumes[4].tmpfs->mode == 01777);
  CHECK(web.tmpfs == Strings{"/run"});
  CHECK(web.networks.at("front")->aliases == Strings{"www"});
  CHECK(web.networks.at("front")->ipv4_address == "10.0.0.5");
  CHECK_FALSE(web.networks.at("back").has_value());
  CHECK(web.depends_on.at("db").condition == "service_healthy");
  CHECK(web.depends_on.at("db").restart);
  CHECK_FALSE(web.depends_on.at("cache").required);
  CHECK(web.healthcheck->test == Strings{"CMD-SHELL", "curl -f http://localhost"});
  CHECK(web.healthcheck->interval == 90s);
  CHECK(web.healthcheck->start_period == 500ms);
  CHECK(web.healthcheck->retries == 3u);
  CHECK(web.labels == StringMap{{"com.example.a", "1"}, {"b", "two"}});
  CHECK(web.replicas == 2);
  CHECK(web.init == true);
  CHECK(web.stop_grace_period == 60s);
  CHECK(web.ulimits.at("nproc").single == 65535);
  CHECK(web.ulimits.at("nofile").hard == 2048);
  CHECK(web.extra_hosts == std::vector<std::pair<std::string, std::string>>{{"somehost", "162.242.195.82"}, {"other", "10.0.0.1"}});
  CHECK(web.dns == Strings{"8.8.8.8"});
  CHECK(web.secrets[1].target == "/etc/cert.pem");
  CHECK(web.secrets[1].mode == 0440u);
  const Service& db = p.services.at("db");
  CHECK(db.build->context == f.dir.path + "/db");
  CHECK(db.build->args.at("VERSION") == "16");
  CHECK(db.build->args.at("FROM_ENV") == "env-value");
  CHECK(db.networks.count("default"));
  CHECK(p.networks.at("default").name == "proj_default");
  CHECK(p.networks.at("front").name == "proj_front");
  CHECK(p.volumes.at("data").name == "proj_data");
  CHECK(p.secrets.at("token").file == f.dir.path + "/token.txt");
  CHECK(start_order(p) == Strings{"db", "web"});  // cache: not required, its profile inactive
  CHECK(start_order(p, {"db"}) == Strings{"db"});
}

TEST_CASE("compose: wrong types and values name the path and line", "[compose]") {
  // The service web's keys after "image: x" (line 3), and the error.
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"    ports:\n      - abc\n", "services.web.ports[0]: invalid port \"abc\" (compose.yml:5)"},
      {"    ports: [\"80/xyz\", \"1-2:3\"]\n", "services.web.ports[0]: invalid protocol \"xyz\" in \"80/xyz\" (compose.yml:4)"},
      {"    ports: [\"1-3:4-5\"]\n",
       "services.web.ports[0]: invalid port \"1-3:4-5\": the ranges differ in size (compose.yml:4)"},
      {"    ports: 80\n", "services.web.ports: must be a list (compose.yml:4)"},
      {"    tmpfs: {a: b}\n", "services.web.tmpfs: must be a string or a list (compose.yml:4)"},
      {"    cap_add: ALL\n", "services.web.cap_add: must be a list (compose.yml:4)"},
      {"    user: [x]\n", "services.web.user: must be a string (compose.yml:4)"},
      {"    tty: maybe\n", "services.web.tty: must be a boolean, not \"maybe\" (compose.yml:4)"},
      {"    healthcheck:\n      interval: soon\n", "services.web.healthcheck.interval: invalid duration \"soon\" (compose.yml:5)"},
      {"    hostname: ${HOST:?no host}\n", "services.web.hostname: required variable HOST is missing a value: no host (compose.yml:4)"},
      {"    depends_on:\n      db: {condition: started}\n",
       "services.web.depends_on.db.condition: invalid condition \"started\" (compose.yml:5)"},
      {"    volumes: [\"a:b:c:d\"]\n", "services.web.volumes[0]: invalid volume \"a:b:c:d\" (compose.yml:4)"},
      {"    image: y\n", "services.web.image: mapping key \"image\" already defined at line 3 (compose.yml:4)"},
      {"    labels: {a: [1]}\n", "services.web.labels.a: must be a string (compose.yml:4)"},
      {"  other: {image: {}}\n", "services.other.image: must be a string (compose.yml:4)"},
      {"  web2: [1]\n", "services.web2: must be a mapping (compose.yml:4)"},
  };
  for (const auto& [keys, message] : cases) {
    INFO(keys);
    CHECK(Fixture(fmt::format("services:\n  web:\n    image: x\n{}", keys)).error() == message);
  }
  CHECK(Fixture("services:\n  web: {image: x\n").error() == "invalid YAML: end of map flow not found (compose.yml:3)");
  CHECK(Fixture("services:\n  web: {image: \"x\xc0\xaf\"}\n").error() == "invalid YAML: invalid UTF-8 (compose.yml:2)");
  CHECK(Fixture("services:\n  web:\n    restart: always\n").error() ==
        "services.web: service \"web\" has neither an image nor a build context specified (compose.yml:3)");
}

TEST_CASE("compose: unknown keys warn with their path; x- keys and anchors do not", "[compose]") {
  Fixture f(R"(x-common: &common
  restart: always
  labels: {tier: web}
services:
  web:
    <<: *common
    image: nginx
    imagee: typo
    labels: {own: "1"}
    ports:
      - target: 80
        publishd: 8080
    x-mine: ok
flavour: vanilla
)");
  Project p;
  std::string err = stderr_of([&] { p = f.load(); });
  CHECK_THAT(err, Catch::Contains("services.web.imagee: unknown key, ignored (compose.yml:8)"));
  CHECK_THAT(err, Catch::Contains("services.web.ports[0].publishd: unknown key, ignored (compose.yml:12)"));
  CHECK_THAT(err, Catch::Contains("flavour: unknown key, ignored (compose.yml:14)"));
  CHECK_THAT(err, !Catch::Contains("x-"));
  const Service& web = p.services.at("web");
  CHECK(web.restart == "always");
  CHECK(web.labels == StringMap{{"own", "1"}});  // the explicit key wins over the merged one
}

TEST_CASE("compose: file discovery, override files, project directory and name", "[compose]") {
  TempDir dir;
  dir.write("docker-compose.yml", "services:\n  web:\n    image: a\n");
  dir.write("compose.override.yaml", "services:\n  web:\n    image: b\n");
  dir.write("sub/deeper/.keep", "");
  CHECK(find_compose_files(dir.path + "/sub/deeper") ==
        Strings{dir.path + "/docker-compose.yml", dir.path + "/compose.override.yaml"});
  LoadOptions o;
  o.cwd = dir.path + "/sub/deeper";
  Project p = load_project(o);
  CHECK(p.working_dir == dir.path);
  CHECK(p.services.at("web").image == "b");
  std::string base = dir.path.substr(dir.path.rfind('/') + 1);
  CHECK(p.name == normalize_project_name(base));

  CHECK(normalize_project_name("My.App_1") == "myapp_1");
  CHECK(error_of([] { normalize_project_name("_x"); }) ==
        "invalid project name \"_x\": it must contain only characters from [a-z0-9_-] and start with [a-z0-9]");
  CHECK(error_of([] { normalize_project_name("..."); }) == "project name must not be empty");

  // name: in the file, then COMPOSE_PROJECT_NAME (from .env too), then -p.
  dir.write("compose.yaml", "name: FromFile\nservices:\n  web:\n    image: a\n");
  o.files = {"compose.yaml"};
  o.cwd = dir.path;
  CHECK(load_project(o).name == "fromfile");
  dir.write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
  CHECK(load_project(o).name == "from-dotenv");
  o.environ["COMPOSE_PROJECT_NAME"] = "from-env";
  CHECK(load_project(o).name == "from-env");
  o.project_name = "Flag";
  CHECK(load_project(o).name == "flag");
  o.project_directory = "sub";
  CHECK(load_project(o).working_dir == dir.path + "/sub");

  // COMPOSE_FILE stands for -f; COMPOSE_PROFILES may come from .env.
  LoadOptions by_env;
  by_env.cwd = dir.path;
  by_env.environ = {{"COMPOSE_FILE", "compose.yaml:profiled.yml"}};
  dir.write("profiled.yml", "services:\n  extra: {image: e, profiles: [x]}\n");
  CHECK(service_names(load_project(by_env)) == Strings{"web"});
  dir.write(".env", "COMPOSE_PROFILES=x\n");
  CHECK(service_names(load_project(by_env)) == Strings{"extra", "web"});

  TempDir empty;
  CHECK(error_of([&] { find_compose_files(empty.path); }) == "no configuration file provided: not found");
}

TEST_CASE("compose: .env files and the process environment", "[compose]") {
  TempDir dir;
  std::string env = dir.write(".env",
                              "# comment\n"
                              "export A=1\n"
                              "B = two words # comment\n"
                              "C='literal $A'\n"
                              "D=\"line\\nbreak ${A}\"\n"
                              "E=${A}-x\n"
                              "F=\"multi\n"
                              "line\"\n"
                              "G=\n");
  auto vars = parse_env_file(env);
  CHECK(vars == std::map<std::string, std::string>{{"A", "1"}, {"B", "two words"}, {"C", "literal $A"},
                                                   {"D", "line\nbreak 1"}, {"E", "1-x"}, {"F", "multi\nline"},
                                                   {"G", ""}});
  dir.write("bad.env", "A=1\n1X=2\n");
  CHECK(error_of([&] { parse_env_file(dir.path + "/bad.env"); }) ==
        "invalid variable name \"1X\" (" + dir.path + "/bad.env:2)");

  Fixture f("services:\n  web:\n    image: img:${A}\n    environment: [\"B=$B\"]\n", {{".env", "A=dotenv\nB=dotenv\n"}});
  f.options.environ["B"] = "process";  // the process environment wins
  Project p = f.load();
  CHECK(p.services.at("web").image == "img:dotenv");
  CHECK(p.services.at("web").environment.at("B") == "process");
  f.dir.write("other.env", "A=other\n");
  f.options.env_files = {"other.env"};  // instead of .env
  CHECK(f.load().services.at("web").image == "img:other");
}

TEST_CASE("compose: several files merge by Compose's rules", "[compose]") {
  Fixture f(R"(
services:
  web:
    image: a
    command: ["echo", "a"]
    environment: {A: "1", B: "1"}
    ports: ["80:80"]
    dns: [1.1.1.1]
    volumes: ["./a:/data", "/keep"]
    depends_on: [db]
    healthcheck: {test: ["CMD", "a"], interval: 10s}
    labels: [x=1]
  db:
    image: db
)",
            {{"override.yml", R"(
services:
  web:
    image: b
    command: echo b
    environment: [B=2, C=3]
    ports: ["80:80", "443:443"]
    dns: 8.8.8.8
    volumes: ["data:/data"]
    depends_on: {cache: {condition: service_started}}
    healthcheck: {test: ["CMD", "b"]}
    labels: {y: "2"}
  cache:
    image: c
volumes: {data: {}}
)"}});
  f.options.files = {"compose.yml", "override.yml"};
  Project p = f.load();
  const Service& web = p.services.at("web");
  CHECK(web.image == "b");
  CHECK(web.command == Strings{"echo", "b"});
  CHECK(web.environment == OptionalStringMap{{"A", "1"}, {"B", "2"}, {"C", "3"}});
  REQUIRE(web.ports.size() == 2);
  CHECK(web.ports[1].target == 443);
  CHECK(web.dns == Strings{"1.1.1.1", "8.8.8.8"});
  REQUIRE(web.volumes.size() == 2);
  CHECK(web.volumes[0].source == "data");  // replaced in place: same target
  CHECK(web.volumes[1].target == "/keep");
  CHECK(web.depends_on.size() == 2);
  CHECK(web.healthcheck->test == Strings{"CMD", "b"});
  CHECK(web.healthcheck->interval == 10s);
  CHECK(web.labels == StringMap{{"x", "1"}, {"y", "2"}});
  CHECK(p.config_files == Strings{f.dir.path + "/compose.yml", f.dir.path + "/override.yml"});

  f.dir.write("reset.yml",
              "services:\n  web:\n    ports: !reset []\n    dns: !override [9.9.9.9]\n"
              "    environment: {A: !reset null}\n    depends_on: {cache: !reset}\n");
  f.options.files.push_back("reset.yml");
  p = f.load();
  CHECK(p.services.at("web").ports.empty());
  CHECK(p.services.at("web").dns == Strings{"9.9.9.9"});
  CHECK(p.services.at("web").environment == OptionalStringMap{{"B", "2"}, {"C", "3"}});
  CHECK(p.services.at("web").depends_on.count("cache") == 0);
}

TEST_CASE("compose: extends, in the same file and another", "[compose]") {
  Fixture f(R"(
services:
  base:
    image: base
    environment: {A: "1"}
    volumes: ["./data:/data"]
  web:
    extends: base
    environment: {B: "2"}
  api:
    extends:
      file: common/common.yml
      service: common
    command: run
)",
            {{"common/common.yml", "services:\n  common:\n    image: common\n    build: ./ctx\n    command: old\n"}});
  Project p = f.load();
  const Service& web = p.services.at("web");
  CHECK(web.image == "base");
  CHECK(web.environment == OptionalStringMap{{"A", "1"}, {"B", "2"}});
  CHECK(web.volumes.at(0).source == f.dir.path + "/data");
  const Service& api = p.services.at("api");
  CHECK(api.image == "common");
  CHECK(api.build->context == f.dir.path + "/common/ctx");  // relative to the extended file
  CHECK(api.command == Strings{"run"});

  Fixture loop("services:\n  a:\n    extends: b\n  b:\n    extends: a\n");
  CHECK_THAT(loop.error(), Catch::Contains("circular reference with extends"));
  Fixture across("services:\n  a:\n    extends: {file: other.yml, service: b}\n",
                 {{"other.yml", "services:\n  b:\n    extends: {file: compose.yml, service: a}\n"}});
  CHECK(across.error() == "circular reference with extends in compose.yml");
  Fixture missing("services:\n  a:\n    extends: nope\n");
  CHECK(missing.error() == "services.a.extends: cannot extend service \"nope\": service not found (compose.yml:3)");
}

TEST_CASE("compose: profiles", "[compose]") {
  // The example of Compose's documentation on profiles.
  Fixture f(R"(
services:
  web: {image: web}
  mock-backend: {image: backend, profiles: [dev], depends_on: [db]}
  db: {image: mysql, profiles: [dev]}
  phpmyadmin: {image: phpmyadmin, profiles: [debug], depends_on: [db]}
)");
  Project p = f.load();
  CHECK(service_names(p) == Strings{"web"});
  CHECK(p.disabled_services.size() == 3);
  f.options.profiles = {"dev"};
  p = f.load();
  CHECK(service_names(p) == Strings{"db", "mock-backend", "web"});
  CHECK(p.profiles == Strings{"dev"});
  CHECK(start_order(p, {"mock-backend"}) == Strings{"db", "mock-backend"});
  // `up mock-backend` enables its profile, and so db.
  f.options.profiles = {};
  f.options.services = {"mock-backend"};
  CHECK(service_names(f.load()) == Strings{"db", "mock-backend", "web"});
  // `up phpmyadmin` enables debug only: db is not defined then.
  f.options.services = {"phpmyadmin"};
  CHECK(f.error() == "services.phpmyadmin.depends_on: service \"phpmyadmin\" depends on undefined service \"db\" "
                     "(compose.yml:6)");
  f.options.services = {};
  f.options.environ["COMPOSE_PROFILES"] = "debug,dev";
  CHECK(service_names(f.load()).size() == 4);
  f.options.environ.erase("COMPOSE_PROFILES");
  f.options.profiles = {"*"};
  CHECK(service_names(f.load()).size() == 4);
  CHECK(error_of([&] { start_order(f.load(), {"nope"}); }) == "no such service: nope");
}

TEST_CASE("compose: references to undefined things and cycles", "[compose]") {
  CHECK(Fixture("services:\n  web:\n    image: x\n    depends_on: [db]\n").error() ==
        "services.web.depends_on: service \"web\" depends on undefined service \"db\" (compose.yml:3)");
  CHECK(Fixture("services:\n  web:\n    image: x\n    volumes: [data:/data]\n").error() ==
        "services.web.volumes: service \"web\" refers to undefined volume data (compose.yml:3)");
  CHECK(Fixture("services:\n  web:\n    image: x\n    networks: [front]\n").error() ==
        "services.web.networks: service \"web\" refers to undefined network front (compose.yml:3)");
  CHECK(Fixture("services:\n  web:\n    image: x\n    secrets: [s]\n").error() ==
        "services.web.secrets: service \"web\" refers to undefined secret s (compose.yml:3)");
  CHECK(Fixture("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n"
                "  c: {image: x, depends_on: [a]}\n")
            .error() == "dependency cycle detected: a -> b -> c -> a");
  CHECK(Fixture("services:\n  web: {image: x, container_name: w, scale: 2}\n").error() ==
        "services.web.deploy.replicas: can't set container_name and web as container name must be unique (compose.yml:2)");
  CHECK(Fixture("services:\n  web: {image: x, network_mode: host, networks: [n]}\nnetworks: {n: }\n").error() ==
        "services.web: service \"web\" declares mutually exclusive `network_mode` and `networks` (compose.yml:2)");
  // A dependency that is not required may be missing.
  CHECK(Fixture("services:\n  web:\n    image: x\n    depends_on: {db: {required: false}}\n").error() == "no error");
}

TEST_CASE("compose: start order puts dependencies first, deterministically", "[compose]") {
  Fixture f(R"(
services:
  web: {image: x, depends_on: [api, cache]}
  api: {image: x, depends_on: [db]}
  cache: {image: x}
  db: {image: x}
  net: {image: x, network_mode: "service:db"}
  lone: {image: x}
)");
  Project p = f.load();
  CHECK(start_order(p) == Strings{"db", "api", "cache", "lone", "net", "web"});
  CHECK(start_order(p, {"web"}) == Strings{"db", "api", "cache", "web"});
  CHECK(start_order(p, {"net"}) == Strings{"db", "net"});
}

TEST_CASE("compose: config output as docker compose config prints it", "[compose]") {
  Fixture f(R"(
services:
  web:
    image: nginx
    ports: ["8080:80"]
    environment: {A: "true", B: "x: y", C: ""}
    volumes: [data:/data, ./html:/usr/share/nginx/html:ro]
    depends_on: [db]
    healthcheck: {test: "curl -f localhost", interval: 1m30s}
  db:
    image: postgres
    command: ["postgres", "-c", "fsync=off"]
volumes:
  data:
)");
  Project p = f.load();
  CHECK(to_yaml(p) == "name: proj\n"
                      "services:\n"
                      "  db:\n"
                      "    command:\n"
                      "      - postgres\n"
                      "      - -c\n"
                      "      - fsync=off\n"
                      "    image: postgres\n"
                      "    networks:\n"
                      "      default: null\n"
                      "  web:\n"
                      "    depends_on:\n"
                      "      db:\n"
                      "        condition: service_started\n"
                      "        required: true\n"
                      "    environment:\n"
                      "      A: \"true\"\n"
                      "      B: \"x: y\"\n"
                      "      C: \"\"\n"
                      "    healthcheck:\n"
                      "      test:\n"
                      "        - CMD-SHELL\n"
                      "        - curl -f localhost\n"
                      "      interval: 1m30s\n"
                      "    image: nginx\n"
                      "    networks:\n"
                      "      default: null\n"
                      "    ports:\n"
                      "      - mode: ingress\n"
                      "        target: 80\n"
                      "        published: \"8080\"\n"
                      "        protocol: tcp\n"
                      "    volumes:\n"
                      "      - type: volume\n"
                      "        source: data\n"
                      "        target: /data\n"
                      "        volume: {}\n"
                      "      - type: bind\n"
                      "        source: " +
                          f.dir.path +
                          "/html\n"
                          "        target: /usr/share/nginx/html\n"
                          "        read_only: true\n"
                          "        bind:\n"
                          "          create_host_path: true\n"
                          "networks:\n"
                          "  default:\n"
                          "    name: proj_default\n"
                          "volumes:\n"
                          "  data:\n"
                          "    name: proj_data\n");
  CHECK(volume_names(p) == Strings{"data"});
}

TEST_CASE("compose: config_hash changes with the configuration, not with replicas", "[compose]") {
  Fixture f("services:\n  web:\n    image: nginx\n    scale: 3\n");
  Service web = f.load().services.at("web");
  std::string hash = config_hash(web);
  CHECK(hash.size() == 64);
  CHECK(hash == config_hash(f.load().services.at("web")));  // stable
  web.replicas = 1;
  CHECK(config_hash(web) == hash);
  web.image = "nginx:2";
  CHECK(config_hash(web) != hash);
}

TEST_CASE("compose: include adds another file's services; a clash is an error", "[compose]") {
  Fixture f("include:\n  - lib/db.yml\nservices:\n  web: {image: w, depends_on: [db]}\n",
            {{"lib/db.yml", "services:\n  db:\n    image: d\n    volumes: [./data:/data]\n"}});
  Project p = f.load();
  CHECK(service_names(p) == Strings{"db", "web"});
  CHECK(p.services.at("db").volumes.at(0).source == f.dir.path + "/lib/data");  // relative to the included file
  f.dir.write("lib/db.yml", "services:\n  web: {image: other}\n");
  CHECK(f.error() == "services.web: imported from lib/db.yml conflicts with a definition in the project");
}

TEST_CASE("compose: a file from the wild, with obsolete and unmodelled keys", "[compose]") {
  Fixture f(R"(version: '3.8'

x-logging: &default-logging
  driver: json-file
  options: {max-size: "10m"}

services:
  db:
    image: mysql:8.0
    command: '--default-authentication-plugin=mysql_native_password'
    volumes:
      - db_data:/var/lib/mysql
    restart: always
    environment:
      MYSQL_ROOT_PASSWORD: somewordpress
      MYSQL_DATABASE: wordpress
    logging: *default-logging
    mem_limit: 512m
    healthcheck:
      test: ["CMD", "mysqladmin", "ping", "-h", "localhost"]
      timeout: 20s
      retries: 10
  wordpress:
    depends_on:
      db:
        condition: service_healthy
    image: wordpress:latest
    ports:
      - "8000:80"
    restart: always
    environment:
      WORDPRESS_DB_HOST: db:3306
      WORDPRESS_DB_PASSWORD: $${NOT_INTERPOLATED}
    deploy:
      resources:
        limits: {cpus: '0.5'}
volumes:
  db_data: {}
)");
  Project p;
  std::string err = stderr_of([&] { p = f.load(); });
  CHECK(err.find("unknown key") == std::string::npos);
  CHECK_THAT(err, Catch::Contains("version: the attribute `version` is obsolete"));
  CHECK(p.services.at("db").command == Strings{"--default-authentication-plugin=mysql_native_password"});
  CHECK(p.services.at("wordpress").environment.at("WORDPRESS_DB_PASSWORD") == "${NOT_INTERPOLATED}");
  CHECK(start_order(p) == Strings{"db", "wordpress"});
  CHECK_THAT(to_yaml(p), Catch::Contains("      WORDPRESS_DB_HOST: db:3306\n"));
}
