// A detached container's input and output, relayed by its monitor in one
// event loop: the container's stdout and stderr (pipes, or a pty) go to its
// log and to every attached client; what clients type goes to its stdin
// (a pipe kept open for -i, or the pty).
#pragma once

#include <sys/ioctl.h>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/attach.h"
#include "runtime/executor.h"
#include "runtime/logfile.h"
#include "util/fd.h"
#include "util/poll_source.h"

namespace cabin::runtime {

class MonitorIo {
 public:
  // listen_fd: the attach socket (listen_attach), -1 for none.
  MonitorIo(LogWriter& log, UniqueFd listen_fd) : log_(log), listen_(std::move(listen_fd)) {}

  // A client connected before the container starts (start -a): it misses
  // nothing. Its queued messages are read at once: the window size it sent
  // is returned, for the pty the container starts with.
  std::optional<winsize> adopt(UniqueFd client);

  // Relays until PID 1 (started) has exited and its output is drained;
  // returns its wait status. out/err: the read ends of its output pipes
  // (without a pty); stdin_wr: the write end of its stdin pipe (-i without a
  // pty), or -1. Clients that connect meanwhile are served, and extra (the
  // container's network) rides along until PID 1 exits.
  int run(const Started& started, int out, int err, UniqueFd stdin_wr, PollSource* extra = nullptr);

  // Answers Connect and Disconnect messages: "" for done, or an error.
  using Control = std::function<std::string(AttachMsg, std::string_view)>;
  void set_control(Control c) { control_ = std::move(c); }

  // Tells the attached clients how the container ended and lets them go.
  void finish(int exit_code);

 private:
  struct Client {
    UniqueFd fd;
    std::deque<std::string> queue;  // messages the socket had no room for
    size_t queued = 0;
  };
  void accept_clients();
  void broadcast(AttachMsg kind, std::string_view data);
  bool flush(Client& c);
  void read_client(Client& c);
  void write_input();

  LogWriter& log_;
  UniqueFd listen_;
  std::vector<Client> clients_;
  // Input on its way to the container.
  int input_fd_ = -1;
  bool input_is_pty_ = false;
  UniqueFd stdin_wr_;
  std::string input_;
  bool close_input_ = false;  // after input_ is written (CloseStdin)
  std::optional<winsize> size_;
  Control control_;
};

// The control socket of a container that `run` keeps in the foreground:
// one Connect or Disconnect per connection, answered with a Reply, so that
// `network connect` and `disconnect` reach it as they reach a monitor.
class ControlServer final : public PollSource {
 public:
  ControlServer(UniqueFd listen_fd, MonitorIo::Control c) : listen_(std::move(listen_fd)), control_(std::move(c)) {}
  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override;
  void dispatch(const pollfd* fds, size_t n) override;

 private:
  UniqueFd listen_;
  std::vector<UniqueFd> clients_;
  MonitorIo::Control control_;
};

}  // namespace cabin::runtime
