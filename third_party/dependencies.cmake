# Finds the Debian packages SIREN Studio builds on (scripts/setup installs them). Nothing is vendored.

find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)

# --- BLAS for the CPU backend's GEMMs --------------------------------------------------------------
# OpenBLAS (Debian's DYNAMIC_ARCH build): within ~10% of the best of OpenBLAS, BLIS and oneDNN on our
# GEMM shapes (bench/bench_blas, bench/RESULTS.md), the BLAS PyTorch uses too, and the one Debian
# installs by default. Its run-time kernel choice is checked and corrected in
# core/backend/cpu/blas.cpp.
find_path(SIREN_CBLAS_INCLUDE_DIR cblas.h
          PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas
          PATH_SUFFIXES openblas)
find_library(SIREN_BLAS_LIBRARY NAMES openblas
             PATHS /usr/lib/x86_64-linux-gnu/openblas-pthread)
if(NOT SIREN_CBLAS_INCLUDE_DIR OR NOT SIREN_BLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS not found: run scripts/setup (Debian package libopenblas-dev)")
endif()
add_library(siren_blas INTERFACE)
target_include_directories(siren_blas INTERFACE ${SIREN_CBLAS_INCLUDE_DIR})
target_link_libraries(siren_blas INTERFACE ${SIREN_BLAS_LIBRARY})

# --- header-only helpers ----------------------------------------------------------------------------
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 QUIET CONFIG)
if(NOT CLI11_FOUND)
  find_path(SIREN_CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${SIREN_CLI11_INCLUDE_DIR})
endif()

# --- stb (images): optional so that GPU machines without it still build the core --------------------
# The folder that holds stb/ (the sources include <stb/stb_image.h>, as Debian installs it).
find_path(SIREN_STB_INCLUDE_DIR stb/stb_image.h)
find_library(SIREN_STB_LIBRARY NAMES stb)
if(SIREN_STB_INCLUDE_DIR AND SIREN_STB_LIBRARY)
  set(SIREN_HAVE_STB ON)
  add_library(siren_stb INTERFACE)
  target_include_directories(siren_stb INTERFACE ${SIREN_STB_INCLUDE_DIR})
  target_link_libraries(siren_stb INTERFACE ${SIREN_STB_LIBRARY})
else()
  set(SIREN_HAVE_STB OFF)
endif()

# --- CUDA: optional, a machine without nvcc builds the CPU-only program -----------------------------
include(CheckLanguage)
set(SIREN_HAVE_CUDA OFF)
if(NOT DEFINED CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
check_language(CUDA)
option(SIREN_ENABLE_CUDA "Build the CUDA backend where nvcc is found" ON)
if(SIREN_ENABLE_CUDA AND CMAKE_CUDA_COMPILER)
  # Turing to Hopper (CUDA 13 supports sm_75 and newer); each gets its machine code and PTX, so newer
  # GPUs run the sm_90 PTX. Never `native`: it fails on machines without a GPU, such as CI.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "75;80;86;89;90" CACHE STRING "CUDA architectures of the CUDA backend")
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit)
  find_file(SIREN_CUBLAS_HEADER cublas_api.h HINTS ${CUDAToolkit_INCLUDE_DIRS} NO_DEFAULT_PATH)
  if(CUDAToolkit_FOUND AND TARGET CUDA::cudart_static AND SIREN_CUBLAS_HEADER)
    set(SIREN_HAVE_CUDA ON)
  else()
    message(WARNING "nvcc found but not the CUDA runtime (static) or the cuBLAS headers: building without CUDA")
  endif()
endif()

# --- tests and benchmarks ---------------------------------------------------------------------------
find_package(GTest QUIET)
find_package(benchmark QUIET)

# --- GUI: GLFW + Dear ImGui (Debian's libimgui.a carries the GLFW/OpenGL3 backends) + glad ---------
find_package(glfw3 QUIET)
find_path(SIREN_IMGUI_INCLUDE_DIR imgui.h PATH_SUFFIXES imgui)
find_library(SIREN_IMGUI_LIBRARY NAMES imgui)
find_program(SIREN_GLAD_EXECUTABLE glad PATHS /usr/bin NO_DEFAULT_PATH)
if(glfw3_FOUND AND SIREN_IMGUI_INCLUDE_DIR AND SIREN_IMGUI_LIBRARY AND SIREN_GLAD_EXECUTABLE)
  set(SIREN_HAVE_GUI_DEPS ON)
else()
  set(SIREN_HAVE_GUI_DEPS OFF)
endif()
