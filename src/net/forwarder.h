// Published ports the way Podman's default port handler (rootlessport)
// does them, inside the container's waiter: the waiter listens on the host
// port; each TCP connection it accepts is joined to a socket made in the
// container's network namespace (by a helper child that lives there) and
// connected to the container's port at the container's own address, and
// the two are spliced together in the kernel. UDP is the same per client
// address: a socket in the container's namespace for each, its datagrams
// relayed both ways, dropped after a minute without traffic. The container
// sees connections and datagrams coming from its own address. Part of
// cabin-net.so.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <list>
#include <vector>

#include "net/config.h"
#include "util/fd.h"
#include "util/poll_source.h"

namespace cabin::net {

class Forwarder final : public PollSource {
 public:
  // Binds the host ports at once (throws cabin::Error naming a taken port,
  // as the user-mode stack does); traffic goes to guest (the container's
  // address, network byte order), as Podman's does.
  Forwarder(const std::vector<PortMapping>& ports, in_addr_t guest);
  ~Forwarder() override;

  // The container (pidfd) has started: its network namespace is the one to
  // connect into. Connections of an earlier run are dropped.
  void attach(int pidfd);

  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override;
  void dispatch(const pollfd* fds, size_t n) override;

 private:
  struct Listener {
    UniqueFd fd;
    uint16_t container_port;
    bool udp = false;
  };
  // One direction of a connection: from → pipe → to.
  struct Flow {
    UniqueFd pipe_rd, pipe_wr;
    size_t buffered = 0;   // bytes in the pipe
    bool eof = false;      // from said it is done
    bool shut = false;     // to was told so
  };
  struct Conn {
    UniqueFd client, upstream;
    bool connected = false;
    Flow up, down;  // client → container, container → client
  };
  // A UDP client of a published port and its socket in the container.
  struct Peer {
    const Listener* listener;
    sockaddr_storage client;
    socklen_t client_len;
    UniqueFd upstream;
    int64_t last_ms;
  };

  // A socket in the container's network namespace, connected (or, for
  // TCP, connecting) to the listener's container port; none on failure.
  UniqueFd connect_upstream(const Listener& l);
  void accept_on(const Listener& l);
  void receive_on(const Listener& l);
  void answer(Peer& p);
  // Moves what it can; false when the connection is over.
  bool pump(Conn& c, short client_rev, short upstream_rev);
  static bool move(int from, short from_rev, Flow& f, int to);
  void stop_helper();

  std::vector<Listener> listeners_;
  std::list<Conn> conns_;
  std::list<Peer> peers_;
  UniqueFd helper_sock_;
  pid_t helper_ = -1;
  in_addr_t guest_;
  char buf_[65536];  // one datagram on its way
};

}  // namespace cabin::net
