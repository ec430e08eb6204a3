// mpdemo pipe through the real binary: all items, EOF, the forgotten end, closed ends.
#include <catch2/catch.hpp>

#include <algorithm>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("pipe: every item arrives, then EOF", "[cli][pipe]") {
  struct Case {
    int items;
    bool duplex;
  };
  auto c = GENERATE(Case{100, false}, Case{100, true}, Case{0, false}, Case{5000, false});
  std::vector<std::string> args{"pipe", "--items", std::to_string(c.items), "--speed", "0.05", "--seed", "1"};
  if (c.duplex) args.push_back("--duplex");
  auto r = run_json(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["received"] == c.items);
  CHECK(s["sum"].get<long long>() == static_cast<long long>(c.items) * (c.items - 1) / 2);
  for (const char* check : {"all_items_received", "eof_seen", "no_eof_while_own_end_open", "eof_after_closing_own_end",
                            "closed_end_raises"}) {
    INFO(check);
    CHECK(r.check(check)["ok"] == true);
  }
}

TEST_CASE("pipe: the events tell the story in order", "[cli][pipe]") {
  auto r = run_json({"pipe", "--items", "20", "--show", "3", "--speed", "0.05", "--seed", "1"});
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> kinds;
  int reader_recv = 0;
  for (const auto& e : r.events) {
    kinds.push_back(e.value("kind", ""));
    if (e.value("kind", "") == "pipe.recv" && e.value("name", "") == "Reader") ++reader_recv;
  }
  CHECK(reader_recv == 3);  // --show 3
  auto at = [&](const std::string& k) { return std::find(kinds.begin(), kinds.end(), k) - kinds.begin(); };
  CHECK(at("pipe.eof") < at("pipe.part2"));
  CHECK(at("pipe.no_eof") < at("pipe.closed_own_send_end"));
  CHECK(at("pipe.closed_own_send_end") < at("pipe.eof_after_close"));
  CHECK(std::count(kinds.begin(), kinds.end(), "pipe.recv_on_closed_end") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "pipe.send_without_reader") == 1);
}
