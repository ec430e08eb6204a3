// The ticket db's parser (mp::parse_ticket_db, the one TicketDb::read_count
// uses) on any bytes. What must hold: it returns a non-negative count or
// throws mp::DbError whose message starts with the path and stays short
// (it quotes at most a few dozen bytes of the input), and nothing else
// escapes. The bytes go to the parser directly: a file named through
// /proc/self/fd is a symbolic link, which the reader rightly refuses before
// parsing, so such a target would never reach the parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "mp/ticket_db.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = "fuzz-db.json";
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const std::int64_t count = mp::parse_ticket_db(bytes, path);
    fuzz::must(count >= 0, "a count read is not negative");
  } catch (const mp::DbError& e) {
    const std::string message = e.what();
    fuzz::must(message.rfind(path, 0) == 0, "a DbError names the file first");
    fuzz::must(message.size() < 1024, "a DbError's message stays short");
  }
  return 0;
}
