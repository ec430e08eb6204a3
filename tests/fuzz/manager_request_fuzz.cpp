// The manager server's request handler (what serve_client runs for every
// message a client sends), fed hostile requests. The input is a sequence of
// requests, each a 3-byte little-endian length and that many bytes, handled
// in order by one fresh server, so a create can be followed by calls on the
// new object. What must hold: handle() never throws and never crashes, every
// reply decodes as a Reply with a known status, and fits the reply limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "manager_handler.hpp"
#include "mp/codec.hpp"
#include "mp/errors.hpp"

namespace manager = mp::detail::manager;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  manager::RequestHandler handler;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (rest.size() >= 3) {
    std::size_t len = 0;
    for (int i = 2; i >= 0; --i) len = len << 8 | static_cast<std::uint8_t>(rest[static_cast<std::size_t>(i)]);
    rest.remove_prefix(3);
    const std::string_view request = rest.substr(0, len);
    rest.remove_prefix(request.size());
    const manager::Outcome outcome = handler.handle(request);
    fuzz::must(outcome.reply.size() <= manager::kMaxReply, "a reply fits the reply limit");
    manager::Reply reply;
    try {
      reply = mp::decode<manager::Reply>(outcome.reply);
    } catch (const mp::ValueError&) {
      fuzz::must(false, "every reply decodes");
    }
    fuzz::must(reply.first <= manager::kLastStatus, "a reply's status is one the proxies know");
    if (outcome.disconnect) fuzz::must(reply.first != manager::Status::Ok, "a dropped client is told why");
    if (outcome.stop) break;
  }
  return 0;
}
