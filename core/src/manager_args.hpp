// How the server's methods read their arguments and report a failure
// (private to mpcore): shared by manager_objects.cpp and manager_sync.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "manager_protocol.hpp"
#include "mp/deadline.hpp"

namespace mp::detail::manager {

// A method that fails the way Python's would: the status names the
// exception the caller throws. ObjectTable::apply turns it into a reply.
struct Failure {
  Status status;
  std::string message;
};

[[noreturn]] inline void fail(Status status, std::string message) { throw Failure{status, std::move(message)}; }

inline const nlohmann::json& arg(const nlohmann::json& args, std::size_t i) {
  if (!args.is_array() || i >= args.size()) fail(Status::RemoteError, "request is missing argument " + std::to_string(i));
  return args[i];
}

inline const std::string& key_arg(const nlohmann::json& args, std::size_t i = 0) {
  const nlohmann::json& key = arg(args, i);
  if (!key.is_string()) fail(Status::RemoteError, "request argument " + std::to_string(i) + " must be a string");
  return key.get_ref<const std::string&>();
}

inline std::int64_t int_arg(const nlohmann::json& args, std::size_t i) {
  const nlohmann::json& v = arg(args, i);
  if (!v.is_number_integer()) fail(Status::RemoteError, "request argument " + std::to_string(i) + " must be an integer");
  return v.get<std::int64_t>();
}

inline bool bool_arg(const nlohmann::json& args, std::size_t i) {
  const nlohmann::json& v = arg(args, i);
  if (!v.is_boolean()) fail(Status::RemoteError, "request argument " + std::to_string(i) + " must be a boolean");
  return v.get<bool>();
}

// A timeout as proxies send it: null waits for ever, a number is seconds
// (clamped by Deadline as every wait in mpcore is: negative and NaN are 0,
// past kLongestTimeout is kLongestTimeout).
inline Timeout timeout_arg(const nlohmann::json& args, std::size_t i) {
  const nlohmann::json& v = arg(args, i);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number()) fail(Status::RemoteError, "request argument " + std::to_string(i) + " must be null or seconds");
  return v.get<double>();
}

}  // namespace mp::detail::manager
