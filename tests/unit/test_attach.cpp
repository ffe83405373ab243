// Detach keys and the attach socket's messages (runtime/attach.h).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "runtime/attach.h"
#include "util/error.h"

using namespace cabin;
using namespace cabin::runtime;

TEST_CASE("detach keys parse as Podman's", "[attach]") {
  CHECK(parse_detach_keys("ctrl-p,ctrl-q") == "\x10\x11");
  CHECK(parse_detach_keys("") == "");
  CHECK(parse_detach_keys("a") == "a");
  CHECK(parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == std::string("\x00\x1b\x1c\x1d\x1e\x1f", 6));
  CHECK(parse_detach_keys("CTRL-A,x") == "\x01x");
  CHECK_THROWS_WITH(parse_detach_keys("bogus"), "invalid detach keys: Unknown character: 'bogus'");
  CHECK_THROWS_WITH(parse_detach_keys("ctrl-1"), "invalid detach keys: Unknown character: 'ctrl-1'");
  CHECK_THROWS_WITH(parse_detach_keys("ctrl-p,"), "invalid detach keys: Unknown character: ''");
  CHECK_THROWS_WITH(parse_detach_keys("ctrl-"), "invalid detach keys: Unknown character: 'ctrl-'");
}

TEST_CASE("the detach matcher holds back a partial sequence and drops a whole one", "[attach]") {
  DetachMatcher m(parse_detach_keys("ctrl-p,ctrl-q"));
  CHECK(m.feed("abc") == "abc");
  CHECK(m.feed("x\x10") == "x");  // held back: may begin the sequence
  CHECK_FALSE(m.detached());
  CHECK(m.feed("y") == "\x10y");  // it did not
  CHECK(m.feed("\x10\x10") == "\x10");  // the second ctrl-p may begin it again
  CHECK(m.feed("\x11rest") == "");
  CHECK(m.detached());

  DetachMatcher split(parse_detach_keys("ctrl-a,b,c"));
  CHECK(split.feed("\x01") == "");
  CHECK(split.feed("b") == "");
  CHECK_FALSE(split.detached());
  CHECK(split.feed("c") == "");
  CHECK(split.detached());

  DetachMatcher none("");
  CHECK(none.feed("\x10\x11") == "\x10\x11");
  CHECK_FALSE(none.detached());
}

TEST_CASE("attach messages keep their kind and boundaries", "[attach]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
  UniqueFd a(sv[0]), b(sv[1]);
  REQUIRE(send_msg(a.get(), AttachMsg::Stdout, "one"));
  REQUIRE(send_msg(a.get(), AttachMsg::Exit, "3"));
  REQUIRE(send_msg(a.get(), AttachMsg::CloseStdin, {}));
  char buf[64];
  REQUIRE(::recv(b.get(), buf, sizeof buf, 0) == 4);
  CHECK(std::string(buf, 4) == "\x01one");
  REQUIRE(::recv(b.get(), buf, sizeof buf, 0) == 2);
  CHECK(std::string(buf, 2) == "\x03" "3");
  REQUIRE(::recv(b.get(), buf, sizeof buf, 0) == 1);
  CHECK(buf[0] == 5);
  b.reset();
  CHECK_FALSE(send_msg(a.get(), AttachMsg::Stdout, "gone"));
}

TEST_CASE("the attach socket works in a directory too deep for sockaddr_un", "[attach]") {
  char tmpl[] = "/tmp/cabin-attach-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  for (int i = 0; i < 4; ++i) {
    dir += "/" + std::string(40, 'd');
    REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  }
  REQUIRE(dir.size() > sizeof(sockaddr_un{}.sun_path));
  CHECK_FALSE(connect_attach(dir));  // nobody listens yet
  UniqueFd listener = listen_attach(dir);
  UniqueFd client = connect_attach(dir);
  REQUIRE(client);
  UniqueFd server(::accept(listener.get(), nullptr, nullptr));
  REQUIRE(server);
  REQUIRE(send_msg(client.get(), AttachMsg::Stdin, "hi"));
  char buf[8];
  CHECK(::recv(server.get(), buf, sizeof buf, 0) == 3);
  listener.reset();
  ::unlink((dir + "/attach").c_str());
  for (std::string d = dir; d.size() > std::string(tmpl).size(); d = d.substr(0, d.rfind('/'))) ::rmdir(d.c_str());
  ::rmdir(tmpl);
}
