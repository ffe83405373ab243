// Running helper programs (newuidmap, …) without a shell.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cabin {

struct ProcessResult {
  int status = 0;        // raw wait status
  std::string output;    // stdout and stderr, when captured
  bool exited_ok() const;
  std::string describe() const;  // "exit status 1" / "killed by signal 9"
};

// Runs argv[0] (searched in PATH) and waits. Captures stdout+stderr when
// capture is true; otherwise they go to cabin's own.
ProcessResult run_process(const std::vector<std::string>& argv, bool capture = true);

// Runs several at once and waits for all (output captured, each small).
std::vector<ProcessResult> run_processes(const std::vector<std::vector<std::string>>& argvs);

// The start time of a live process (not a zombie), in clock ticks since boot
// (field 22 of /proc/PID/stat): with the pid it names a process for good.
// 0 when there is no such process.
uint64_t process_start_time(pid_t pid);

// This boot's id (/proc/sys/kernel/random/boot_id): pids from another boot
// name nothing.
std::string boot_id();

// Finds an executable in PATH; empty when not found.
std::string find_in_path(const std::string& name);

// For a long-lived, mostly idle process (the monitor): frees the heap it
// no longer uses and unmaps the file pages it touched while starting up.
// Only read-only file mappings it has never written to are dropped (code,
// constants), so they come back from the page cache, not the disk, when
// used again; relocated data is left alone. The resident set shrinks to
// what the process goes on using.
void trim_resident_set();

}  // namespace cabin
