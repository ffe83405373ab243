#include "util/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "util/error.h"
#include "util/fd.h"
#include "util/strings.h"

namespace cabin {

bool ProcessResult::exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string ProcessResult::describe() const {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  for (const auto& dir : split(p, ':')) {
    std::string full = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(full.c_str(), X_OK) == 0)
      return full;
  }
  return "";
}

ProcessResult run_process(const std::vector<std::string>& argv, bool capture) {
  std::string exe = find_in_path(argv.at(0));
  if (exe.empty()) throw Error(ENOENT, fmt::format("{}: executable not found in $PATH", argv[0]));
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  int fds[2] = {-1, -1};
  if (capture && ::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork {}", argv[0]);
  if (pid == 0) {
    if (capture) {
      ::dup2(wr.get(), STDOUT_FILENO);
      ::dup2(wr.get(), STDERR_FILENO);
    }
    ::execv(exe.c_str(), cargv.data());
    _exit(127);
  }
  wr.reset();
  ProcessResult result;
  if (capture) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(rd.get(), buf, sizeof buf)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      result.output.append(buf, static_cast<size_t>(n));
    }
  }
  while (::waitpid(pid, &result.status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for {}", argv[0]);
  }
  return result;
}

}  // namespace cabin
