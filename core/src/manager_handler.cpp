#include "manager_handler.hpp"

#include <cstdint>
#include <new>

#include "mp/codec.hpp"
#include "mp/errors.hpp"

namespace mp::detail::manager {

Reply RequestHandler::run(std::string_view bytes, Outcome& outcome) {
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
    std::lock_guard lock(objects_mutex_);
    return objects_.apply(object, op, args);
  }
  switch (op) {
    case Op::Create: {
      if (!args.is_array() || args.size() != 2 || !args[0].is_number_integer() || args[0].get<std::int64_t>() < 0 ||
          args[0].get<std::int64_t>() > static_cast<std::int64_t>(Kind::Namespace))
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

Outcome RequestHandler::handle(std::string_view request) {
  Outcome outcome;
  Reply reply;
  try {
    reply = run(request, outcome);
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
