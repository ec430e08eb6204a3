// mpdemo file-append through the real binary: O_APPEND keeps every record
// whole; without it records are overwritten; the file is cleaned up.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;
using test::TempDir;

namespace {

int count_lines_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

bool dir_is_empty(const std::string& path) { return std::filesystem::is_empty(path); }

}  // namespace

TEST_CASE("file-append: every record present and whole and the temporary file is removed", "[cli][file-append]") {
  auto writers = GENERATE(1, 10, 40);
  TempDir dir;
  auto r = run_json({"file-append", "--writers", std::to_string(writers), "--speed", "0.05", "--seed", "1"},
                    dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["records"] == writers);
  CHECK(s["lost"] == 0);
  CHECK(s["torn"] == 0);
  CHECK(s["bytes"] == s["expected_bytes"]);
  CHECK(r.check("all_records_present")["ok"] == true);
  CHECK(r.check("distinct_offsets")["ok"] == true);
  CHECK(s["kept"] == false);
  CHECK(dir_is_empty(dir.path()));
  // Each writer reported where its record landed; the offsets tile the file.
  int wrote = 0;
  for (const auto& e : r.events)
    if (e["kind"] == "file-append.wrote") {
      ++wrote;
      CHECK(e["position"].get<long long>() - e["at"].get<long long>() == e["bytes"].get<long long>());
      CHECK(e["at"].get<long long>() % e["bytes"].get<long long>() == 0);
    }
  CHECK(wrote == writers);
}

TEST_CASE("file-append: by default the cursors read 0, 7, 14 ... 63, as in the tutorial (no pause, 7-byte records)",
          "[cli][file-append]") {
  TempDir dir;
  auto r = run_json({"file-append", "--speed", "0.05", "--seed", "1"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["records"] == 10);
  CHECK(s["record_bytes"] == 7);
  CHECK(s["delay_max"] == 0.0);
  // Each writer opens after the one before has written: the cursors step by
  // one record. A writer that the scheduler lets open before the one before
  // it wrote reads the same cursor: real, and rare (5 of 30 runs on a loaded
  // 2-core machine had one such pair), so a few may repeat, never all.
  std::set<long long> cursors;
  for (const auto& e : r.events)
    if (e["kind"] == "file-append.opened") {
      const long long at = e["position"].get<long long>();
      CHECK(at % 7 == 0);
      CHECK(at <= 63);
      cursors.insert(at);
    }
  CHECK(cursors.size() >= 5);  // every cursor read 0 under the old default pause
  CHECK(s["cursors_at_open"].size() == 10);
  // The closing sentence lists them when none was stale.
  const std::string verdict = s["stale_cursors"] == 0 ? "file-append.verdict_in_turn" : "file-append.verdict_ok";
  CHECK(test::count_kind(r, verdict) == 1);
}

TEST_CASE("file-append --delay-max: a pause between open and write makes cursors stale, O_APPEND keeps every record",
          "[cli][file-append]") {
  TempDir dir;
  auto r = run_json({"file-append", "--delay-max", "2", "--speed", "0.05", "--seed", "1"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["records"] == 10);
  CHECK(r.summary()["stale_cursors"].get<int>() > 0);
  CHECK(test::count_kind(r, "file-append.verdict_ok") == 1);

  // --no-append pauses by itself (0.5 s unless --delay-max is given): the
  // rerun line leaves --delay-max out, so that rerunning it does the same.
  auto no_append = run_json({"file-append", "--no-append", "--speed", "0.05", "--seed", "1"}, dir.path());
  REQUIRE(no_append.exit_code == 0);
  CHECK(no_append.summary()["delay_max"] == 0.5);
  for (const auto& e : no_append.events)
    if (e["kind"] == "run.start") CHECK(e["rerun"].get<std::string>().find("--delay-max") == std::string::npos);
}

TEST_CASE("file-append: a record too short for the writer's number is exit 2", "[cli][file-append][errors]") {
  TempDir dir;
  auto r = test::run_mpdemo({"file-append", "--writers", "100", "--record-bytes", "4", "--speed", "0"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--record-bytes 4") != std::string::npos);
  auto fits = run_json({"file-append", "--writers", "100", "--record-bytes", "6", "--speed", "0"}, dir.path());
  CHECK(fits.exit_code == 0);
  CHECK(fits.summary()["records"] == 100);
}

TEST_CASE("file-append --file --keep-file keeps the records and an existing file keeps its content",
          "[cli][file-append]") {
  TempDir dir;
  auto kept = run_json({"file-append", "--file", "log.txt", "--keep-file", "--speed", "0.02", "--seed", "2"},
                       dir.path());
  REQUIRE(kept.exit_code == 0);
  CHECK(kept.summary()["kept"] == true);
  CHECK(count_lines_starting(dir.read("log.txt"), "W-00") == 10);  // 7-byte records: "W-0003"

  // The file existed: it is the user's, so it stays, old lines first.
  dir.write("old.txt", "first line\nsecond line\n");
  auto appended = run_json({"file-append", "--file", "old.txt", "--writers", "5", "--speed", "0.02", "--seed", "3"},
                           dir.path());
  REQUIRE(appended.exit_code == 0);
  CHECK(appended.summary()["records"] == 5);
  CHECK(appended.summary()["kept"] == true);
  const std::string text = dir.read("old.txt");
  CHECK(text.rfind("first line\nsecond line\n", 0) == 0);
  CHECK(count_lines_starting(text, "W-000") == 5);

  // A file this run created without --keep-file goes away.
  auto removed = run_json({"file-append", "--file", "new.txt", "--speed", "0.02", "--seed", "4"}, dir.path());
  REQUIRE(removed.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dir.file("new.txt")));
}

TEST_CASE("file-append --no-append: records overwrite each other", "[cli][file-append]") {
  auto seed = GENERATE(1, 2, 3);
  TempDir dir;
  auto r = run_json({"file-append", "--no-append", "--speed", "0.05", "--seed", std::to_string(seed)}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["lost"].get<int>() > 0);
  CHECK(r.summary()["records"].get<int>() < 10);
  CHECK(r.check("overwrite_observed")["ok"] == true);
  CHECK(dir_is_empty(dir.path()));
}

TEST_CASE("file-append: a --file that is not a regular file is exit 2", "[cli][file-append][errors]") {
  TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  auto r = test::run_mpdemo({"file-append", "--file", "sub", "--speed", "0"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("sub") != std::string::npos);
  auto missing = test::run_mpdemo({"file-append", "--file", "/nonexistent-dir/x.txt", "--speed", "0"}, dir.path());
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("/nonexistent-dir/x.txt") != std::string::npos);
}
