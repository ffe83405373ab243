// A container's processes and resource figures, read from the host's /proc:
// the data behind `cabin top` and `cabin stats`.
//
// Podman gets these from the container's cgroup and, for top, by joining the
// container's mount namespace and reading its /proc (psgo). cabin containers
// have their own PID namespace but, on cgroup v1 hosts without delegation, no
// cgroup of their own, so everything here starts from the host pid of the
// container's PID 1 and walks /proc of the caller. Files inside the container
// (/etc/passwd, /etc/group, /dev) are read through /proc/PID/root, resolved
// inside that root so a symlink in the image cannot point at the host's files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::runtime {

// The host pids (as the caller sees them) of every process in init_pid's PID
// namespace that the caller may inspect (whose /proc/PID/ns/pid it can read),
// init_pid first, the others in ascending order. Processes in PID namespaces
// nested inside the container are not included. Empty when init_pid is gone.
std::vector<pid_t> container_pids(pid_t init_pid);

// ---- podman top ----

struct TopTable {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // by PID inside the container
};

// The table `podman top CTR [DESCRIPTORS…]` prints, computed as psgo v1.7.3
// (Podman 4.3) does. Descriptors are AIX format descriptors in their normal
// ("pcpu") or code ("%C") form; an argument may hold several separated by
// commas; none means psgo's defaults, `user pid ppid pcpu etime tty time
// args` (headers USER PID PPID %CPU ELAPSED TTY TIME COMMAND). PIDs and
// user and group ids are those seen inside the container, names come from
// the container's /etc/passwd and /etc/group (the number when there is
// none); hpid, huser, hgroup and hgroups give the caller's view ("?" for
// a process that is not in a PID namespace below the caller's).
// Throws Error "'foo': unknown descriptor" (psgo's text; Podman then runs
// ps(1) in the container instead) before looking at any process,
// Error(ESRCH) "process N" when init_pid is gone, and Error(errno) when the
// caller may not look at it.
TopTable top(pid_t init_pid, const std::vector<std::string>& descriptors = {});

// Every descriptor top knows, in normal form, sorted (podman top
// --list-descriptors).
std::vector<std::string> top_descriptors();
// True when d (one descriptor, normal or code form) is known to top.
bool is_top_descriptor(std::string_view d);

// Prints the table as podman top does: each row's cells joined with tabs
// through Go's tabwriter with minwidth 12, tabwidth 2, padding 2, blanks,
// no flags, so a column is its widest cell plus 2, at least 12; the last
// column is not padded.
void print_top(std::FILE* out, const TopTable& table);

// Go's time.Duration String(): "0s", "450ns", "1.5µs", "20ms",
// "3.54034612s", "2h5m38.737137571s". psgo prints ELAPSED and TIME with it
// and podman stats CPU TIME.
std::string go_duration(std::chrono::nanoseconds d);

// ---- podman stats ----

struct StatsSample {
  // utime+stime of every process, plus the cutime+cstime of the children
  // they reaped, so that, like a cgroup's cpuacct.usage, the sum does not
  // drop when a process exits (the CLK_TCK granularity of /proc remains).
  uint64_t cpu_ns = 0;
  uint64_t mem_bytes = 0;  // sum of VmRSS
  // Podman's limit without a cgroup limit: the machine's RAM (sysinfo
  // totalram, which is /proc/meminfo's MemTotal).
  uint64_t mem_limit = 0;
  // Bytes of every interface but lo in init_pid's network namespace; 0 when
  // it is the caller's (a container on the host's network, which Podman
  // reports as 0B / 0B too).
  uint64_t net_rx = 0, net_tx = 0;
  // read_bytes and write_bytes of /proc/PID/io (the block layer's bytes, as
  // blkio's io_service_bytes counts them); 0 where unreadable.
  uint64_t block_read = 0, block_write = 0;
  // Tasks (threads), as the pids cgroup's pids.current counts them.
  uint64_t pids = 0;
  // How long init_pid has been running (AVG CPU %'s interval).
  std::chrono::nanoseconds running{0};
  std::chrono::steady_clock::time_point at;
};

// Reads the figures of init_pid's container now. When init_pid is gone the
// sample is all zeros but at, as Podman reports a container that is not
// running ("0B / 0B", "0.00%").
StatsSample sample_stats(pid_t init_pid);

// CPU % as podman stats computes it: CPU time used between the samples over
// the wall time between them, × 100: a share of one CPU, so up to 100 × the
// number of CPUs. Without a previous sample, since init_pid started (Podman
// takes the container's start as the previous sample: the first CPU % it
// shows equals AVG CPU %). 0 when nothing was used or no time passed.
double cpu_percent(const StatsSample* previous, const StatsSample& current);
// AVG CPU %: CPU time over the time since init_pid started, × 100.
double avg_cpu_percent(const StatsSample& s);
// MEM %: mem_bytes / mem_limit × 100.
double mem_percent(const StatsSample& s);

// The columns of podman stats' default table after ID and NAME, as Podman
// 4.3 prints them (go-units HumanSize, "%.2f%%").
struct StatsColumns {
  std::string cpu_perc;   // CPU %: "99.24%"
  std::string mem_usage;  // MEM USAGE / LIMIT: "1.053MB / 25.28GB"
  std::string mem_perc;   // MEM %: "0.00%"
  std::string net_io;     // NET IO, received / sent: "0B / 0B"
  std::string block_io;   // BLOCK IO, read / written: "0B / 0B"
  std::string pids;       // PIDS: "3"
  std::string cpu_time;   // CPU TIME: "11.411681556s"
  std::string avg_cpu;    // AVG CPU %: "99.24%"
};
StatsColumns stats_columns(const StatsSample* previous, const StatsSample& current);

// The default table's headers: ID NAME "CPU %" "MEM USAGE / LIMIT" "MEM %"
// "NET IO" "BLOCK IO" PIDS "CPU TIME" "AVG CPU %".
const std::vector<std::string>& stats_headers();

// Podman's floatToPercentString: "%.2f%%" of the value once the exponent
// of its shortest Go 'g' form is cut off, so 1.5e-05 prints as "1.50%", as
// Podman's does; NaN (0 / 0) prints as "NaN%", infinities as "+Inf%".
std::string percent_string(double value);

}  // namespace cabin::runtime
