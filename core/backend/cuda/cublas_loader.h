#pragma once
// cuBLAS, loaded at run time with dlopen rather than linked.
//
// Why: a program linked against libcublas.so fails in the dynamic loader, before main(), on a
// machine without the CUDA libraries, while the issue asks for a binary that then runs on the CPU.
// The alternatives were weighed: static cuBLAS (CUDA::cublas_static) is not in every toolkit
// install (not in this project's CI image) and adds several hundred MB of device code to every
// executable that links the core, with links of minutes; a hand-written GEMM gives up cuBLAS's
// tuned kernels (and TF32 tensor cores). dlopen of the few entry points below keeps every binary
// small, and a missing or broken libcublas becomes a one-line reason for the CPU fallback.
// The CUDA runtime itself is linked statically (CUDA::cudart_static); it loads the driver
// (libcuda.so.1) on its own and reports a missing driver as an error code.
#include <cublas_api.h>

#include <string>

namespace siren::cuda {

struct Cublas {
  using CreateFn = cublasStatus_t (*)(cublasHandle_t*);
  using DestroyFn = cublasStatus_t (*)(cublasHandle_t);
  using SetStreamFn = cublasStatus_t (*)(cublasHandle_t, cudaStream_t);
  using SetWorkspaceFn = cublasStatus_t (*)(cublasHandle_t, void*, size_t);
  using SetMathModeFn = cublasStatus_t (*)(cublasHandle_t, cublasMath_t);
  using GetVersionFn = cublasStatus_t (*)(cublasHandle_t, int*);
  using StatusStringFn = const char* (*)(cublasStatus_t);
  using GemmExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                                      const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                                      cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
  using GemmStridedBatchedExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                                    const void*, const void*, cudaDataType, int, long long, const void*,
                                                    cudaDataType, int, long long, const void*, void*, cudaDataType, int,
                                                    long long, int, cublasComputeType_t, cublasGemmAlgo_t);

  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  SetStreamFn set_stream = nullptr;
  SetWorkspaceFn set_workspace = nullptr;
  SetMathModeFn set_math_mode = nullptr;
  GetVersionFn get_version = nullptr;
  StatusStringFn status_string = nullptr;
  GemmExFn gemm_ex = nullptr;
  GemmStridedBatchedExFn gemm_strided_batched_ex = nullptr;
  std::string path;  // the file that was loaded

  // "CUBLAS_STATUS_...: text" for a status.
  std::string describe(cublasStatus_t status) const;
};

// The process's cuBLAS (loaded on the first call, kept for the life of the process), or null with
// the reason in *why. Looks for libcublas.so.<major of the headers we built with> on the loader's
// path, then in $CUDA_HOME/lib64, $CUDA_PATH/lib64 and /usr/local/cuda/lib64.
const Cublas* load_cublas(std::string* why);

// Throws siren::Error("<what>: <status>") unless status is CUBLAS_STATUS_SUCCESS.
void check_cublas(const Cublas& api, cublasStatus_t status, const char* what);

}  // namespace siren::cuda
