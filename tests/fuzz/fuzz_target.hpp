// What every fuzz target here shares. A target is one function,
//
//   extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
//
// that libFuzzer calls with hostile bytes (scripts/fuzz, clang, ASan+UBSan)
// and that replay_main.cpp calls with every file of the checked-in corpus and
// of crashes/ (ctest, any compiler). A target states what must hold with
// must(); a broken promise, an exception the reader does not document, or a
// sanitizer report is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fuzz {

// Aborts (a crash libFuzzer keeps, a failed replay) when `holds` is false.
inline void must(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
  std::abort();
}

}  // namespace fuzz
