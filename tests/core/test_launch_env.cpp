// Launcher environments as maps: every launcher's variables, the precedence
// when launchers nest, and each contradiction that must be a ConfigError
// naming the variables (nothing here launches a process).
#include "core/launch_env.h"
#include "core/error.h"
#include "support.h"

using namespace xlm;
using Catch::Matchers::Contains;

TEST_CASE("launch_env: no launcher variables is one rank", "[core][launch]") {
  const LaunchEnv e = parse_launch_env({{"HOME", "/tmp"}, {"SLURM_NTASKS", "8"}, {"LOCAL_RANK", "3"}});
  CHECK(e.launcher == Launcher::none);
  CHECK(e.rank == 0);
  CHECK(e.world_size == 1);
  CHECK(e.local_rank == 0);
}

TEST_CASE("launch_env: mpirun (Open MPI and PMI), srun and torchrun", "[core][launch]") {
  const LaunchEnv ompi = parse_launch_env(
      {{"OMPI_COMM_WORLD_RANK", "5"}, {"OMPI_COMM_WORLD_SIZE", "8"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}});
  CHECK(ompi.launcher == Launcher::mpi);
  CHECK((ompi.rank == 5 && ompi.world_size == 8 && ompi.local_rank == 1));
  CHECK(std::string(launcher_name(ompi.launcher)) == "mpirun");

  const LaunchEnv pmi = parse_launch_env({{"PMI_RANK", "2"}, {"PMI_SIZE", "4"}, {"MPI_LOCALRANKID", "0"}});
  CHECK((pmi.launcher == Launcher::mpi && pmi.rank == 2 && pmi.world_size == 4 && pmi.local_rank == 0));
  const LaunchEnv pmi_no_local = parse_launch_env({{"PMI_RANK", "2"}, {"PMI_SIZE", "4"}});
  CHECK(pmi_no_local.local_rank == -1);

  const LaunchEnv slurm =
      parse_launch_env({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "3"}, {"SLURM_JOB_ID", "9"}});
  CHECK((slurm.launcher == Launcher::slurm && slurm.rank == 3 && slurm.world_size == 4 && slurm.local_rank == 3));

  const LaunchEnv torch = parse_launch_env({{"RANK", "1"},
                                            {"WORLD_SIZE", "2"},
                                            {"LOCAL_RANK", "1"},
                                            {"MASTER_ADDR", "10.0.0.1"},
                                            {"MASTER_PORT", "29500"}});
  CHECK((torch.launcher == Launcher::torchrun && torch.rank == 1 && torch.world_size == 2 && torch.local_rank == 1));
  CHECK(torch.master_addr == "10.0.0.1");
  CHECK(torch.master_port == 29500);
  CHECK_THAT(torch.source, Contains("RANK=1") && Contains("WORLD_SIZE=2"));

  // One torchrun process needs no rendezvous address.
  const LaunchEnv alone = parse_launch_env({{"RANK", "0"}, {"WORLD_SIZE", "1"}});
  CHECK((alone.launcher == Launcher::torchrun && alone.world_size == 1 && alone.master_port == 0));
}

TEST_CASE("launch_env: the launcher nearest the process wins when launchers nest", "[core][launch]") {
  // torchrun inside an srun step: SLURM_* describe the step, RANK the worker.
  const LaunchEnv torch = parse_launch_env({{"SLURM_PROCID", "1"},
                                            {"SLURM_NTASKS", "2"},
                                            {"RANK", "5"},
                                            {"WORLD_SIZE", "16"},
                                            {"LOCAL_RANK", "5"},
                                            {"MASTER_ADDR", "node0"},
                                            {"MASTER_PORT", "1234"}});
  CHECK((torch.launcher == Launcher::torchrun && torch.rank == 5 && torch.world_size == 16));
  // mpirun inside a Slurm allocation: Open MPI's daemons inherit SLURM_*.
  const LaunchEnv mpi = parse_launch_env({{"SLURM_PROCID", "0"},
                                          {"SLURM_NTASKS", "2"},
                                          {"OMPI_COMM_WORLD_RANK", "7"},
                                          {"OMPI_COMM_WORLD_SIZE", "8"},
                                          {"OMPI_COMM_WORLD_LOCAL_RANK", "3"}});
  CHECK((mpi.launcher == Launcher::mpi && mpi.rank == 7 && mpi.world_size == 8 && mpi.local_rank == 3));
  // Open MPI and PMI both present and agreeing: PMI fills the missing local rank.
  const LaunchEnv both = parse_launch_env({{"OMPI_COMM_WORLD_RANK", "1"},
                                           {"OMPI_COMM_WORLD_SIZE", "2"},
                                           {"PMI_RANK", "1"},
                                           {"PMI_SIZE", "2"},
                                           {"MPI_LOCALRANKID", "1"}});
  CHECK((both.rank == 1 && both.local_rank == 1));
}

TEST_CASE("launch_env: contradictions are ConfigErrors naming the variables", "[core][launch]") {
  auto fails_with = [](const EnvMap& env, const std::string& needle) {
    try {
      parse_launch_env(env);
      FAIL("no ConfigError for " << needle);
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Contains(needle));
    }
  };
  fails_with({{"RANK", "0"}}, "WORLD_SIZE");
  fails_with({{"WORLD_SIZE", "2"}}, "RANK");
  fails_with({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, "RANK=2");
  fails_with({{"RANK", "-1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, "RANK=-1");
  fails_with({{"RANK", "1x"}, {"WORLD_SIZE", "2"}}, "RANK='1x'");
  fails_with({{"RANK", ""}, {"WORLD_SIZE", "2"}}, "RANK=''");
  fails_with({{"RANK", "0"}, {"WORLD_SIZE", "0"}}, "WORLD_SIZE=0");
  fails_with({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}},
             "LOCAL_RANK=2");
  fails_with({{"RANK", "0"}, {"WORLD_SIZE", "2"}}, "MASTER_ADDR and MASTER_PORT");
  fails_with({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}}, "MASTER_PORT");
  fails_with({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}},
             "MASTER_PORT=70000");
  fails_with({{"OMPI_COMM_WORLD_RANK", "1"}}, "OMPI_COMM_WORLD_SIZE");
  fails_with({{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "3"}}, "OMPI_COMM_WORLD_RANK=3");
  fails_with({{"PMI_SIZE", "4"}}, "PMI_RANK");
  fails_with({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}, {"PMI_RANK", "0"}, {"PMI_SIZE", "2"}},
             "Open MPI and PMI disagree");
  fails_with({{"SLURM_PROCID", "0"}}, "SLURM_NTASKS");
  fails_with({{"SLURM_PROCID", "4"}, {"SLURM_NTASKS", "4"}}, "SLURM_PROCID=4");
  fails_with({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "9"}}, "SLURM_LOCALID=9");
}

TEST_CASE("launch_env: process_env reads this process's environment", "[core][launch]") {
  ::setenv("XLM_LAUNCH_ENV_TEST", "a=b", 1);
  const EnvMap env = process_env();
  ::unsetenv("XLM_LAUNCH_ENV_TEST");
  REQUIRE(env.count("XLM_LAUNCH_ENV_TEST") == 1);
  CHECK(env.at("XLM_LAUNCH_ENV_TEST") == "a=b");
}
