// mpdemo crawler through the real binary: every page parsed once, in the main process.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("crawler: the whole site is parsed once, by callbacks in the main process", "[cli][crawler]") {
  auto workers = GENERATE(1, 3);
  auto r = run_json({"crawler", "--workers", std::to_string(workers), "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["pages"].get<int>() >= 6);
  CHECK(s["parsed"] == s["pages"]);
  CHECK(s["broken_links"] == 1);  // processes.html links to zombies.html, which the site does not have
  CHECK(s["fetch_pids"].get<int>() <= workers);

  const int main_pid = s["main_pid"].get<int>();
  std::map<std::string, int> parsed;
  std::set<int> fetchers;
  int failed = 0;
  for (const auto& e : r.events) {
    const std::string kind = e.value("kind", "");
    if (kind == "crawl.parsed") {
      ++parsed[e["path"].get<std::string>()];
      CHECK(e["pid"] == main_pid);
      CHECK(e["worker"] != main_pid);
      CHECK(!e["title"].get<std::string>().empty());
    }
    if (kind == "crawl.fetching") fetchers.insert(e["pid"].get<int>());
    CHECK(kind != "crawl.fetch_failed");  // the broken link is a 404, told as such
    if (kind == "crawl.page_not_found") {
      ++failed;
      CHECK(e["pid"] == main_pid);
      CHECK(e["path"] == "/zombies.html");
      CHECK(e["status"] == 404);
    }
  }
  CHECK(static_cast<int>(parsed.size()) == s["pages"].get<int>());
  for (const auto& [path, n] : parsed) CHECK(n == 1);
  CHECK(failed == 1);
  CHECK(fetchers.count(main_pid) == 0);
}

TEST_CASE("crawler: the index page's title and links are read", "[cli][crawler]") {
  auto r = run_json({"crawler", "--speed", "0.02", "--seed", "2"});
  REQUIRE(r.exit_code == 0);
  bool seen = false;
  for (const auto& e : r.events) {
    if (e.value("kind", "") != "crawl.parsed" || e["path"] != "/index.html") continue;
    seen = true;
    CHECK(e["title"] == "mpdemo notes · 多进程笔记");
    CHECK(e["links"] == 4);
  }
  CHECK(seen);
}

TEST_CASE("crawler: a student reads 'page not found (404)' and why the workers' numbers start after the servers'",
          "[cli][crawler]") {
  for (const char* lang : {"en", "zh"}) {
    auto r = test::run_mpdemo({"crawler", "--speed", "0.02", "--seed", "1", "--lang", lang});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("std::") == std::string::npos);
    CHECK(r.out.find("404") != std::string::npos);
    CHECK(r.out.find("PoolWorker-5..7") != std::string::npos);
  }
}
