// Helpers of the tests that feed the core what a hostile or broken peer
// sends: deeply nested values, and the errno of the OSError a call throws.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "mp/codec.hpp"
#include "mp/errors.hpp"

namespace test {

// `depth` arrays of one element around a null, built without recursion.
inline nlohmann::json nested_json_array(std::size_t depth) {
  nlohmann::json root = nullptr;
  nlohmann::json* leaf = &root;
  for (std::size_t i = 0; i < depth; ++i) {
    *leaf = nlohmann::json::array({nullptr});
    leaf = &(*leaf)[0];
  }
  return root;
}

// The same as MessagePack (a few bytes per level: what a peer can send).
inline std::string nested_msgpack(std::size_t depth) {
  std::string packed(depth, '\x91');  // fixarray of 1
  packed.push_back('\xc0');           // nil
  return packed;
}

// errno of the OSError that f throws; 0 when it throws nothing, -1 when it
// throws something else.
template <typename F>
int os_error_of(F&& f) {
  try {
    f();
  } catch (const mp::OSError& e) {
    return e.err();
  } catch (...) {
    return -1;
  }
  return 0;
}

}  // namespace test
