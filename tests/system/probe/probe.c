// probe: a small static program that cabin's system tests run inside
// containers to look at what the container got (ids, capabilities, seccomp,
// signals, terminal, limits, file descriptors) and to provoke the exits the
// tests check. Built with musl (musl-gcc -static -Os) by make-images.sh into
// the image 127.0.0.1:5000/probe.
//
// Output is line-oriented and stable: tests match it exactly. Commands that
// try something (syscall, read, write, stat) print the outcome ("ok …" or an
// errno name such as EPERM) and exit 0; a usage error exits 2.
// See usage() for the commands.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static const char* usage_text =
    "usage: probe COMMAND [ARG...]\n"
    "  args [ARG...]        print argv (from argv[0]) one per line\n"
    "  env                  print the environment, one VAR=VALUE per line\n"
    "  getenv NAME          print NAME's value; exit 1 when unset\n"
    "  cwd                  print the working directory\n"
    "  ids                  uid=U gid=G euid=U egid=G groups=G,G (numeric)\n"
    "  pid                  pid=P ppid=P pgid=P sid=P\n"
    "  ps                   every process: PID STATE COMM, by pid\n"
    "  hostname             the nodename (uname)\n"
    "  umask                the umask, 4 octal digits\n"
    "  caps                 CapInh/CapPrm/CapEff/CapBnd/CapAmb/NoNewPrivs/Seccomp=VALUE lines\n"
    "  status FIELD...      values of /proc/self/status fields, one per line\n"
    "  fds [-v]             open file descriptors: \"0 1 2\" (-v: one per line with targets)\n"
    "  rlimit NAME          soft and hard limit: \"1024 4096\" (\"unlimited\"); NAME as ulimit's\n"
    "                       (nofile, nproc, core, stack, memlock, as, cpu, fsize, data, ...)\n"
    "  syscall NAME         try a syscall, print \"ok\" or the errno name; see below\n"
    "  read PATH            \"ok BYTES\" (file), \"dir ENTRIES\" (directory) or the errno name\n"
    "  write PATH [DATA]    create/truncate PATH and write DATA (default \"probe\\n\"): \"ok\" or errno\n"
    "  stat PATH            \"uid=U gid=G mode=OOOO type=file|dir|link|char|block|fifo|socket\" or errno\n"
    "  tty                  stdin=0|1 stdout=0|1 stderr=0|1 size=ROWSxCOLS|none name=PATH|none\n"
    "                       ctty=0|1 foreground=0|1\n"
    "  winch [SECONDS]      print \"size=RxC\" and \"ready\", wait for SIGWINCH, print \"winch size=RxC\"\n"
    "  wait-signal [SECONDS] print \"ready\", wait for a signal, print \"signal SIGNAME\" and exit\n"
    "                       100+N; \"timeout\" and exit 3 after SECONDS (default 60)\n"
    "  kill-self SIG        die of signal SIG (SEGV, ILL, FPE, TRAP are faults, so PID 1 dies\n"
    "                       too; other signals are raised: PID 1 ignores those it has no\n"
    "                       handler for, then \"alive\" and exit 1)\n"
    "  exit N               exit with code N\n"
    "  sleep SECONDS        sleep (fractions allowed)\n"
    "  resolve NAME         the IPv4 addresses NAME resolves to (getaddrinfo), one per line\n"
    "  http URL [SECONDS]   GET http://HOST|[IPV6][:PORT]/PATH (HTTP/1.0), print the body; \"error WHY\"\n"
    "                       and exit 1 when it fails (default timeout 5 s)\n"
    "  ping ADDR            one ICMP echo through a datagram socket: \"ok\", \"timeout\" or errno\n"
    "  udp HOST PORT DATA   send DATA (up to 3 times, 1 s apart), print the reply or \"timeout\"\n"
    "  udp-echo PORT        \"ready\", then send every datagram back with \"echo:\" before it\n"
    "                       (and print \"from ADDRESS\" for each)\n"
    "  peer PORT            \"ready\", then answer every HTTP request on PORT (IPv6 and IPv4) with\n"
    "                       the client's address\n"
    "  sink PORT            accept TCP connections on PORT forever, discarding what they send\n"
    "  source HOST PORT MB  send MB megabytes over TCP, print \"MB/s\" (until the peer has it all)\n"
    "  zombies [N] [MS]     make N (default 3) orphans that exit, wait up to MS (default 1000)\n"
    "                       for them to be reaped, print \"zombies=K\" (K left unreaped)\n"
    "syscall names:\n"
    "  add_key request_key keyctl userfaultfd vmsplice move_pages sysfs swapon kexec_load\n"
    "  init_module acct bpf perf_event_open iopl clock_settime settimeofday open_by_handle_at\n"
    "  sethostname setdomainname setns chroot mount unshare-user unshare-mount unshare-net\n"
    "  unshare-pid unshare-uts unshare-ipc unshare-cgroup ptrace reboot personality mknod-char\n"
    "  mknod-fifo chown setuid setgid setgroups socket-raw bind-80 io_uring_setup nr:N\n";

static void usage(void) {
  fputs(usage_text, stderr);
  exit(2);
}

// ------------------------------------------------------------------ errno and signal names
static const struct {
  int num;
  const char* name;
} errnos[] = {
    {EPERM, "EPERM"},       {ENOENT, "ENOENT"},         {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},       {EIO, "EIO"},               {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},       {ENOEXEC, "ENOEXEC"},       {EBADF, "EBADF"},
    {ECHILD, "ECHILD"},     {EAGAIN, "EAGAIN"},         {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},     {EFAULT, "EFAULT"},         {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},     {EXDEV, "EXDEV"},           {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"},   {EISDIR, "EISDIR"},         {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},     {EMFILE, "EMFILE"},         {ENOTTY, "ENOTTY"},
    {ETXTBSY, "ETXTBSY"},   {EFBIG, "EFBIG"},           {ENOSPC, "ENOSPC"},
    {ESPIPE, "ESPIPE"},     {EROFS, "EROFS"},           {EMLINK, "EMLINK"},
    {EPIPE, "EPIPE"},       {ERANGE, "ERANGE"},         {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"},     {ENOTEMPTY, "ENOTEMPTY"},   {ELOOP, "ELOOP"},
    {ENODATA, "ENODATA"},   {EOVERFLOW, "EOVERFLOW"},   {EUSERS, "EUSERS"},
    {ENOTSOCK, "ENOTSOCK"}, {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EADDRINUSE, "EADDRINUSE"}, {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {ENETDOWN, "ENETDOWN"}, {ENETUNREACH, "ENETUNREACH"}, {ECONNRESET, "ECONNRESET"},
    {ENOTCONN, "ENOTCONN"}, {ETIMEDOUT, "ETIMEDOUT"},   {ECONNREFUSED, "ECONNREFUSED"},
    {EHOSTUNREACH, "EHOSTUNREACH"}, {EDQUOT, "EDQUOT"}, {ENOKEY, "ENOKEY"},
    {EKEYREVOKED, "EKEYREVOKED"}, {EKEYREJECTED, "EKEYREJECTED"},
};

static const char* errno_name(int e) {
  static char buf[16];
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++) {
    if (errnos[i].num == e) return errnos[i].name;
  }
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

static const struct {
  int num;
  const char* name;
} signals[] = {
    {SIGHUP, "HUP"},     {SIGINT, "INT"},     {SIGQUIT, "QUIT"},     {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"},   {SIGABRT, "ABRT"},   {SIGBUS, "BUS"},       {SIGFPE, "FPE"},
    {SIGKILL, "KILL"},   {SIGUSR1, "USR1"},   {SIGSEGV, "SEGV"},     {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"},   {SIGALRM, "ALRM"},   {SIGTERM, "TERM"},     {SIGSTKFLT, "STKFLT"},
    {SIGCHLD, "CHLD"},   {SIGCONT, "CONT"},   {SIGSTOP, "STOP"},     {SIGTSTP, "TSTP"},
    {SIGTTIN, "TTIN"},   {SIGTTOU, "TTOU"},   {SIGURG, "URG"},       {SIGXCPU, "XCPU"},
    {SIGXFSZ, "XFSZ"},   {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},   {SIGWINCH, "WINCH"},
    {SIGIO, "IO"},       {SIGPWR, "PWR"},     {SIGSYS, "SYS"},
};

static const char* signal_name(int sig) {
  static char buf[16];
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    if (signals[i].num == sig) {
      snprintf(buf, sizeof buf, "SIG%s", signals[i].name);
      return buf;
    }
  }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN);
  } else {
    snprintf(buf, sizeof buf, "SIG%d", sig);
  }
  return buf;
}

// "TERM", "SIGTERM", "15" → 15; -1 when unknown.
static int parse_signal(const char* s) {
  char* end;
  long n = strtol(s, &end, 10);
  if (*s && !*end) return (n > 0 && n < NSIG) ? (int)n : -1;
  if (strncasecmp(s, "SIG", 3) == 0) s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    if (strcasecmp(signals[i].name, s) == 0) return signals[i].num;
  }
  return -1;
}

static long parse_long(const char* s, long lo, long hi) {
  char* end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (!*s || *end || errno || n < lo || n > hi) {
    fprintf(stderr, "probe: bad number: %s\n", s);
    exit(2);
  }
  return n;
}

// Prints "ok" when rc >= 0, else the errno name.
static int report(long rc) {
  if (rc < 0) {
    puts(errno_name(errno));
  } else {
    puts("ok");
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

// ------------------------------------------------------------------ simple commands
static int cmd_args(int argc, char** argv) {
  // argv as the container's process got it, argv[0] first ("probe args x"
  // is argv[0]="probe"-ish, "args", "x").
  for (int i = 0; i < argc; i++) puts(argv[i]);
  return 0;
}

static int cmd_env(void) {
  for (char** e = environ; *e; e++) puts(*e);
  return 0;
}

static int cmd_getenv(const char* name) {
  const char* v = getenv(name);
  if (!v) return 1;
  puts(v);
  return 0;
}

static int cmd_cwd(void) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) {
    puts(errno_name(errno));
    return 1;
  }
  puts(buf);
  return 0;
}

static int cmd_ids(void) {
  gid_t groups[NGROUPS_MAX];
  int n = getgroups(NGROUPS_MAX, groups);
  printf("uid=%u gid=%u euid=%u egid=%u groups=", (unsigned)getuid(), (unsigned)getgid(),
         (unsigned)geteuid(), (unsigned)getegid());
  for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", (unsigned)groups[i]);
  putchar('\n');
  return 0;
}

static int cmd_pid(void) {
  printf("pid=%d ppid=%d pgid=%d sid=%d\n", (int)getpid(), (int)getppid(), (int)getpgrp(),
         (int)getsid(0));
  return 0;
}

static int cmp_int(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

// Reads /proc/PID/stat: state and comm. 0 on success.
static int proc_stat(int pid, char* state, char* comm, size_t commlen) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char* open_paren = strchr(buf, '(');
  char* close_paren = strrchr(buf, ')');
  if (!open_paren || !close_paren || close_paren[1] != ' ') return -1;
  size_t len = (size_t)(close_paren - open_paren - 1);
  if (len >= commlen) len = commlen - 1;
  memcpy(comm, open_paren + 1, len);
  comm[len] = 0;
  *state = close_paren[2];
  return 0;
}

// The pids under /proc, sorted; returns the count (at most max).
static int list_pids(int* pids, int max) {
  DIR* d = opendir("/proc");
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < max) {
    char* end;
    long p = strtol(e->d_name, &end, 10);
    if (*e->d_name && !*end && p > 0) pids[n++] = (int)p;
  }
  closedir(d);
  qsort(pids, (size_t)n, sizeof pids[0], cmp_int);
  return n;
}

static int cmd_ps(void) {
  static int pids[65536];
  int n = list_pids(pids, 65536);
  if (n < 0) {
    puts(errno_name(errno));
    return 1;
  }
  for (int i = 0; i < n; i++) {
    char state, comm[64];
    if (proc_stat(pids[i], &state, comm, sizeof comm) == 0) printf("%d %c %s\n", pids[i], state, comm);
  }
  return 0;
}

static int cmd_hostname(void) {
  struct utsname u;
  if (uname(&u) < 0) return 1;
  puts(u.nodename);
  return 0;
}

static int cmd_umask(void) {
  mode_t m = umask(0);
  umask(m);
  printf("%04o\n", (unsigned)m);
  return 0;
}

// Looks FIELD up in /proc/self/status; the value without leading blanks.
static int status_field(const char* field, char* out, size_t outlen) {
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[512];
  size_t flen = strlen(field);
  int found = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
      char* v = line + flen + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = 0;
      snprintf(out, outlen, "%s", v);
      found = 0;
      break;
    }
  }
  fclose(f);
  return found;
}

static int cmd_status(int n, char** fields) {
  int rc = 0;
  for (int i = 0; i < n; i++) {
    char v[256];
    if (status_field(fields[i], v, sizeof v) == 0) {
      puts(v);
    } else {
      puts("missing");
      rc = 1;
    }
  }
  return rc;
}

static int cmd_caps(void) {
  static const char* fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd",
                                 "CapAmb", "NoNewPrivs", "Seccomp"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    char v[256];
    if (status_field(fields[i], v, sizeof v) < 0) snprintf(v, sizeof v, "missing");
    printf("%s=%s\n", fields[i], v);
  }
  return 0;
}

static int cmd_fds(int verbose) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) {
    puts(errno_name(errno));
    return 1;
  }
  int self = dirfd(d), fds[1024], n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 1024) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != self) fds[n++] = fd;
  }
  closedir(d);
  qsort(fds, (size_t)n, sizeof fds[0], cmp_int);
  for (int i = 0; i < n; i++) {
    if (verbose) {
      char path[64], target[PATH_MAX];
      snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
      ssize_t len = readlink(path, target, sizeof target - 1);
      target[len < 0 ? 0 : len] = 0;
      printf("%d %s\n", fds[i], target);
    } else {
      printf("%s%d", i ? " " : "", fds[i]);
    }
  }
  if (!verbose) putchar('\n');
  return 0;
}

static const struct {
  const char* name;
  int resource;
} rlimits[] = {
    {"cpu", RLIMIT_CPU},           {"fsize", RLIMIT_FSIZE},     {"data", RLIMIT_DATA},
    {"stack", RLIMIT_STACK},       {"core", RLIMIT_CORE},       {"rss", RLIMIT_RSS},
    {"nproc", RLIMIT_NPROC},       {"nofile", RLIMIT_NOFILE},   {"memlock", RLIMIT_MEMLOCK},
    {"as", RLIMIT_AS},             {"locks", RLIMIT_LOCKS},     {"sigpending", RLIMIT_SIGPENDING},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},       {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
};

static void print_limit(rlim_t v) {
  if (v == RLIM_INFINITY) {
    fputs("unlimited", stdout);
  } else {
    printf("%llu", (unsigned long long)v);
  }
}

static int cmd_rlimit(const char* name) {
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
    if (strcasecmp(rlimits[i].name, name) == 0 ||
        (strncasecmp(name, "RLIMIT_", 7) == 0 && strcasecmp(rlimits[i].name, name + 7) == 0)) {
      struct rlimit rl;
      if (getrlimit(rlimits[i].resource, &rl) < 0) {
        puts(errno_name(errno));
        return 1;
      }
      print_limit(rl.rlim_cur);
      putchar(' ');
      print_limit(rl.rlim_max);
      putchar('\n');
      return 0;
    }
  }
  fprintf(stderr, "probe: unknown limit %s\n", name);
  return 2;
}

// ------------------------------------------------------------------ files
static int cmd_read(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    puts(errno_name(errno));
    return 0;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    DIR* d = fdopendir(fd);
    long n = 0;
    struct dirent* e;
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    }
    closedir(d);
    printf("dir %ld\n", n);
    return 0;
  }
  char buf[65536];
  long long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // /proc files that refuse reading fail here, not at open.
      puts(errno_name(errno));
      close(fd);
      return 0;
    }
    if (n == 0) break;
    total += n;
    if (total > (1LL << 24)) break;  // enough: /dev/zero and friends never end
  }
  close(fd);
  printf("ok %lld\n", total);
  return 0;
}

static int cmd_write(const char* path, const char* data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    puts(errno_name(errno));
    return 0;
  }
  size_t len = strlen(data);
  ssize_t n = write(fd, data, len);
  int e = errno;
  if (close(fd) < 0 && n >= 0) {
    n = -1;
    e = errno;
  }
  if (n < 0) {
    puts(errno_name(e));
  } else {
    puts("ok");
  }
  return 0;
}

static int cmd_stat(const char* path) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    puts(errno_name(errno));
    return 0;
  }
  const char* type = S_ISREG(st.st_mode)    ? "file"
                     : S_ISDIR(st.st_mode)  ? "dir"
                     : S_ISLNK(st.st_mode)  ? "link"
                     : S_ISCHR(st.st_mode)  ? "char"
                     : S_ISBLK(st.st_mode)  ? "block"
                     : S_ISFIFO(st.st_mode) ? "fifo"
                                            : "socket";
  printf("uid=%u gid=%u mode=%04o type=%s\n", (unsigned)st.st_uid, (unsigned)st.st_gid,
         (unsigned)(st.st_mode & 07777), type);
  return 0;
}

// ------------------------------------------------------------------ terminal
static int cmd_tty(void) {
  int first = -1;
  for (int fd = 0; fd < 3; fd++) {
    if (isatty(fd) && first < 0) first = fd;
  }
  printf("stdin=%d stdout=%d stderr=%d", isatty(0), isatty(1), isatty(2));
  struct winsize ws;
  if (first >= 0 && ioctl(first, TIOCGWINSZ, &ws) == 0) {
    printf(" size=%ux%u", ws.ws_row, ws.ws_col);
  } else {
    printf(" size=none");
  }
  char* name = first >= 0 ? ttyname(first) : NULL;
  printf(" name=%s", name ? name : "none");
  int ctty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  printf(" ctty=%d", ctty >= 0);
  if (ctty >= 0) close(ctty);
  printf(" foreground=%d\n", first >= 0 && tcgetpgrp(first) == getpgrp());
  return 0;
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

static void print_size(const char* prefix) {
  struct winsize ws;
  int fd = isatty(0) ? 0 : isatty(1) ? 1 : 2;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
    printf("%ssize=%ux%u\n", prefix, ws.ws_row, ws.ws_col);
  } else {
    printf("%ssize=none\n", prefix);
  }
  fflush(stdout);
}

// Waits up to seconds for got_signal; the signals are blocked outside
// sigsuspend so none is lost between the check and the wait.
static int wait_for_signal(const sigset_t* waitmask, long seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += seconds;
  while (!got_signal) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
    if (left_ms <= 0) return 0;
    // ppoll unblocks exactly the wanted signals while it waits.
    struct timespec ts = {left_ms / 1000, (left_ms % 1000) * 1000000L};
    ppoll(NULL, 0, &ts, waitmask);
  }
  return got_signal;
}

static int cmd_winch(long seconds) {
  sigset_t block, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGWINCH);
  sigprocmask(SIG_BLOCK, &block, &waitmask);
  sigdelset(&waitmask, SIGWINCH);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGWINCH, &sa, NULL);
  print_size("");
  puts("ready");
  fflush(stdout);
  if (!wait_for_signal(&waitmask, seconds)) {
    puts("timeout");
    return 3;
  }
  print_size("winch ");
  return 0;
}

static int cmd_wait_signal(long seconds) {
  sigset_t block, waitmask;
  sigemptyset(&block);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  for (int sig = 1; sig < NSIG; sig++) {
    // Not the ones a terminal or the kernel sends on their own.
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGWINCH || sig == SIGURG ||
        sig == SIGCONT || sig == SIGTTIN || sig == SIGTTOU || sig == SIGPIPE)
      continue;
    if (sig >= 32 && sig < SIGRTMIN) continue;  // reserved by libc
    if (sigaction(sig, &sa, NULL) == 0) sigaddset(&block, sig);
  }
  sigprocmask(SIG_BLOCK, &block, &waitmask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sigismember(&block, sig) == 1) sigdelset(&waitmask, sig);
  }
  puts("ready");
  fflush(stdout);
  int sig = wait_for_signal(&waitmask, seconds);
  if (!sig) {
    puts("timeout");
    return 3;
  }
  printf("signal %s\n", signal_name(sig));
  return 100 + sig;
}

// ------------------------------------------------------------------ exits
static int cmd_kill_self(const char* name) {
  int sig = parse_signal(name);
  if (sig < 0) usage();
  fflush(stdout);
  // The default action, whatever the parent left us.
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  // Faults are delivered even to a PID 1 without a handler.
  switch (sig) {
    case SIGSEGV:
    {
      volatile int* volatile nowhere = NULL;
      *nowhere = 1;
      break;
    }
    case SIGILL:
      __builtin_trap();
      break;
#if defined(__x86_64__) || defined(__i386__)
    case SIGFPE:
      __asm__ volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx" ::: "eax", "ecx", "edx");
      break;
    case SIGTRAP:
      __asm__ volatile("int3");
      break;
#endif
    default:
      kill(getpid(), sig);
      break;
  }
  sleep_ms(100);
  puts("alive");
  return 1;
}

// Orphans that exit become zombies of whoever reaps for the pid namespace
// (PID 1, or a subreaper). A pipe tells when all of them have exited.
static int count_zombies(void) {
  static int pids[65536];
  int n = list_pids(pids, 65536), z = 0;
  for (int i = 0; i < n; i++) {
    char state, comm[64];
    if (proc_stat(pids[i], &state, comm, sizeof comm) == 0 && state == 'Z') z++;
  }
  return z;
}

static int cmd_zombies(long n, long ms) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return 1;
  int before = count_zombies();
  for (long i = 0; i < n; i++) {
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
      pid_t grandchild = fork();
      if (grandchild == 0) {
        // Outlive the child, so that it is an orphan when it exits.
        close(p[0]);
        sleep_ms(50);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(child, NULL, 0);
  }
  close(p[1]);
  char c;
  while (read(p[0], &c, 1) > 0 || errno == EINTR) {
  }
  close(p[0]);
  // Now every orphan has exited: wait for them to be reaped.
  int z = count_zombies() - before;
  for (long waited = 0; z > 0 && waited < ms; waited += 20) {
    sleep_ms(20);
    z = count_zombies() - before;
  }
  printf("zombies=%d\n", z < 0 ? 0 : z);
  return 0;
}

// ------------------------------------------------------------------ syscalls
static long try_unshare(int flags) { return unshare(flags); }

static long try_ptrace(void) {
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    pause();
    _exit(0);
  }
  long rc = ptrace(PTRACE_ATTACH, child, 0, 0);
  int e = errno;
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  errno = e;
  return rc;
}

static long try_mknod(mode_t type, dev_t dev) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/.probe-mknod-%d", (int)getpid());
  long rc = mknod(path, type | 0600, dev);
  int e = errno;
  if (rc == 0) unlink(path);
  errno = e;
  return rc;
}

static long try_chown(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/.probe-chown-%d", (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  close(fd);
  long rc = chown(path, 1, 1);
  int e = errno;
  unlink(path);
  errno = e;
  return rc;
}

static long try_bind80(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long rc = bind(s, (struct sockaddr*)&a, sizeof a);
  int e = errno;
  close(s);
  errno = e;
  return rc;
}

static long try_fd_result(long fd) {
  if (fd >= 0) close((int)fd);
  return fd;
}

static int cmd_syscall(const char* name) {
  long rc;
  // Each one is harmless when it succeeds in a container: it changes only the
  // probe's own state, or undoes what it did.
  if (!strcmp(name, "add_key")) {
    rc = syscall(SYS_add_key, "user", "cabin-probe", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
  } else if (!strcmp(name, "request_key")) {
    rc = syscall(SYS_request_key, "user", "cabin-probe-missing", NULL, 0);
  } else if (!strcmp(name, "keyctl")) {
    rc = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2, 0);
  } else if (!strcmp(name, "userfaultfd")) {
    rc = try_fd_result(syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */));
  } else if (!strcmp(name, "vmsplice")) {
    rc = syscall(SYS_vmsplice, -1, NULL, 0, 0);  // EBADF when allowed
  } else if (!strcmp(name, "move_pages")) {
    rc = syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0);
  } else if (!strcmp(name, "sysfs")) {
#ifdef SYS_sysfs
    rc = syscall(SYS_sysfs, 3);
#else
    errno = ENOSYS, rc = -1;
#endif
  } else if (!strcmp(name, "swapon")) {
    rc = syscall(SYS_swapon, "/nonexistent-swap", 0);
  } else if (!strcmp(name, "kexec_load")) {
    rc = syscall(SYS_kexec_load, 0, 0, NULL, 0);
  } else if (!strcmp(name, "init_module")) {
    rc = syscall(SYS_init_module, NULL, 0, "");
  } else if (!strcmp(name, "acct")) {
    rc = syscall(SYS_acct, NULL);
  } else if (!strcmp(name, "bpf")) {
    rc = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0);
  } else if (!strcmp(name, "perf_event_open")) {
    rc = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  } else if (!strcmp(name, "iopl")) {
#ifdef SYS_iopl
    rc = syscall(SYS_iopl, 0);  // level 0 needs no privilege
#else
    errno = ENOSYS, rc = -1;
#endif
  } else if (!strcmp(name, "clock_settime")) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc = syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
  } else if (!strcmp(name, "settimeofday")) {
    rc = syscall(SYS_settimeofday, NULL, NULL);
  } else if (!strcmp(name, "open_by_handle_at")) {
    rc = syscall(SYS_open_by_handle_at, -1, NULL, 0);
  } else if (!strcmp(name, "sethostname")) {
    char h[65] = {0};
    gethostname(h, sizeof h - 1);
    rc = sethostname(h, strlen(h));  // the same name: changes nothing
  } else if (!strcmp(name, "setdomainname")) {
    rc = setdomainname("(none)", 6);
  } else if (!strcmp(name, "setns")) {
    rc = syscall(SYS_setns, -1, 0);  // EBADF when allowed
  } else if (!strcmp(name, "chroot")) {
    rc = chroot("/");
  } else if (!strcmp(name, "mount")) {
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/.probe-mount-%d", (int)getpid());
    mkdir(dir, 0700);
    rc = mount("probe", dir, "tmpfs", 0, "size=64k");
    int e = errno;
    if (rc == 0) umount2(dir, MNT_DETACH);
    rmdir(dir);
    errno = e;
  } else if (!strcmp(name, "unshare-user")) {
    rc = try_unshare(CLONE_NEWUSER);
  } else if (!strcmp(name, "unshare-mount")) {
    rc = try_unshare(CLONE_NEWNS);
  } else if (!strcmp(name, "unshare-net")) {
    rc = try_unshare(CLONE_NEWNET);
  } else if (!strcmp(name, "unshare-pid")) {
    rc = try_unshare(CLONE_NEWPID);
  } else if (!strcmp(name, "unshare-uts")) {
    rc = try_unshare(CLONE_NEWUTS);
  } else if (!strcmp(name, "unshare-ipc")) {
    rc = try_unshare(CLONE_NEWIPC);
  } else if (!strcmp(name, "unshare-cgroup")) {
    rc = try_unshare(CLONE_NEWCGROUP);
  } else if (!strcmp(name, "ptrace")) {
    rc = try_ptrace();
  } else if (!strcmp(name, "reboot")) {
    rc = syscall(SYS_reboot, 0xfee1deadUL, 672274793UL, 0UL /* LINUX_REBOOT_CMD_CAD_OFF */, NULL);
  } else if (!strcmp(name, "personality")) {
    rc = syscall(SYS_personality, 0xffffffffUL);  // query only
  } else if (!strcmp(name, "mknod-char")) {
    rc = try_mknod(S_IFCHR, makedev(1, 3));
  } else if (!strcmp(name, "mknod-fifo")) {
    rc = try_mknod(S_IFIFO, 0);
  } else if (!strcmp(name, "chown")) {
    rc = try_chown();
  } else if (!strcmp(name, "setuid")) {
    rc = syscall(SYS_setuid, 1);
  } else if (!strcmp(name, "setgid")) {
    rc = syscall(SYS_setgid, 1);
  } else if (!strcmp(name, "setgroups")) {
    gid_t g = 0;
    rc = syscall(SYS_setgroups, 1, &g);
  } else if (!strcmp(name, "socket-raw")) {
    rc = try_fd_result(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
  } else if (!strcmp(name, "bind-80")) {
    rc = try_bind80();
  } else if (!strcmp(name, "io_uring_setup")) {
    unsigned char params[120] = {0};
    rc = try_fd_result(syscall(425 /* io_uring_setup */, 1, params));
  } else if (!strncmp(name, "nr:", 3)) {
    rc = syscall(parse_long(name + 3, 0, 100000), 0, 0, 0, 0, 0, 0);
  } else {
    fprintf(stderr, "probe: unknown syscall %s\n", name);
    return 2;
  }
  return report(rc);
}

// ------------------------------------------------------------------ main
/* ---- networking: a static musl client, since busybox-static's glibc
 * name lookup crashes in a network namespace ---- */

/* getaddrinfo for TCP; prints "error WHY" when it fails. */
static int lookup(const char* host, const char* port, int family, struct addrinfo** res) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(host, port, &hints, res);
  if (rc != 0) printf("error %s\n", gai_strerror(rc));
  return rc == 0 ? 0 : -1;
}

static int resolve4(const char* host, struct in_addr* out) {
  struct addrinfo* res = NULL;
  if (lookup(host, NULL, AF_INET, &res) != 0) return -1;
  *out = ((struct sockaddr_in*)res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return 0;
}

static int cmd_resolve(const char* name) {
  struct addrinfo* res = NULL;
  if (lookup(name, NULL, AF_INET, &res) != 0) return 1;
  for (struct addrinfo* a = res; a; a = a->ai_next) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &((struct sockaddr_in*)a->ai_addr)->sin_addr, buf, sizeof buf);
    printf("%s\n", buf);
  }
  freeaddrinfo(res);
  return 0;
}

static int cmd_http(const char* url, long seconds) {
  char host[256], path[1024] = "/";
  const char* port = "80";
  char portbuf[8];
  if (strncmp(url, "http://", 7) != 0) {
    printf("error not an http:// URL\n");
    return 1;
  }
  const char* h = url + 7;
  /* [v6]:port or name:port */
  int bracket = *h == '[';
  size_t hl = bracket ? strcspn(h + 1, "]") : strcspn(h, ":/");
  if (hl == 0 || hl >= sizeof host || (bracket && h[1 + hl] != ']')) {
    printf("error bad host\n");
    return 1;
  }
  memcpy(host, h + bracket, hl);
  host[hl] = 0;
  const char* rest = h + hl + 2 * bracket;
  if (*rest == ':') {
    size_t pl = strspn(rest + 1, "0123456789");
    if (pl == 0 || pl >= sizeof portbuf) {
      printf("error bad port\n");
      return 1;
    }
    memcpy(portbuf, rest + 1, pl);
    portbuf[pl] = 0;
    port = portbuf;
    rest += 1 + pl;
  }
  if (*rest == '/') snprintf(path, sizeof path, "%s", rest);
  struct addrinfo* res = NULL;
  if (lookup(host, port, AF_UNSPEC, &res) != 0) return 1;
  int s = socket(res->ai_family, SOCK_STREAM, 0);
  struct timeval tv = {seconds, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(s, res->ai_addr, res->ai_addrlen) != 0) {
    printf("error connect: %s\n", errno_name(errno));
    return 1;
  }
  freeaddrinfo(res);
  char req[1400];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: probe\r\n\r\n", path, host);
  if (write(s, req, (size_t)n) != n) {
    printf("error write: %s\n", errno_name(errno));
    return 1;
  }
  static char resp[1 << 20];
  size_t len = 0;
  for (;;) {
    ssize_t got = read(s, resp + len, sizeof resp - 1 - len);
    if (got < 0) {
      printf("error read: %s\n", errno_name(errno));
      return 1;
    }
    if (got == 0 || len + (size_t)got >= sizeof resp - 1) break;
    len += (size_t)got;
  }
  resp[len] = 0;
  char* body = strstr(resp, "\r\n\r\n");
  if (strncmp(resp, "HTTP/1.", 7) != 0 || !body) {
    printf("error bad response\n");
    return 1;
  }
  if (strncmp(resp + 9, "200", 3) != 0) {
    printf("error status %.3s\n", resp + 9);
    return 1;
  }
  fputs(body + 4, stdout);
  return 0;
}

static int cmd_ping(const char* addr) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  if (resolve4(addr, &sa.sin_addr) != 0) return 1;
  int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (s < 0) {
    printf("%s\n", errno_name(errno));
    return 1;
  }
  unsigned char pkt[64] = {8, 0};  /* echo request; the kernel fills id and checksum */
  if (sendto(s, pkt, sizeof pkt, 0, (struct sockaddr*)&sa, sizeof sa) < 0) {
    printf("%s\n", errno_name(errno));
    return 1;
  }
  struct timeval tv = {3, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  unsigned char reply[256];
  ssize_t n = recv(s, reply, sizeof reply, 0);
  if (n < 0) {
    printf("%s\n", errno == EAGAIN ? "timeout" : errno_name(errno));
    return 1;
  }
  printf(reply[0] == 0 ? "ok\n" : "type %d\n", reply[0]);
  return reply[0] == 0 ? 0 : 1;
}

static int cmd_udp(const char* host, const char* port, const char* data) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)parse_long(port, 1, 65535));
  if (resolve4(host, &sa.sin_addr) != 0) return 1;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct timeval tv = {1, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  /* Three tries a second apart, as a resolver would: a datagram may be lost. */
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (sendto(s, data, strlen(data), 0, (struct sockaddr*)&sa, sizeof sa) < 0) {
      printf("%s\n", errno_name(errno));
      return 1;
    }
    char buf[2048];
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    if (n < 0) continue;
    buf[n] = 0;
    printf("%s\n", buf);
    return 0;
  }
  printf("timeout\n");
  return 1;
}

static int cmd_sink(const char* port) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)parse_long(port, 1, 65535));
  if (bind(s, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(s, 16) != 0) {
    printf("%s\n", errno_name(errno));
    return 1;
  }
  static char buf[1 << 16];
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    while (read(c, buf, sizeof buf) > 0) {
    }
    close(c);
  }
}

/* An HTTP server on every address (IPv6 and IPv4) that answers each request
 * with the address the connection came from. */
static int cmd_peer(const char* port) {
  int one = 1, zero = 0;
  struct sockaddr_in6 sa;
  memset(&sa, 0, sizeof sa);
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons((unsigned short)parse_long(port, 1, 65535));
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(s, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(s, 16) != 0) {
    printf("%s\n", errno_name(errno));
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    struct sockaddr_in6 from;
    socklen_t len = sizeof from;
    int c = accept(s, (struct sockaddr*)&from, &len);
    if (c < 0) continue;
    char req[4096], addr[INET6_ADDRSTRLEN], resp[256];
    (void)!read(c, req, sizeof req);
    if (IN6_IS_ADDR_V4MAPPED(&from.sin6_addr))
      inet_ntop(AF_INET, &from.sin6_addr.s6_addr[12], addr, sizeof addr);
    else
      inet_ntop(AF_INET6, &from.sin6_addr, addr, sizeof addr);
    int n = snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n", addr);
    (void)!write(c, resp, (size_t)n);
    close(c);
  }
}

static int cmd_source(const char* host, const char* port, const char* mb) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)parse_long(port, 1, 65535));
  if (resolve4(host, &sa.sin_addr) != 0) return 1;
  long total = parse_long(mb, 1, 1 << 20) << 20;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr*)&sa, sizeof sa) != 0) {
    printf("error connect: %s\n", errno_name(errno));
    return 1;
  }
  static char buf[1 << 16];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long sent = 0; sent < total;) {
    ssize_t n = write(s, buf, sizeof buf);
    if (n <= 0) {
      printf("error write: %s\n", errno_name(errno));
      return 1;
    }
    sent += n;
  }
  shutdown(s, SHUT_WR);
  while (read(s, buf, sizeof buf) > 0) {
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.1f\n", (double)total / (1 << 20) / secs);
  return 0;
}

static int cmd_udp_echo(const char* port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)parse_long(port, 1, 65535));
  if (bind(s, (struct sockaddr*)&sa, sizeof sa) != 0) {
    printf("%s\n", errno_name(errno));
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    char buf[2048] = "echo:";
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(s, buf + 5, sizeof buf - 5, 0, (struct sockaddr*)&from, &fl);
    if (n < 0) continue;
    printf("from %s\n", inet_ntoa(from.sin_addr));
    fflush(stdout);
    sendto(s, buf, (size_t)n + 5, 0, (struct sockaddr*)&from, fl);
  }
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) usage();
  const char* cmd = argv[1];
  int nargs = argc - 2;
  char** args = argv + 2;

  if (!strcmp(cmd, "args")) return cmd_args(argc, argv);
  if (!strcmp(cmd, "env")) return cmd_env();
  if (!strcmp(cmd, "getenv") && nargs == 1) return cmd_getenv(args[0]);
  if (!strcmp(cmd, "cwd")) return cmd_cwd();
  if (!strcmp(cmd, "ids")) return cmd_ids();
  if (!strcmp(cmd, "pid")) return cmd_pid();
  if (!strcmp(cmd, "ps")) return cmd_ps();
  if (!strcmp(cmd, "hostname")) return cmd_hostname();
  if (!strcmp(cmd, "umask")) return cmd_umask();
  if (!strcmp(cmd, "caps")) return cmd_caps();
  if (!strcmp(cmd, "status") && nargs >= 1) return cmd_status(nargs, args);
  if (!strcmp(cmd, "fds")) return cmd_fds(nargs == 1 && !strcmp(args[0], "-v"));
  if (!strcmp(cmd, "rlimit") && nargs == 1) return cmd_rlimit(args[0]);
  if (!strcmp(cmd, "syscall") && nargs == 1) return cmd_syscall(args[0]);
  if (!strcmp(cmd, "read") && nargs == 1) return cmd_read(args[0]);
  if (!strcmp(cmd, "write") && (nargs == 1 || nargs == 2))
    return cmd_write(args[0], nargs == 2 ? args[1] : "probe\n");
  if (!strcmp(cmd, "stat") && nargs == 1) return cmd_stat(args[0]);
  if (!strcmp(cmd, "tty")) return cmd_tty();
  if (!strcmp(cmd, "winch")) return cmd_winch(nargs ? parse_long(args[0], 1, 3600) : 60);
  if (!strcmp(cmd, "wait-signal")) return cmd_wait_signal(nargs ? parse_long(args[0], 1, 3600) : 60);
  if (!strcmp(cmd, "kill-self") && nargs == 1) return cmd_kill_self(args[0]);
  if (!strcmp(cmd, "exit") && nargs == 1) return (int)parse_long(args[0], 0, 255);
  if (!strcmp(cmd, "sleep") && nargs == 1) {
    double s = atof(args[0]);
    sleep_ms((long)(s * 1000));
    return 0;
  }
  if (!strcmp(cmd, "resolve") && nargs == 1) return cmd_resolve(args[0]);
  if (!strcmp(cmd, "http") && (nargs == 1 || nargs == 2)) return cmd_http(args[0], nargs == 2 ? parse_long(args[1], 1, 600) : 5);
  if (!strcmp(cmd, "ping") && nargs == 1) return cmd_ping(args[0]);
  if (!strcmp(cmd, "udp") && nargs == 3) return cmd_udp(args[0], args[1], args[2]);
  if (!strcmp(cmd, "udp-echo") && nargs == 1) return cmd_udp_echo(args[0]);
  if (!strcmp(cmd, "peer") && nargs == 1) return cmd_peer(args[0]);
  if (!strcmp(cmd, "sink") && nargs == 1) return cmd_sink(args[0]);
  if (!strcmp(cmd, "source") && nargs == 3) return cmd_source(args[0], args[1], args[2]);
  if (!strcmp(cmd, "zombies"))
    return cmd_zombies(nargs >= 1 ? parse_long(args[0], 0, 1000) : 3,
                       nargs >= 2 ? parse_long(args[1], 0, 60000) : 1000);
  usage();
  return 2;
}
