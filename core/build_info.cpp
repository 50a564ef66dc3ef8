// Assembles the --version report from the generated config and the runtime.
#include "core/build_info.h"

#include "xlm/config.h"

#include <fmt/format.h>

#if XLM_WITH_CUDA
#include <cuda_runtime.h>
#endif
#if XLM_WITH_MPI
#include <mpi.h>
#endif

namespace xlm {

std::vector<GpuInfo> visible_gpus() {
  std::vector<GpuInfo> out;
#if XLM_WITH_CUDA
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return out;
  }
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    out.push_back({i, p.name, p.major, p.minor, static_cast<double>(p.totalGlobalMem) / (1ull << 30)});
  }
#endif
  return out;
}

std::string build_report() {
  auto yes_no = [](int v) { return v ? "yes" : "no"; };
  std::string r = fmt::format("xlm {}\nbuild type: {}\n", XLM_VERSION, XLM_BUILD_TYPE);
  r += fmt::format("CUDA: {}", yes_no(XLM_WITH_CUDA));
#if XLM_WITH_CUDA
  int runtime = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  r += fmt::format(" (runtime {}.{})", runtime / 1000, (runtime % 1000) / 10);
#endif
  r += fmt::format("\ncuBLASLt: {}\ncuDNN: {}\nNCCL: {}\nBLAS: {}\nMPI: {}", yes_no(XLM_WITH_CUBLASLT),
                   yes_no(XLM_WITH_CUDNN), yes_no(XLM_WITH_NCCL), XLM_WITH_BLAS ? "yes (OpenBLAS)" : "no (blocked fallback)",
                   yes_no(XLM_WITH_MPI));
#if XLM_WITH_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  if (MPI_Get_library_version(version, &len) == MPI_SUCCESS) {
    std::string v(version, static_cast<size_t>(len));
    r += " (" + v.substr(0, v.find_first_of(",\n")) + ")";
  }
#endif
  r += "\nGPUs: ";
  const auto gpus = visible_gpus();
  if (gpus.empty()) {
    r += "no GPU\n";
  } else {
    r += "\n";
    for (const auto& g : gpus)
      r += fmt::format("  cuda:{}: {} (sm_{}{}, {:.1f} GiB)\n", g.index, g.name, g.major, g.minor, g.memory_gib);
  }
  return r;
}

}  // namespace xlm
