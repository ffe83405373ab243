// cabin login and logout: credentials in auth.json, as Podman keeps them;
// and search, which cabin leaves out.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "config/auth.h"
#include "storage/push.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::cmd {
namespace {

struct LoginOptions {
  std::vector<std::string> args;
  std::string username, password, authfile, cert_dir;
  bool password_stdin = false, get_login = false, all = false, verbose = false;
  std::optional<bool> tls_verify;
};

// The key a registry argument stands for: without a scheme or a trailing
// slash ("https://127.0.0.1:5000/" is "127.0.0.1:5000").
std::string registry_key(std::string arg) {
  for (std::string_view scheme : {"https://", "http://"})
    if (arg.rfind(scheme, 0) == 0) arg.erase(0, scheme.size());
  while (!arg.empty() && arg.back() == '/') arg.pop_back();
  if (arg.empty()) fail("no registry given");
  return arg;
}

// One line of stdin, without its newline; prompted (and, for secrets, not
// echoed) when stdin is a terminal.
std::string read_line(std::string_view prompt, bool secret, std::string_view what) {
  bool tty = ::isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    fmt::print(stderr, "{}", prompt);
    std::fflush(stderr);
    if (secret && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty && secret) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fmt::print(stderr, "\n");
  }
  if (!got) fail("getting username and password: reading {}: EOF", what);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int run_login(const LoginOptions& o) {
  check_args(o.args, 1, 1);
  std::string key = registry_key(o.args[0]);
  std::string host = key.substr(0, key.find('/'));
  if (o.get_login) {
    auto c = config::find_credentials_in(config::auth_file_paths(o.authfile), host, key.size() > host.size() ? key.substr(host.size() + 1) : "");
    if (!c || c->username.empty()) fail("not logged into {}", key);
    fmt::print("{}\n", c->username);
    return 0;
  }
  if (!o.password.empty() && o.password_stdin) fail("can't specify both --password-stdin and --password");
  if (o.password_stdin && o.username.empty()) fail("must provide --username with --password-stdin");
  std::string path = config::auth_write_path(o.authfile);
  if (o.username.empty() && o.password.empty() && !o.password_stdin) {
    // Already logged in: the stored credentials are tried first.
    if (auto stored = config::find_credentials_in({path}, host, ""); stored && !stored->username.empty()) {
      fmt::print("Authenticating with existing credentials for {}\n", key);
      try {
        storage::check_login(host, *stored, o.tls_verify, o.cert_dir);
        fmt::print("Existing credentials are valid. Already logged in to {}\n", key);
        return 0;
      } catch (const Error&) {
        fmt::print("Existing credentials are invalid, please enter valid username and password\n");
      }
    }
  }
  config::Credentials c;
  c.username = o.username.empty() ? read_line("Username: ", false, "username") : o.username;
  if (c.username.empty()) fail("getting username and password: username is empty");
  if (o.password_stdin) {
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
    c.password = all;
  } else {
    c.password = o.password.empty() ? read_line("Password: ", true, "password") : o.password;
  }
  storage::check_login(host, c, o.tls_verify, o.cert_dir);
  config::store_credentials(path, key, c);
  fmt::print("Login Succeeded!\n");
  return 0;
}

int run_logout(const LoginOptions& o) {
  std::string path = config::auth_write_path(o.authfile);
  if (o.all) {
    if (!o.args.empty()) fail("--all takes no registry");
    config::remove_credentials(path, "");
    fmt::print("Removed login credentials for all registries\n");
    return 0;
  }
  check_args(o.args, 1, 1);
  std::string key = registry_key(o.args[0]);
  if (config::remove_credentials(path, key)) {
    fmt::print("Removed login credentials for {}\n", key);
    return 0;
  }
  std::string host = key.substr(0, key.find('/'));
  if (o.authfile.empty())
    if (auto other = config::find_credentials(host, ""); other && !other->username.empty())
      fail("not logged into {} with cabin. Existing credentials were established via docker login. Please use docker "
           "logout instead",
           key);
  fail("not logged into {}", key);
}

}  // namespace

Runner bind_login(CLI::App& app, Globals&) {
  auto o = std::make_shared<LoginOptions>();
  app.add_option("registry", o->args, "Registry to log in to");
  app.add_option("-u,--username", o->username, "Username for registry");
  app.add_option("-p,--password", o->password, "Password for registry");
  app.add_flag("--password-stdin", o->password_stdin, "Take the password from stdin");
  app.add_option("--authfile", o->authfile, "Path of the authentication file");
  app.add_option("--cert-dir", o->cert_dir, "Use certificates at the specified path to access the registry");
  app.add_flag("--get-login", o->get_login, "Return the current login user for the registry");
  app.add_flag("-v,--verbose", o->verbose, "Write more detailed information to stdout");
  add_bool_flag(app, "--tls-verify", o->tls_verify, "Require HTTPS and verify certificates when contacting registries");
  return [o] { return run_login(*o); };
}

// Registries' search APIs differ (Docker Hub's v1 search, none in the
// distribution spec); cabin leaves search out and says so.
Runner bind_search(CLI::App& app, Globals&) {
  auto args = std::make_shared<std::vector<std::string>>();
  app.add_option("term", *args, "TERM");
  app.allow_extras();
  return [args]() -> int {
    fail("search is not supported: cabin does not search registries; list a repository's tags with "
         "`skopeo list-tags docker://REGISTRY/REPOSITORY`");
  };
}

Runner bind_logout(CLI::App& app, Globals&) {
  auto o = std::make_shared<LoginOptions>();
  app.add_option("registry", o->args, "Registry to log out from");
  app.add_flag("-a,--all", o->all, "Remove the cached credentials for all registries in the auth file");
  app.add_option("--authfile", o->authfile, "Path of the authentication file");
  return [o] { return run_logout(*o); };
}

}  // namespace cabin::cmd
