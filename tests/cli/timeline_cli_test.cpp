// Drawing a run: --timeline, --trace, --chart and --record on real runs, and
// mpdemo replay of a recording. The page's data and the trace are checked
// for structure against the recording of the same run.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "support/mpdemo_runner.hpp"
#include "support/timeline_checks.hpp"

using test::run_mpdemo;
using test::TempDir;

namespace {

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("ticket --lock --timeline --trace: one lane per process, a mark per event, holders never overlap",
          "[cli][timeline]") {
  TempDir dir;
  auto r = run_mpdemo({"ticket", "--lock", "--buyers", "6", "--tickets", "3", "--speed", "0.01", "--seed", "3",
                       "--timeline", "t.html", "--trace", "t.json", "--record", "r.jsonl"},
                      dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto recorded = json_lines(dir.read("r.jsonl"));
  REQUIRE(recorded.back()["kind"] == "summary");
  bool well_formed = false;
  for (const auto& c : recorded.back()["checks"])
    if (c["name"] == "timeline_well_formed") well_formed = c["ok"].get<bool>();
  CHECK(well_formed);
  CHECK(recorded.front()["kind"] == "run.start");
  CHECK(recorded.front()["format"] == 1);

  const auto page = dir.read("t.html");
  CHECK(page.find("<script src") == std::string::npos);
  CHECK(page.find("http://") == page.find("http://www.w3.org/2000/svg"));  // the SVG namespace, no link
  CHECK(page.find("https://") == std::string::npos);
  const auto d = test::page_data(page);
  test::check_page_against_recording(d, recorded);
  CHECK(d["lanes"].size() == 7);  // the main process and six buyers
  CHECK(d["lanes"][0][2] == 0);
  for (std::size_t i = 1; i < d["lanes"].size(); ++i) CHECK(d["lanes"][i][2] == 1);  // under the main process
  const auto holding = test::spans_of(d, "ticket.holding_lock");
  CHECK(holding.size() == 6);
  CHECK(test::overlapping_pairs(holding) == 0);
  CHECK(test::spans_of(d, "ticket.searching").size() == 6);
  CHECK(test::spans_of(d, "ticket.waiting_lock").size() == 6);
  CHECK(test::spans_of(d, "ticket.network").size() == 6);
  for (const auto& s : d["spans"]) CHECK(s[4] == 0);  // nobody died inside a state

  const auto trace = nlohmann::json::parse(dir.read("t.json"));
  auto phases = test::check_trace(trace);
  CHECK(phases["i"] == static_cast<int>(d["marks"].size()));
  CHECK(phases["X"] == static_cast<int>(d["spans"].size() + d["lanes"].size()));
}

TEST_CASE("ticket without a lock: several buyers wait for the network at once", "[cli][timeline]") {
  TempDir dir;
  auto r = run_mpdemo({"ticket", "--speed", "0.05", "--seed", "3", "--timeline", "t.html", "--record", "r.jsonl"},
                      dir.path());
  REQUIRE(r.exit_code == 0);
  const auto d = test::page_data(dir.read("t.html"));
  test::check_page_against_recording(d, json_lines(dir.read("r.jsonl")));
  CHECK(test::overlapping_pairs(test::spans_of(d, "ticket.network")) >= 1);
  CHECK(test::spans_of(d, "ticket.holding_lock").empty());
}

TEST_CASE("queue, queue-crowd, flash-sale, baozi, echo-server, pipe, crawler: an arrow per item received, in the trace a flow",
          "[cli][timeline]") {
  auto scenario =
      GENERATE(as<std::string>{}, "queue", "queue-crowd", "flash-sale", "baozi", "echo-server", "pipe", "crawler");
  INFO(scenario);
  TempDir dir;
  auto r = run_mpdemo({scenario, "--speed", "0.02", "--seed", "2", "--timeline", "t.html", "--trace", "t.json",
                       "--record", "r.jsonl"},
                      dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto recorded = json_lines(dir.read("r.jsonl"));
  const auto d = test::page_data(dir.read("t.html"));
  test::check_page_against_recording(d, recorded);
  test::check_arrows(d, recorded);
  CHECK(d["arrows"].size() > 0);
  auto phases = test::check_trace(nlohmann::json::parse(dir.read("t.json")));
  CHECK(phases["s"] == static_cast<int>(d["arrows"].size()));
  CHECK(phases["f"] == static_cast<int>(d["arrows"].size()));
}

TEST_CASE("the process lessons draw the state each is about, not only lanes and marks", "[cli][timeline]") {
  // Each scenario with the states (args.state in the trace) its lesson is
  // about; before these spans the seven drew only lanes, marks and zombies.
  struct Case {
    const char* scenario;
    std::vector<std::string> states;
  };
  auto c = GENERATE(Case{"pid", {"pid.waiting_release", "pid.holding"}},
                    Case{"fork", {"fork.waiting_child"}},
                    Case{"isolation", {"isolation.joining"}},
                    Case{"orphan", {"orphan.with_parent", "orphan.orphaned"}},
                    Case{"states", {"states.running", "states.sleeping", "states.reading_pipe", "states.in_vfork"}},
                    Case{"threads-vs-processes", {"threads_vs_processes.working"}},
                    Case{"value-array", {"value-array.counting"}});
  INFO(c.scenario);
  TempDir dir;
  auto r = run_mpdemo({c.scenario, "--speed", "0.05", "--seed", "2", "--trace", "t.json", "--record", "r.jsonl"},
                      dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::set<std::string> drawn;
  const auto trace = nlohmann::json::parse(dir.read("t.json"));
  for (const auto& e : trace["traceEvents"])
    if (e.value("ph", "") == "X" && e.value("cat", "") == "span") drawn.insert(e["args"]["state"].get<std::string>());
  std::string seen;
  for (const auto& s : drawn) seen += s + " ";
  INFO("drawn: " << seen);
  for (const auto& state : c.states) {
    INFO(state);
    CHECK(drawn.count(state) == 1);
  }
}

TEST_CASE("a buyer killed holding the lock: its spans are cut at its death, the run is well formed",
          "[cli][timeline]") {
  TempDir dir;
  auto r = run_mpdemo({"ticket", "--lock", "--buyers", "3", "--crash-holder", "2", "--speed", "0.002", "--seed", "1",
                       "--timeline", "t.html", "--lang", "zh"},
                      dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto d = test::page_data(dir.read("t.html"));
  int cut = 0;
  for (const auto& s : d["spans"]) cut += s[4].get<int>();
  CHECK(cut == 2);  // holding the lock and the network wait
  bool killed = false;
  for (const auto& l : d["lanes"]) killed = killed || l[5] == "被 SIGKILL 杀死";
  CHECK(killed);
  CHECK(d["states"][0][1] == "查票中");
}

TEST_CASE("chart (--chart): a row per process after the summary, a legend, plain characters off a terminal",
          "[cli][timeline][chart]") {
  TempDir dir;
  auto r = run_mpdemo({"ticket", "--lock", "--buyers", "45", "--tickets", "5", "--speed", "0", "--seed", "2", "--chart"},
                      dir.path());
  REQUIRE(r.exit_code == 0);
  const auto summary_at = r.out.find("── ticket");
  const auto chart_at = r.out.find("legend:");
  REQUIRE(summary_at != std::string::npos);
  REQUIRE(chart_at != std::string::npos);
  CHECK(summary_at < chart_at);
  CHECK(r.out.find("\x1b[") == std::string::npos);
  CHECK(r.out.find("and 6 more processes") != std::string::npos);  // 46 lanes, 40 drawn
  CHECK(r.out.find("Buyer-1 ") != std::string::npos);
  CHECK(r.out.find("holding the lock") != std::string::npos);

  auto bad = run_mpdemo({"ticket", "--chart", "--json"}, dir.path());
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--chart") != std::string::npos);
}

TEST_CASE("an output path that cannot be written stops the run before it starts", "[cli][timeline]") {
  TempDir dir;
  auto r = run_mpdemo({"ticket", "--timeline", "no/such/dir/t.html"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no/such/dir/t.html") != std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("replay shows a recording line for line as the console did", "[cli][replay]") {
  TempDir dir;
  auto live = run_mpdemo({"ticket", "--lock", "--buyers", "4", "--speed", "0.005", "--seed", "7", "--record", "r.jsonl"},
                         dir.path());
  REQUIRE(live.exit_code == 0);
  auto again = run_mpdemo({"replay", "r.jsonl"}, dir.path());
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == live.out);

  // Recorded with --json (stdout only), the same holds.
  auto json = run_mpdemo({"ticket", "--lock", "--speed", "0.005", "--seed", "8", "--json"}, dir.path());
  dir.write("j.jsonl", json.out);
  auto shown = run_mpdemo({"replay", "j.jsonl", "--timeline", "j.html", "--trace", "j.json", "--chart"}, dir.path());
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("sold_equals_min_buyers_tickets") == std::string::npos);  // checks show as sentences
  CHECK(shown.out.find("legend:") != std::string::npos);
  test::check_page_against_recording(test::page_data(dir.read("j.html")), json_lines(json.out));
  test::check_trace(nlohmann::json::parse(dir.read("j.json")));

  // The other language.
  auto zh = run_mpdemo({"replay", "r.jsonl", "--lang", "zh"}, dir.path());
  REQUIRE(zh.exit_code == 0);
  CHECK(zh.out.find("查票") != std::string::npos);
  CHECK(zh.out.find("searching") == std::string::npos);
}

TEST_CASE("replay refuses a file that is not a whole recording, naming the line", "[cli][replay]") {
  TempDir dir;
  auto live = run_mpdemo({"ticket", "--lock", "--speed", "0.002", "--seed", "9", "--json"}, dir.path());
  REQUIRE(live.exit_code == 0);
  const std::string& text = live.out;
  const auto lines = std::count(text.begin(), text.end(), '\n');

  SECTION("cut in the middle of a line") {
    dir.write("cut.jsonl", text.substr(0, text.size() - 20));
    auto r = run_mpdemo({"replay", "cut.jsonl"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("line " + std::to_string(lines)) != std::string::npos);
    CHECK(r.err.find("cut short") != std::string::npos);
  }
  SECTION("cut after a whole line: no summary") {
    const auto last = text.rfind('\n', text.size() - 2);
    dir.write("cut.jsonl", text.substr(0, last + 1));
    auto r = run_mpdemo({"replay", "cut.jsonl"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("line " + std::to_string(lines - 1)) != std::string::npos);
    CHECK(r.err.find("without the summary") != std::string::npos);
  }
  SECTION("not a recording") {
    dir.write("notes.txt", "shopping list\n");
    auto r = run_mpdemo({"replay", "notes.txt"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("notes.txt: line 1") != std::string::npos);
  }
  SECTION("a recording from a future format") {
    auto start = nlohmann::json::parse(text.substr(0, text.find('\n')));
    start["format"] = 99;
    dir.write("future.jsonl", start.dump() + "\n" + text.substr(text.find('\n') + 1));
    auto r = run_mpdemo({"replay", "future.jsonl"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("format 99") != std::string::npos);
  }
  SECTION("a missing file") {
    auto r = run_mpdemo({"replay", "nothing.jsonl"}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("nothing.jsonl") != std::string::npos);
  }
}

TEST_CASE("a span begun and never ended in a process that exited normally is reported", "[cli][replay][timeline]") {
  TempDir dir;
  // A hand-made recording: the child begins "ticket.searching" and exits 0 without ending it.
  dir.write("r.jsonl",
            R"({"t":0,"pid":10,"ppid":1,"name":"MainProcess","kind":"run.start","scenario":"ticket","seed":1,"speed":1,"rerun":"mpdemo ticket --seed 1","format":1,"lang":"en","wall":0})"
            "\n"
            R"({"t":0.1,"pid":11,"ppid":10,"name":"Buyer-1","kind":"trace.span","span_begin":"ticket.searching"})"
            "\n"
            R"({"t":0.2,"pid":11,"ppid":10,"name":"Buyer-1","kind":"trace.process_exit","exitcode":0})"
            "\n"
            R"({"t":0.3,"pid":10,"ppid":1,"name":"MainProcess","kind":"trace.reaped","child":11,"exitcode":0})"
            "\n"
            R"({"kind":"summary","scenario":"ticket","ok":true,"checks":[],"elapsed":0.4})"
            "\n");
  auto r = run_mpdemo({"replay", "r.jsonl", "--timeline", "t.html"}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("Buyer-1 (pid 11): span 'ticket.searching' begun at 0.100000 s never ended") != std::string::npos);
  const auto d = test::page_data(dir.read("t.html"));
  REQUIRE(d["spans"].size() == 2);  // the unended span (drawn cut) and the zombie time
  CHECK(d["spans"][0][4] == 1);
}

TEST_CASE("a span ended without a beginning, or begun twice, is reported, and one cut by a kill is not",
          "[cli][replay][timeline]") {
  TempDir dir;
  dir.write("r.jsonl",
            R"({"t":0,"pid":10,"ppid":1,"name":"MainProcess","kind":"run.start","scenario":"ticket","seed":1,"speed":1,"rerun":"mpdemo ticket --seed 1","format":1,"lang":"en","wall":0})"
            "\n"
            R"({"t":0.1,"pid":11,"ppid":10,"name":"Buyer-1","kind":"trace.span","span_end":"ticket.network"})"
            "\n"
            R"({"t":0.2,"pid":12,"ppid":10,"name":"Buyer-2","kind":"trace.span","span_begin":["ticket.searching","ticket.network"]})"
            "\n"
            R"({"t":0.3,"pid":12,"ppid":10,"name":"Buyer-2","kind":"trace.span","span_begin":"ticket.searching"})"
            "\n"
            R"({"t":0.4,"pid":10,"ppid":1,"name":"MainProcess","kind":"trace.reaped","child":11,"exitcode":0})"
            "\n"
            R"({"t":0.5,"pid":10,"ppid":1,"name":"MainProcess","kind":"trace.reaped","child":12,"exitcode":-9})"
            "\n"
            R"({"kind":"summary","scenario":"ticket","ok":true,"checks":[],"elapsed":0.6})"
            "\n");
  auto r = run_mpdemo({"replay", "r.jsonl", "--trace", "t.json"}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("Buyer-1 (pid 11): span 'ticket.network' ended at 0.100000 s without a beginning") !=
        std::string::npos);
  CHECK(r.err.find("Buyer-2 (pid 12): span 'ticket.searching' begun again at 0.300000 s while still open") !=
        std::string::npos);
  CHECK(r.err.find("never ended") == std::string::npos);  // Buyer-2 was killed inside its spans
  const auto trace = nlohmann::json::parse(dir.read("t.json"));
  test::check_trace(trace);
  int cut = 0;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X" && e["cat"] == "span" && e["args"]["cut"] == true) ++cut;
  CHECK(cut == 2);
}

TEST_CASE("an item received before its sender reported the send is drawn leaving no later than it arrived",
          "[cli][replay][timeline]") {
  // A sender reports its put after the put returns; the receiver may get the
  // item and report first (CI saw a queue arrow 7 us backwards). Hand-made:
  // Consumer reports the get at 0.028878, Producer the put at 0.028885.
  TempDir dir;
  dir.write("r.jsonl",
            R"({"t":0,"pid":10,"ppid":1,"name":"MainProcess","kind":"run.start","scenario":"queue","seed":1,"speed":1,"rerun":"mpdemo queue --seed 1","format":1,"lang":"en","wall":0})"
            "\n"
            R"({"t":0.028878,"pid":12,"ppid":10,"name":"Consumer","kind":"queue.consumer_got","item":"item-4","flow_in":"item-4"})"
            "\n"
            R"({"t":0.028885,"pid":10,"ppid":1,"name":"MainProcess","kind":"queue.put_blocking","item":"item-4","delay":0,"flow_out":"item-4"})"
            "\n"
            R"({"t":0.03,"pid":12,"ppid":10,"name":"Consumer","kind":"trace.process_exit","exitcode":0})"
            "\n"
            R"({"t":0.04,"pid":10,"ppid":1,"name":"MainProcess","kind":"trace.reaped","child":12,"exitcode":0})"
            "\n"
            R"({"kind":"summary","scenario":"queue","ok":true,"checks":[],"elapsed":0.05})"
            "\n");
  auto r = run_mpdemo({"replay", "r.jsonl", "--timeline", "t.html", "--trace", "t.json"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto d = test::page_data(dir.read("t.html"));
  REQUIRE(d["arrows"].size() == 1);
  const auto& a = d["arrows"][0];
  CHECK(a[0] == 0);
  CHECK(a[1].get<double>() <= a[3].get<double>());
  CHECK(a[3].get<double>() == Approx(0.028878));
  auto phases = test::check_trace(nlohmann::json::parse(dir.read("t.json")));
  CHECK(phases["s"] == 1);
  CHECK(phases["f"] == 1);
}
