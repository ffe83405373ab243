// containers.conf: the keys cabin reads, merging file by file, where the
// files are, and the defaults they give run/create (containers.conf(5),
// containers-config(5)).
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "config/containers_conf.h"
#include "engine/create.h"
#include "env_guard.h"
#include "error_of.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/log.h"

using cabin::config::ContainersConf;
using cabin::config::ContainersConfSource;
using cabin::test::EnvGuard;
using cabin::test::error_of;
using Strings = std::vector<std::string>;

namespace {

ContainersConf conf_from(const std::string& toml, const std::string& origin = "/c/containers.conf") {
  ContainersConf c;
  c.merge_text(toml, origin);
  return c;
}

std::string merge_error(const std::string& toml) {
  return error_of([&] { conf_from(toml, "/c/bad.conf"); });
}

Strings paths_of(const std::vector<ContainersConfSource>& sources) {
  Strings out;
  for (const auto& s : sources) out.push_back(s.path + (s.dropin_dir ? "/" : "") + (s.required ? " (required)" : ""));
  return out;
}

}  // namespace

TEST_CASE("containers.conf: the keys cabin honours") {
  auto c = conf_from(R"(
[containers]
default_capabilities = ["CHOWN", "cap_kill"]
default_ulimits = ["nofile=1024:2048", "nproc=100"]
env = ["FOO=bar", "HOSTVAR"]
env_host = false
dns_servers = ["192.0.2.1"]
dns_searches = ["example.com"]
dns_options = ["ndots:2"]
annotations = ["a=b"]
init = true
read_only = true
userns = "keep-id"
log_driver = "k8s-file"
log_size_max = 10000
pids_limit = 2048
tz = "UTC"

[engine]
pull_policy = "never"
)");
  CHECK(c.default_capabilities == Strings{"CHOWN", "cap_kill"});
  CHECK(c.default_ulimits == Strings{"nofile=1024:2048", "nproc=100"});
  CHECK(c.env == Strings{"FOO=bar", "HOSTVAR"});
  CHECK(c.env_host == false);
  CHECK(c.dns_servers == Strings{"192.0.2.1"});
  CHECK(c.dns_searches == Strings{"example.com"});
  CHECK(c.dns_options == Strings{"ndots:2"});
  CHECK(c.annotations == Strings{"a=b"});
  CHECK(c.init == true);
  CHECK(c.read_only == true);
  CHECK(c.userns == "keep-id");
  CHECK(c.log_driver == "k8s-file");
  CHECK(c.log_size_max == 10000u);
  CHECK(c.pids_limit == 2048);
  CHECK(c.pull_policy == "never");
  CHECK(c.files_read == Strings{"/c/containers.conf"});
}

TEST_CASE("containers.conf: a key a later file sets replaces the earlier one; the others stay") {
  ContainersConf c;
  c.merge_text("[containers]\nenv = [\"A=1\"]\ninit = true\n[engine]\npull_policy = \"always\"\n", "/first.conf");
  c.merge_text("[containers]\nenv = []\n[engine]\npull_policy = \"never\"\n", "/second.conf");
  CHECK(c.env == Strings{});  // an empty list is a value: it replaces
  CHECK(c.init == true);
  CHECK(c.pull_policy == "never");
  CHECK(c.files_read == Strings{"/first.conf", "/second.conf"});
  CHECK_FALSE(c.dns_servers.has_value());
  // log_size_max: negative means no limit.
  c.merge_text("[containers]\nlog_size_max = -1\n", "/third.conf");
  CHECK(c.log_size_max == 0u);
}

TEST_CASE("containers.conf: keys and tables cabin has no use for are not errors") {
  // userns "auto" is warned about: keep the warning off the test's output.
  auto level = cabin::log::level();
  cabin::log::set_level(cabin::log::Level::Error);
  cabin::ScopeGuard restore([&] { cabin::log::set_level(level); });
  auto c = conf_from(R"(
[containers]
label = true
netns = "slirp4netns"
default_sysctls = ["net.ipv4.ping_group_range=0 0"]
base_hosts_file = ""
userns = "auto"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
[engine.runtimes]
crun = ["/usr/bin/crun"]
[engine.volume_plugins]

[network]
default_network = "podman"
default_subnet = "10.88.0.0/16"

[secrets]
[secrets.opts]
[machine]
cpus = 2
[farms]
)");
  // userns "auto" is Podman's; cabin warns and keeps its default.
  CHECK_FALSE(c.userns.has_value());
  CHECK(c.files_read.size() == 1);
}

TEST_CASE("containers.conf: a malformed file names the file and the key") {
  CHECK(merge_error("[containers]\npids_limit = \"many\"\n") ==
        "containers.conf /c/bad.conf: [containers] pids_limit: expected an integer");
  CHECK(merge_error("[containers]\ninit = \"yes\"\n") ==
        "containers.conf /c/bad.conf: [containers] init: expected true or false");
  CHECK(merge_error("[containers]\nenv = \"A=1\"\n") ==
        "containers.conf /c/bad.conf: [containers] env: expected an array of strings");
  CHECK(merge_error("[containers]\ndefault_capabilities = [\"CHOWN\", \"NOPE\"]\n") ==
        "containers.conf /c/bad.conf: [containers] default_capabilities: \"CAP_NOPE\": unknown capability");
  CHECK(merge_error("[containers]\ndefault_ulimits = [\"bogus=1\"]\n") ==
        "containers.conf /c/bad.conf: [containers] default_ulimits: invalid ulimit type: bogus");
  CHECK(merge_error("[containers]\nlog_driver = \"syslog\"\n") ==
        "containers.conf /c/bad.conf: [containers] log_driver: unknown log driver \"syslog\"");
  CHECK(merge_error("[containers]\nlog_size_max = 100\n") ==
        "containers.conf /c/bad.conf: [containers] log_size_max: 100 is below 8192 (negative: no limit)");
  CHECK(merge_error("[containers]\nannotations = [\"novalue\"]\n") ==
        "containers.conf /c/bad.conf: [containers] annotations: \"novalue\" must be formatted KEY=VALUE");
  CHECK(merge_error("[containers]\nuserns = \"keep-id:size=3\"\n") ==
        "containers.conf /c/bad.conf: [containers] userns: unknown --userns keep-id option \"size\"");
  CHECK(merge_error("[engine]\npull_policy = \"sometimes\"\n") ==
        "containers.conf /c/bad.conf: [engine] pull_policy: unsupported pull policy \"sometimes\": must be "
        "always, missing, never or newer");
  CHECK(merge_error("containers = 3\n") == "containers.conf /c/bad.conf: [containers]: expected a table");
  // A syntax error: cpptoml's message, with the line.
  auto syntax = merge_error("[containers]\ninit = \n");
  CHECK(syntax.rfind("containers.conf /c/bad.conf: ", 0) == 0);
  CHECK(syntax.find("line 2") != std::string::npos);
  // Nothing of a bad file is kept.
  ContainersConf c;
  c.merge_text("[containers]\ninit = true\n", "/good.conf");
  CHECK_THROWS(c.merge_text("[containers]\ninit = false\npids_limit = \"x\"\n", "/bad.conf"));
  CHECK(c.files_read == Strings{"/good.conf"});
}

TEST_CASE("containers.conf: where the files are, in increasing precedence") {
  EnvGuard env;
  env.unset("CONTAINERS_CONF");
  env.unset("CONTAINERS_CONF_OVERRIDE");
  env.set("XDG_CONFIG_HOME", "/home/u/.config");
  CHECK(paths_of(ContainersConf::sources(1000)) == Strings{
                                                       "/usr/share/containers/containers.conf",
                                                       "/usr/share/containers/containers.conf.d/",
                                                       "/usr/share/containers/containers.rootless.conf.d/",
                                                       "/usr/share/containers/containers.rootless.conf.d/1000/",
                                                       "/etc/containers/containers.conf",
                                                       "/etc/containers/containers.conf.d/",
                                                       "/etc/containers/containers.rootless.conf.d/",
                                                       "/etc/containers/containers.rootless.conf.d/1000/",
                                                       "/etc/cabin/containers.conf",
                                                       "/home/u/.config/containers/containers.conf",
                                                       "/home/u/.config/containers/containers.conf.d/",
                                                       "/home/u/.config/cabin/containers.conf",
                                                   });
  auto root = paths_of(ContainersConf::sources(0));
  CHECK(root[2] == "/usr/share/containers/containers.rootful.conf.d/");
  CHECK(root[5] == "/etc/containers/containers.rootful.conf.d/");
  CHECK(root.size() == 10);

  // CONTAINERS_CONF: that file alone; CONTAINERS_CONF_OVERRIDE: last, always.
  env.set("CONTAINERS_CONF_OVERRIDE", "/o.conf");
  CHECK(paths_of(ContainersConf::sources(1000)).back() == "/o.conf (required)");
  env.set("CONTAINERS_CONF", "/only.conf");
  CHECK(paths_of(ContainersConf::sources(1000)) == Strings{"/only.conf (required)", "/o.conf (required)"});
}

TEST_CASE("containers.conf: load reads drop-ins sorted, skips what is absent, requires what the environment names") {
  cabin::fs::TempDir dir("/tmp", "cabin-cc-");
  std::string d = dir.path();
  cabin::fs::mkdir_p(d + "/conf.d", 0755);
  cabin::fs::write_file_atomic(d + "/main.conf", "[containers]\ninit = true\nenv = [\"A=main\"]\n");
  cabin::fs::write_file_atomic(d + "/conf.d/20-b.conf", "[containers]\nenv = [\"A=b\"]\n");
  cabin::fs::write_file_atomic(d + "/conf.d/10-a.conf", "[containers]\nenv = [\"A=a\"]\ninit = false\n");
  cabin::fs::write_file_atomic(d + "/conf.d/30-c.txt", "not toml [");
  auto c = ContainersConf::load({{d + "/main.conf"}, {d + "/absent.conf"}, {d + "/conf.d", true}, {d + "/no.d", true}});
  CHECK(c.files_read == Strings{d + "/main.conf", d + "/conf.d/10-a.conf", d + "/conf.d/20-b.conf"});
  CHECK(c.env == Strings{"A=b"});
  CHECK(c.init == false);
  CHECK(error_of([&] { ContainersConf::load({{d + "/absent.conf", false, true}}); }) ==
        "containers.conf " + d + "/absent.conf: No such file or directory");
}

TEST_CASE("containers.conf: defaults for what the command line did not set") {
  auto c = conf_from(R"(
[containers]
default_capabilities = ["CHOWN"]
default_ulimits = ["nofile=100:200"]
env = ["A=1"]
dns_servers = ["192.0.2.1"]
dns_searches = ["example.com"]
annotations = ["k=conf"]
init = true
userns = "keep-id"
log_size_max = 10000
[engine]
pull_policy = "never"
)");
  std::set<std::string> given;
  auto was_given = [&](std::string_view f) { return given.count(std::string(f)) > 0; };

  cabin::engine::CreateOptions o;
  o.run.ulimits = {"nofile=10:20"};
  o.annotations = {"k=flag"};
  o.log_opts = {"max-size=1m"};
  cabin::engine::apply_containers_conf(c, o, was_given);
  CHECK(o.run.default_caps == Strings{"CHOWN"});
  CHECK(o.run.ulimits == Strings{"nofile=100:200", "nofile=10:20"});  // the flag's comes last and wins
  CHECK(o.run.config_env == Strings{"A=1"});
  CHECK(o.run.dns == Strings{"192.0.2.1"});
  CHECK(o.run.dns_search == Strings{"example.com"});
  CHECK(o.annotations == Strings{"k=conf", "k=flag"});
  CHECK(o.run.init);
  CHECK(o.userns == "keep-id");
  CHECK(o.log_opts == Strings{"max-size=10000", "max-size=1m"});
  CHECK(o.pull == "never");

  // Flags given: the file does not touch them, even to a flag's "false".
  given = {"--dns", "--init", "--userns", "--pull"};
  cabin::engine::CreateOptions f;
  f.run.dns = {"198.51.100.1"};
  f.pull = "always";
  cabin::engine::apply_containers_conf(c, f, was_given);
  CHECK(f.run.dns == Strings{"198.51.100.1"});
  CHECK_FALSE(f.run.init);
  CHECK(f.userns.empty());
  CHECK(f.pull == "always");
  CHECK(f.run.dns_search == Strings{"example.com"});  // --dns-search was not given

  // --uidmap rules out the file's userns; "host" is cabin's default.
  given = {"--uidmap"};
  cabin::engine::CreateOptions m;
  cabin::engine::apply_containers_conf(c, m, was_given);
  CHECK(m.userns.empty());
  given = {};
  cabin::engine::CreateOptions h;
  cabin::engine::apply_containers_conf(conf_from("[containers]\nuserns = \"host\"\n"), h, was_given);
  CHECK(h.userns.empty());
}

TEST_CASE("containers.conf: {append=true} extends the list the files before set") {
  ContainersConf c;
  c.merge_text("[containers]\nenv = [\"A=1\"]\ndns_servers = [\"192.0.2.1\"]\n", "/1.conf");
  c.merge_text("[containers]\nenv = [\"B=2\", {append=true}]\n"
               "dns_servers = [\n  \"192.0.2.2\",\n  # a comment {append=true}\n  {append=true},\n]\n",
               "/2.conf");
  CHECK(c.env == Strings{"A=1", "B=2"});
  CHECK(c.dns_servers == Strings{"192.0.2.1", "192.0.2.2"});
  c.merge_text("[containers]\nenv = [\"C=3\", {append=false}]\n", "/3.conf");
  CHECK(c.env == Strings{"C=3"});
  // The line numbers of errors stay those of the file.
  CHECK(merge_error("[containers]\nenv = [\n\"A\",\n{append=true}\n]\ninit = \n").find("line 6") != std::string::npos);
}
