#include "util/process.h"

#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
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

namespace {

struct Spawned {
  pid_t pid;
  UniqueFd out;
};

// posix_spawn (a vfork underneath): no copy of cabin's page tables, which
// is most of what a fork costs.
Spawned spawn(const std::vector<std::string>& argv, bool capture) {
  std::string exe = find_in_path(argv.at(0));
  if (exe.empty()) throw Error(ENOENT, fmt::format("{}: executable not found in $PATH", argv[0]));
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int fds[2] = {-1, -1};
  if (capture && ::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    posix_spawn_file_actions_adddup2(&actions, wr.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, wr.get(), STDERR_FILENO);
  }
  pid_t pid;
  int err = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw Error(err, fmt::format("run {}", argv[0]));
  return {pid, std::move(rd)};
}

ProcessResult finish(Spawned& p, const std::string& name) {
  ProcessResult result;
  if (p.out) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p.out.get(), buf, sizeof buf)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      result.output.append(buf, static_cast<size_t>(n));
    }
  }
  while (::waitpid(p.pid, &result.status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for {}", name);
  }
  return result;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, bool capture) {
  auto p = spawn(argv, capture);
  return finish(p, argv[0]);
}

std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& argvs) {
  std::vector<Spawned> running;
  for (const auto& argv : argvs) running.push_back(spawn(argv, true));
  std::vector<ProcessResult> results;
  for (size_t i = 0; i < running.size(); ++i) results.push_back(finish(running[i], argvs[i][0]));
  return results;
}

}  // namespace cabin

namespace cabin {

uint64_t process_start_time(pid_t pid) {
  if (pid <= 0) return 0;
  auto text = fs::read_file_if_exists(fmt::format("/proc/{}/stat", pid));
  if (!text) return 0;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses.
  auto close = text->rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(text->substr(close + 2));
  std::string field;
  in >> field;  // state, field 3
  if (field == "Z" || field == "X") return 0;
  for (int i = 4; i <= 22 && in >> field; ++i) {
  }
  uint64_t start = 0;
  std::from_chars(field.data(), field.data() + field.size(), start);
  return start;
}

std::string boot_id() {
  auto text = fs::read_file_if_exists("/proc/sys/kernel/random/boot_id");
  std::string id = text ? *text : std::string();
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

}  // namespace cabin

namespace cabin {

void trim_resident_set() {
  // smaps: a header line per mapping ("start-end perms offset dev inode
  // path"), then its fields; "Anonymous:" counts the pages it has written
  // (copied on write, as relocations do): a mapping with none is all file.
  auto smaps = fs::read_file_if_exists("/proc/self/smaps").value_or("");
  unsigned long start = 0, end = 0;
  bool candidate = false;
  for (const auto& line : split(smaps, '\n')) {
    char perms[5] = {};
    unsigned long a = 0, b = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &a, &b, perms) == 3) {
      std::string_view p(perms);
      start = a;
      end = b;
      candidate = (p == "r-xp" || p == "r--p") && line.find(" /") != std::string::npos;
    } else if (candidate && line.rfind("Anonymous:", 0) == 0) {
      unsigned long kb = 1;
      std::sscanf(line.c_str() + 10, "%lu", &kb);
      if (kb == 0) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
      candidate = false;
    }
  }
  ::malloc_trim(0);
}

}  // namespace cabin
