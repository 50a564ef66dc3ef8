// Rank 0: bind MASTER_PORT on every interface, accept world_size - 1
// connections, send [magic, length, payload] to each and wait for its
// one-byte acknowledgement (so that rank 0 does not close the socket before
// the bytes are read). Other ranks: connect to MASTER_ADDR:MASTER_PORT,
// retrying while rank 0 is not yet listening, read and check the header,
// read the payload, acknowledge. Every wait is a poll() against the deadline.
#include "core/tcp_rendezvous.h"

#include "core/error.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace xlm {

namespace {

using Clock = std::chrono::steady_clock;
constexpr char kMagic[8] = {'X', 'L', 'M', 'R', 'D', 'V', '0', '1'};

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct Exchange {
  const LaunchEnv& launch;
  Clock::time_point deadline;

  [[noreturn]] void fail(const std::string& what) const {
    throw BackendError(fmt::format("TCP rendezvous at {}:{} (rank {} of {}): {}", launch.master_addr,
                                   launch.master_port, launch.rank, launch.world_size, what));
  }
  [[noreturn]] void fail_errno(const char* call) const { fail(fmt::format("{}: {}", call, std::strerror(errno))); }

  int remaining_ms() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
  }

  void wait(int fd, short events, const char* what) const {
    for (;;) {
      pollfd p{fd, events, 0};
      const int ms = remaining_ms();
      const int n = ::poll(&p, 1, ms);
      if (n > 0) return;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno("poll");
      fail(fmt::format("timed out {}", what));
    }
  }

  void send_all(int fd, const void* data, size_t bytes) const {
    auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
      wait(fd, POLLOUT, "sending");
      const ssize_t n = ::send(fd, p, bytes, MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) fail_errno("send");
      p += n;
      bytes -= static_cast<size_t>(n);
    }
  }

  void recv_all(int fd, void* data, size_t bytes) const {
    auto* p = static_cast<char*>(data);
    while (bytes > 0) {
      wait(fd, POLLIN, "receiving");
      const ssize_t n = ::recv(fd, p, bytes, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n == 0) fail("the peer closed the connection early");
      if (n < 0) fail_errno("recv");
      p += n;
      bytes -= static_cast<size_t>(n);
    }
  }

  void serve(const void* data, size_t bytes) const {
    Socket listener(::socket(AF_INET6, SOCK_STREAM, 0));
    if (listener.fd() < 0) fail_errno("socket");
    const int yes = 1, no = 0;
    ::setsockopt(listener.fd(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    ::setsockopt(listener.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);  // IPv4 clients too
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons(static_cast<uint16_t>(launch.master_port));
    if (::bind(listener.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail_errno("bind");
    if (::listen(listener.fd(), launch.world_size) != 0) fail_errno("listen");
    const uint64_t length = bytes;
    for (int served = 1; served < launch.world_size; ++served) {
      wait(listener.fd(), POLLIN, fmt::format("waiting for rank connections ({} of {} arrived)", served - 1,
                                              launch.world_size - 1)
                                      .c_str());
      Socket peer(::accept(listener.fd(), nullptr, nullptr));
      if (peer.fd() < 0) fail_errno("accept");
      send_all(peer.fd(), kMagic, sizeof kMagic);
      send_all(peer.fd(), &length, sizeof length);
      send_all(peer.fd(), data, bytes);
      char ack = 0;
      recv_all(peer.fd(), &ack, 1);
    }
  }

  Socket connect_to_master() const {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(launch.master_port);
    const int rc = ::getaddrinfo(launch.master_addr.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) fail(fmt::format("cannot resolve MASTER_ADDR: {}", ::gai_strerror(rc)));
    std::string last_error = "no address";
    for (;;) {  // rank 0 may not be listening yet: retry until the deadline
      for (addrinfo* a = found; a; a = a->ai_next) {
        Socket s(::socket(a->ai_family, a->ai_socktype, a->ai_protocol));
        if (s.fd() >= 0 && ::connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0) {
          ::freeaddrinfo(found);
          return s;
        }
        last_error = std::strerror(errno);
      }
      if (remaining_ms() == 0) {
        ::freeaddrinfo(found);
        fail(fmt::format("cannot connect to rank 0 before the timeout ({})", last_error));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void receive(void* data, size_t bytes) const {
    Socket s = connect_to_master();
    char magic[sizeof kMagic];
    uint64_t length = 0;
    recv_all(s.fd(), magic, sizeof magic);
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) fail("the peer is not an xlm rank 0 (wrong magic)");
    recv_all(s.fd(), &length, sizeof length);
    if (length != bytes) fail(fmt::format("rank 0 sends {} bytes, this rank expects {}", length, bytes));
    recv_all(s.fd(), data, bytes);
    const char ack = 1;
    send_all(s.fd(), &ack, 1);
  }
};

}  // namespace

void tcp_broadcast_bytes(void* data, size_t bytes, const LaunchEnv& launch, std::chrono::milliseconds timeout) {
  if (launch.world_size == 1) return;
  const Exchange exchange{launch, Clock::now() + timeout};
  if (launch.master_addr.empty() || launch.master_port <= 0) exchange.fail("MASTER_ADDR / MASTER_PORT are not set");
  if (launch.rank == 0)
    exchange.serve(data, bytes);
  else
    exchange.receive(data, bytes);
}

}  // namespace xlm
