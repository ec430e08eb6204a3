#include "manager_handler.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <new>

#include "mp/codec.hpp"
#include "mp/deadline.hpp"
#include "mp/errors.hpp"

namespace mp::detail::manager {
namespace {

// How long a blocked call sleeps at most before it looks whether its client
// is still connected: a client killed while it waits is let go within this,
// and takes nothing (no item, no count, no lock).
constexpr double kConnectedCheck = 0.1;

// A blocking method's wait: on the handler's condition variable (woken by
// every other call), in slices of kConnectedCheck.
class ClientWaiter final : public Waiter {
 public:
  ClientWaiter(std::unique_lock<std::mutex>& lock, std::condition_variable& changed, const Client& client)
      : lock_(lock), changed_(changed), client_(client) {}

  ClientId client() const noexcept override { return client_.id; }

  bool wait(const Deadline& deadline) override {
    if (client_.socket < 0 || !connected()) return false;  // nobody could wake a caller without a connection
    double slice = kConnectedCheck;
    if (const Timeout left = deadline.remaining()) slice = std::min(slice, *left);
    changed_.wait_for(lock_, std::chrono::duration<double>(slice));
    return connected();
  }

 private:
  // The client sends nothing while it waits for its reply: a hang-up or an
  // error on its socket means it has gone (or the server shut it down).
  bool connected() const noexcept override {
    if (client_.socket < 0) return true;  // no connection to lose
    pollfd p{client_.socket, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
  }

  std::unique_lock<std::mutex>& lock_;
  std::condition_variable& changed_;
  const Client& client_;
};

}  // namespace

Reply RequestHandler::run(std::string_view bytes, const Client& client, Outcome& outcome) {
  Request request;
  try {
    request = decode<Request>(bytes);
  } catch (const ValueError& e) {
    // No proxy sends this: a client that does is broken or hostile, and is
    // told why and then disconnected.
    outcome.disconnect = true;
    return {Status::RemoteError, std::string("manager server: bad request: ") + e.what()};
  }
  auto& [object, op, args] = request;
  if (object != kServer) {
    std::unique_lock lock(objects_mutex_);
    ClientWaiter waiter(lock, changed_, client);
    Reply reply = objects_.apply(object, op, args, waiter);
    lock.unlock();
    changed_.notify_all();  // whatever changed, a waiter decides for itself
    return reply;
  }
  switch (op) {
    case Op::Create: {
      if (!args.is_array() || args.size() != 2 || !args[0].is_number_integer() || args[0].get<std::int64_t>() < 0 ||
          args[0].get<std::int64_t>() > static_cast<std::int64_t>(kLastKind))
        return {Status::RemoteError, "manager server: create needs [kind, initial]"};
      try {
        std::lock_guard lock(objects_mutex_);
        return {Status::Ok, objects_.create(static_cast<Kind>(args[0].get<std::int64_t>()), args[1])};
      } catch (const ValueError& e) {
        return {Status::ValueError, e.what()};
      }
    }
    case Op::Shutdown:
      outcome.stop = true;
      return {Status::Ok, nullptr};
    default:
      return {Status::RemoteError, "manager server: request " + std::to_string(static_cast<int>(op)) +
                                       " needs an object"};
  }
}

void RequestHandler::client_gone(ClientId client) noexcept {
  std::unique_lock lock(objects_mutex_);
  const bool released = objects_.release_held_by(client);
  lock.unlock();
  if (released) changed_.notify_all();
}

Outcome RequestHandler::handle(std::string_view request, Client client) {
  Outcome outcome;
  Reply reply;
  try {
    reply = run(request, client, outcome);
  } catch (const std::bad_alloc&) {
    reply = {Status::RemoteError, "manager server: out of memory for this request"};
  }
  try {
    outcome.reply = encode(reply);
  } catch (const ValueError& e) {
    // A stored value nested just under the limit, returned inside a list
    // or an item pair: one level too many for the wire.
    outcome.reply = encode(Reply{Status::RemoteError, std::string("manager server: reply: ") + e.what()});
  }
  if (outcome.reply.size() > kMaxReply)
    outcome.reply = encode(Reply{Status::RemoteError, "manager server: the reply would be " +
                                                          std::to_string(outcome.reply.size()) +
                                                          " bytes, over the limit of " + std::to_string(kMaxReply)});
  return outcome;
}

}  // namespace mp::detail::manager
