// A Connection reading a hostile peer: the input is everything the peer
// writes before it closes its end. The same bytes are read in both modes (an
// fd of one's own, Sharing::Single, reads exactly one message per recv; an
// end like Pipe()'s, Sharing::Shared, reads through a shared buffer) and
// must give the same messages and end the same way: EOFError, or OSError
// with the same errno. Nothing else may escape; nothing may hang.
//
// The first byte picks the limit (max_message): 0 the default, else
// byte * 64 bytes, so small lying headers reach the limit too.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/unique_fd.hpp"

namespace {

// Large enough for any input this target takes, so that the whole input is
// written before reading starts.
constexpr std::size_t kPipeSize = 1 << 20;

struct Outcome {
  std::vector<std::string> messages;
  int end = 0;  // -1 EOFError, else the OSError's errno
  bool operator==(const Outcome&) const = default;
};

Outcome read_all(std::string_view stream, mp::Connection::Sharing sharing, std::size_t limit) {
  auto [r, w] = mp::make_pipe();
  ::fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(kPipeSize));
  mp::write_all(w.get(), stream.data(), stream.size());
  w.reset();  // the peer is gone: EOF after its bytes
  mp::Connection reader(std::move(r), true, false, mp::Connection::Kind::Pipe, sharing);
  if (limit) reader.set_max_message(limit);
  Outcome out;
  for (;;) {
    try {
      out.messages.push_back(reader.recv_bytes());
    } catch (const mp::EOFError&) {
      out.end = -1;
      return out;
    } catch (const mp::OSError& e) {
      out.end = e.err();
      fuzz::must(reader.closed(), "an end that refused a message is closed");
      return out;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > kPipeSize / 2) return 0;
  const std::size_t limit = std::size_t{data[0]} * 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome single = read_all(stream, mp::Connection::Sharing::Single, limit);
  const Outcome shared = read_all(stream, mp::Connection::Sharing::Shared, limit);
  fuzz::must(single == shared, "both read modes give the same messages and the same end");
  return 0;
}
