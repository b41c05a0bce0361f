#include "core/backend/cuda/cublas_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <type_traits>
#include <vector>

#include "core/util/error.h"

namespace siren::cuda {

namespace {

// The GEMM entry points' typedefs against the headers' prototypes: the cast selects the declaration
// of exactly that type or does not compile, so a typedef that drifts fails the build, not a call
// (unevaluated: nothing is linked).
static_assert(std::is_same_v<decltype(static_cast<Cublas::GemmExFn>(&::cublasGemmEx)), Cublas::GemmExFn>);
static_assert(std::is_same_v<decltype(static_cast<Cublas::GemmStridedBatchedExFn>(&::cublasGemmStridedBatchedEx)),
                             Cublas::GemmStridedBatchedExFn>);

struct Loaded {
  Cublas api;
  bool ok = false;
  std::string why;
};

template <typename Fn>
bool resolve(void* lib, const char* name, Fn& fn, std::string* missing) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!fn) *missing = name;
  return fn != nullptr;
}

Loaded load() {
  Loaded r;
  const std::string file = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  std::vector<std::string> candidates = {file};
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* dir = std::getenv(var); dir && *dir) candidates.push_back(std::string(dir) + "/lib64/" + file);
  candidates.push_back("/usr/local/cuda/lib64/" + file);
  void* lib = nullptr;
  std::string first_error;
  for (const std::string& c : candidates) {
    lib = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      r.api.path = c;
      break;
    }
    if (first_error.empty()) {
      const char* e = dlerror();
      first_error = e ? e : "not found";
    }
  }
  if (!lib) {
    r.why = "the cuBLAS library " + file + " could not be loaded (" + first_error + ")";
    return r;
  }
  std::string missing;
  Cublas& a = r.api;
  const bool all = resolve(lib, "cublasCreate_v2", a.create, &missing) &&
                   resolve(lib, "cublasDestroy_v2", a.destroy, &missing) &&
                   resolve(lib, "cublasSetStream_v2", a.set_stream, &missing) &&
                   resolve(lib, "cublasSetWorkspace_v2", a.set_workspace, &missing) &&
                   resolve(lib, "cublasSetMathMode", a.set_math_mode, &missing) &&
                   resolve(lib, "cublasGetVersion_v2", a.get_version, &missing) &&
                   resolve(lib, "cublasGetStatusString", a.status_string, &missing) &&
                   resolve(lib, "cublasGemmEx", a.gemm_ex, &missing) &&
                   resolve(lib, "cublasGemmStridedBatchedEx", a.gemm_strided_batched_ex, &missing);
  if (!all) {
    r.why = r.api.path + " lacks " + missing;
    // The library stays loaded (unloading a half-initialised CUDA library is not worth the risk).
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace

std::string Cublas::describe(cublasStatus_t status) const {
  const char* text = status_string ? status_string(status) : nullptr;
  return std::string(text ? text : "cuBLAS error") + " (status " + std::to_string(int(status)) + ")";
}

const Cublas* load_cublas(std::string* why) {
  // The one process-wide state of the backend: a loaded library is process-wide by nature.
  static const Loaded loaded = load();
  if (!loaded.ok) {
    if (why) *why = loaded.why;
    return nullptr;
  }
  return &loaded.api;
}

void check_cublas(const Cublas& api, cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw Error(std::string("cuBLAS: ") + what + " failed: " + api.describe(status));
}

}  // namespace siren::cuda
