// The manager server's answer to one request, apart from sockets and threads
// (private to mpcore): what serve_client runs for every message, and what
// the fuzz target tests/fuzz/manager_request_fuzz.cpp feeds with hostile
// bytes. Thread-safe: calls into the objects are serialised by one mutex; a
// call that blocks (Queue.get, Lock.acquire, ...) gives it up while it waits.
#pragma once

#include <condition_variable>
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

// Who sent a request.
struct Client {
  ClientId id = 0;   // numbered by the server from 1; 0 for none
  int socket = -1;   // its connection, watched while it waits; -1 for none
                     // (such a caller cannot wait: a blocking call that would
                     // wait ends at once with a RemoteError)
};

class RequestHandler {
 public:
  // Runs one request given as the bytes of one message, for `client`. Never
  // throws for anything in the bytes: a failure is a reply. A reply over
  // kMaxReply bytes (or nested too deep to encode) becomes a RemoteError
  // reply. A method that blocks waits here, on the caller's thread.
  Outcome handle(std::string_view request, Client client = {});
  // The client's connection has closed: every Lock and RLock it held is
  // released, and the clients waiting for them look again.
  void client_gone(ClientId client) noexcept;

 private:
  Reply run(std::string_view request, const Client& client, Outcome& outcome);

  std::mutex objects_mutex_;         // one method call at a time, on any object
  std::condition_variable changed_;  // notified after every method call: waiters look again
  ObjectTable objects_;              // guarded by objects_mutex_
};

}  // namespace mp::detail::manager
