// Hostile ticket dbs through the real binary: whatever sits at --db, mpdemo
// ends with exit 2 and a short message naming it, before any buyer is
// forked, and leaves it exactly as it was. And the report after a buyer is
// killed in the middle of its write stays coherent.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "mp/unique_fd.hpp"
#include "support/mpdemo_runner.hpp"

using test::run_json;
using test::run_mpdemo;
using test::TempDir;

namespace {

// What a path is, without following a symbolic link.
mode_t type_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & S_IFMT;
}

bool no_buyer_started(const test::RunResult& r) { return r.out.find("ticket.search") == std::string::npos; }

}  // namespace

TEST_CASE("an existing path that is not a ticket db is refused untouched, with and without --keep",
          "[cli][ticket][db]") {
  auto keep = GENERATE(false, true);
  TempDir dir;
  const std::string db = dir.file("db.json");
  SECTION("a text file") {
    dir.write("db.json", "notes\n");
  }
  SECTION("an empty file") {
    dir.write("db.json", "");
  }
  SECTION("a FIFO") {
    REQUIRE(::mkfifo(db.c_str(), 0644) == 0);
  }
  SECTION("a symbolic link to a valid db") {
    dir.write("real.json", "{\"count\": 3}\n");
    REQUIRE(::symlink("real.json", db.c_str()) == 0);
  }
  SECTION("a directory") {
    REQUIRE(::mkdir(db.c_str(), 0755) == 0);
  }
  SECTION("a character device (as /dev/null)") {
    if (::mknod(db.c_str(), S_IFCHR | 0644, makedev(1, 3)) != 0) {
      WARN("mknod not permitted here: character device case not run");
      return;
    }
  }
  const mode_t before = type_of(db);
  const std::string content = before == S_IFREG ? dir.read("db.json") : "";
  std::vector<std::string> args = {"ticket", "--lock", "--speed", "0", "--json"};
  if (keep) args.push_back("--keep");
  auto r = run_mpdemo(args, dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("db.json") != std::string::npos);
  CHECK(no_buyer_started(r));
  CHECK(type_of(db) == before);
  if (before == S_IFREG) CHECK(dir.read("db.json") == content);
  if (before == S_IFLNK) CHECK(dir.read("real.json") == "{\"count\": 3}\n");
}

TEST_CASE("a db nested 100,000 deep or holding a huge string is exit 2 with a short message", "[cli][ticket][db]") {
  TempDir dir;
  SECTION("nested") {
    const std::string deep = "{\"count\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    dir.write("db.json", deep);
    auto r = run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
    INFO(r.err.substr(0, 400));
    CHECK(r.exit_code == 2);
    // 200 KB: refused for its size before its depth is looked at.
    CHECK(r.err.find("larger than 65536 bytes") != std::string::npos);
    CHECK(r.err.size() < 400);
    CHECK(dir.read("db.json") == deep);
  }
  SECTION("nested, within the size limit") {
    const std::string deep = "{\"count\": " + std::string(1000, '[') + std::string(1000, ']') + "}";
    dir.write("db.json", deep);
    auto r = run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
    INFO(r.err.substr(0, 400));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("nested deeper than 32") != std::string::npos);
    CHECK(r.err.size() < 400);
  }
  SECTION("a 900 KB string") {
    dir.write("db.json", "{\"count\": \"" + std::string(900000, 'x') + "\"}");
    auto r = run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("larger than") != std::string::npos);
    CHECK(r.err.size() < 400);
  }
  SECTION("a 30 KB string") {
    dir.write("db.json", "{\"count\": \"" + std::string(30000, 'x') + "\"}");
    auto r = run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("not an integer") != std::string::npos);
    CHECK(r.err.size() < 400);
  }
}

TEST_CASE("counts at the integer edges are exit 2 naming the file and the range", "[cli][ticket][db]") {
  struct Case {
    std::string count;
    const char* says;
  };
  auto c = GENERATE(Case{"9223372036854775808", "from 0 to 9223372036854775807"},
                    Case{"18446744073709551615", "from 0 to 9223372036854775807"},
                    Case{"-9223372036854775808", "from 0 to 9223372036854775807"},
                    Case{"-1", "from 0 to 9223372036854775807"},
                    Case{"1e19", "from 0 to 9223372036854775807"},
                    Case{std::string(400, '9'), "beyond the range of a double"},
                    Case{"1e400", "beyond the range of a double"});
  TempDir dir;
  const std::string text = "{\"count\": " + c.count + "}";
  dir.write("db.json", text);
  auto r = run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("db.json") != std::string::npos);
  CHECK(r.err.find(c.says) != std::string::npos);
  CHECK(r.err.size() < 400);
  CHECK(dir.read("db.json") == text);
}

TEST_CASE("the largest count is accepted", "[cli][ticket][db]") {
  TempDir dir;
  dir.write("db.json", "{\"count\": 9223372036854775807}");
  auto r = run_json({"ticket", "--lock", "--keep", "--buyers", "2", "--speed", "0"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["remaining"] == 9223372036854775805LL);
}

TEST_CASE("ticket --tickets out of range is exit 2 naming the option and the range", "[cli][ticket][options]") {
  auto value = GENERATE(as<std::string>{}, "99999999999999999999", "9223372036854775808", "-1", "1.5", "nan", "");
  TempDir dir;
  auto r = run_mpdemo({"ticket", "--tickets", value, "--speed", "0"}, dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--tickets") != std::string::npos);
  if (!value.empty()) CHECK(r.err.find("0 to 9223372036854775807") != std::string::npos);
  CHECK(!std::filesystem::exists(dir.file("db.json")));
}

TEST_CASE("a read-only db directory with --keep is exit 2 before any buyer starts", "[cli][ticket][db]") {
  TempDir dir;
  const std::string sub = dir.file("ro");
  REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
  {
    std::FILE* f = std::fopen((sub + "/db.json").c_str(), "w");
    REQUIRE(f);
    std::fputs("{\"count\": 2}\n", f);
    std::fclose(f);
  }
  // As root a mode of 0555 does not stop a write; the immutable flag does.
  mp::UniqueFd fd(::open(sub.c_str(), O_RDONLY | O_DIRECTORY));
  REQUIRE(fd);
  int flags = 0;
  bool made_read_only = false;
  if (::geteuid() != 0) {
    made_read_only = ::chmod(sub.c_str(), 0555) == 0;
  } else if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) == 0) {
    flags |= FS_IMMUTABLE_FL;
    made_read_only = ::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) == 0;
  }
  if (!made_read_only) {
    WARN("cannot make a directory read-only here: case not run");
    return;
  }
  auto r = run_mpdemo({"ticket", "--keep", "--lock", "--db", "ro/db.json", "--speed", "0", "--json"}, dir.path());
  if (::geteuid() != 0) {
    ::chmod(sub.c_str(), 0755);
  } else {
    flags &= ~FS_IMMUTABLE_FL;
    ::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags);
  }
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("ro/db.json") != std::string::npos);
  CHECK(r.err.find("temporary file") != std::string::npos);
  CHECK(no_buyer_started(r));
}

TEST_CASE("a buyer killed after its write reaches the db: an unreported sale, and the report agrees",
          "[cli][ticket][crash]") {
  auto lock = GENERATE(true, false);
  TempDir dir;
  // As many tickets as buyers: buyer 1 buys whatever the order, so it always writes.
  std::vector<std::string> args = {"ticket", "--buyers", "4", "--tickets", "4", "--crash-writer", "1", "--seed", "7"};
  if (lock) args.insert(args.end(), {"--lock", "--speed", "0.002"});
  // Without the lock, every buyer must read before anyone writes: no search,
  // and 0.25 s between read and write, far longer than starting four buyers
  // (at --speed 0.002 the 2-6 ms wait was shorter than four forks under a
  // sanitizer on a loaded machine, and the race did not show).
  else args.insert(args.end(), {"--speed", "0.05", "--search-max", "0", "--buy-min", "5", "--buy-max", "5"});
  auto r = run_json(args, dir.path());
  INFO(r.err);
  const auto& s = r.summary();
  INFO(s.dump());
  CHECK(s["kind"] == "summary");
  CHECK(test::count_kind(r, "ticket.crash_writer") == 1);
  CHECK(s["crashed"] == 1);
  CHECK(s["lost_updates"].get<long long>() >= 0);
  if (lock) {
    REQUIRE(r.exit_code == 0);
    CHECK(s["ok"] == true);
    CHECK(s["unreported"] == 1);
    CHECK(s["interrupted_writes"] == 1);
    CHECK(s["sold"] == 3);
    CHECK(s["remaining"] == 0);
    CHECK(test::count_kind(r, "ticket.verdict_unreported") == 1);
    CHECK(test::count_kind(r, "ticket.verdict_ok") == 0);
  } else {
    // Every buyer read 4 before anyone wrote: the race still shows.
    CHECK(r.check("race_observed")["ok"] == true);
  }
}

TEST_CASE("temporary files of a killed run are removed by the next run, others' are left", "[cli][ticket][db]") {
  TempDir dir;
  dir.write("db.json", "{\"count\": 1}\n");
  // pid 2^22+1 is above the largest pid Linux hands out: its owner is gone.
  dir.write(".db.json.tmp.4194305.AbCdEf", "{\"count\": 0}\n");
  // pid 1 is always alive: a run still going, not ours to remove.
  dir.write(".db.json.tmp.1.XyZxYz", "{\"count\": 0}\n");
  auto r = run_json({"ticket", "--lock", "--keep", "--speed", "0"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["temporary_files_removed"] == 1);
  CHECK(!std::filesystem::exists(dir.file(".db.json.tmp.4194305.AbCdEf")));
  CHECK(std::filesystem::exists(dir.file(".db.json.tmp.1.XyZxYz")));
}
