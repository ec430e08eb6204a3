// The ticket db reader (mp::TicketDb::read_count) on a file holding any
// bytes. What must hold: it returns a non-negative count or throws
// mp::DbError whose message starts with the path, and nothing else escapes.
// The file is a memfd named through /proc/self/fd, so nothing is left on
// disk whatever happens.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_target.hpp"
#include "mp/ticket_db.hpp"
#include "mp/unique_fd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mp::UniqueFd file(::memfd_create("fuzz-ticket-db", MFD_CLOEXEC));
  fuzz::must(file.valid(), "memfd_create works");
  mp::write_all(file.get(), data, size);
  const std::string path = "/proc/self/fd/" + std::to_string(file.get());
  try {
    const std::int64_t count = mp::TicketDb(path).read_count();
    fuzz::must(count >= 0, "a count read is not negative");
  } catch (const mp::DbError& e) {
    fuzz::must(std::string(e.what()).rfind(path, 0) == 0, "a DbError names the file first");
  }
  return 0;
}
