// The manager server's answer to one request, apart from sockets and threads
// (private to mpcore): what serve_client runs for every message, and what
// the fuzz target tests/fuzz/manager_request_fuzz.cpp feeds with hostile
// bytes. Thread-safe: calls into the objects are serialised by one mutex.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "manager_objects.hpp"

namespace mp::detail::manager {

// What the connection does after one request.
struct Outcome {
  std::string reply;         // the encoded Reply, to send back
  bool stop = false;         // a Shutdown request: stop the server once the reply is out
  bool disconnect = false;   // the client sent bytes that are not a request: drop it after the reply
};

class RequestHandler {
 public:
  // Runs one request given as the bytes of one message. Never throws for
  // anything in the bytes: a failure is a reply. A reply over kMaxReply
  // bytes (or nested too deep to encode) becomes a RemoteError reply.
  Outcome handle(std::string_view request);

 private:
  Reply run(std::string_view request, Outcome& outcome);

  std::mutex objects_mutex_;  // one method call at a time, on any object
  ObjectTable objects_;       // guarded by objects_mutex_
};

}  // namespace mp::detail::manager
