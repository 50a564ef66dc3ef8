// The torchrun-style id exchange on the loopback interface, with ranks as
// threads of this process: every rank receives rank 0's bytes, and a rank
// whose rank 0 never shows up fails within its timeout, naming the address.
#include "core/tcp_rendezvous.h"
#include "core/error.h"
#include "support.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <exception>
#include <thread>
#include <vector>

using namespace xlm;
using Catch::Matchers::Contains;

namespace {
// A port nobody listens on right now (bound to 0, read back, released).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

LaunchEnv rank_of(int rank, int world, int port) {
  LaunchEnv e;
  e.launcher = Launcher::torchrun;
  e.rank = rank;
  e.world_size = world;
  e.local_rank = rank;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  return e;
}
}  // namespace

TEST_CASE("tcp_rendezvous: every rank receives rank 0's bytes", "[core][comm]") {
  const int world = 3, port = free_port();
  std::vector<std::array<unsigned char, 128>> ids(world);  // 128 bytes, as ncclUniqueId
  for (size_t i = 0; i < 128; ++i) ids[0][i] = static_cast<unsigned char>(i * 7 + 1);
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> ranks;
  // Clients start first: they must retry until rank 0 listens.
  for (int r = world - 1; r >= 0; --r)
    ranks.emplace_back([&, r] {
      try {
        tcp_broadcast_bytes(ids[r].data(), ids[r].size(), rank_of(r, world, port), std::chrono::seconds(10));
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : ranks) t.join();
  for (int r = 0; r < world; ++r) {
    if (errors[r]) std::rethrow_exception(errors[r]);
    CHECK(ids[r] == ids[0]);
  }
  CHECK(ids[2][5] == 36);
}

TEST_CASE("tcp_rendezvous: a missing rank 0 is an error within the timeout", "[core][comm]") {
  const int port = free_port();
  unsigned char id[16] = {};
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(tcp_broadcast_bytes(id, sizeof id, rank_of(1, 2, port), std::chrono::milliseconds(300)),
                    Contains(fmt::format("127.0.0.1:{} (rank 1 of 2)", port)) && Contains("timeout"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  // Rank 0 waiting for a rank that never connects fails the same way.
  CHECK_THROWS_WITH(tcp_broadcast_bytes(id, sizeof id, rank_of(0, 2, port), std::chrono::milliseconds(300)),
                    Contains("timed out") && Contains("rank 0 of 2"));
}
