// crawler: a Pool fetches, a callback in the main process parses (seed 003's
// crawler: get_page in the pool, parse_page as the callback).
//
// The scenario starts its own small web site: HTTP server processes on
// 127.0.0.1 serving the pages of data/pages, each answer delayed like a
// distant site. A Pool of --workers fetches pages (the slow part: waiting
// for the network); each fetched page comes back to the main process, where
// the callback reads its title and links. Links not seen before become new
// fetches, until the whole site has been read. A link to a missing page ends
// in the error_callback, also in the main process.
//
// Try:  mpdemo crawler                  (3 workers; compare the time with pages x latency)
//       mpdemo crawler --workers 1      (one fetch at a time: the latency adds up)
//
// Watch the pids: fetches run in PoolWorker processes, every "parsed" line
// comes from the main process's pid.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include "http_server.hpp"
#include "mp/events.hpp"
#include "mp/pool.hpp"
#include "mpdata/embedded.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct CrawlerOptions {
  int workers = 3;          // seed 003: Pool(3) for the page fetches
  int servers = 4;          // HTTP server processes (requests answered at once)
  double latency = 0.5;     // seconds the site takes to answer (random 0.5..1.5 x this)
  std::string start = "/index.html";
};

// A fetched page, as a pool task returns it to the main process.
struct FetchedPage {
  std::string path;
  std::string body;
  pid_t fetched_by = 0;
  double seconds = 0;
};

// What a fetch task needs: a task is a plain function, so the port travels
// with each call.
using FetchArgs = std::tuple<std::uint16_t, std::string, double>;  // port, path, timeout

}  // namespace
}  // namespace mpdemo

// How a FetchedPage travels from a worker to the main process.
template <>
struct mp::Codec<mpdemo::FetchedPage> {
  static void encode(const mpdemo::FetchedPage& p, std::string& out) {
    Codec<std::string>::encode(p.path, out);
    Codec<std::string>::encode(p.body, out);
    Codec<pid_t>::encode(p.fetched_by, out);
    Codec<double>::encode(p.seconds, out);
  }
  static mpdemo::FetchedPage decode(std::string_view& in) {
    mpdemo::FetchedPage p;
    p.path = Codec<std::string>::decode(in);
    p.body = Codec<std::string>::decode(in);
    p.fetched_by = Codec<pid_t>::decode(in);
    p.seconds = Codec<double>::decode(in);
    return p;
  }
};

namespace mpdemo {
namespace {

// How a failed fetch names the site's answer, so that error_callback can tell
// the student "page not found (404)" instead of a C++ exception's type.
constexpr const char* kHttpStatusMark = "HTTP status ";

// The HTTP status in a failed fetch's error, or 0 when the fetch failed
// otherwise (its worker died, the site did not answer).
int http_status_of(const std::string& error) {
  const auto at = error.rfind(kHttpStatusMark);
  if (at == std::string::npos) return 0;
  return std::atoi(error.c_str() + at + std::char_traits<char>::length(kHttpStatusMark));
}

// The pool task (seed 003's get_page): runs in a worker, only fetches. A page
// that is not there fails the task, and the failure reaches error_callback.
FetchedPage fetch_page(std::uint16_t port, std::string path, double timeout) {
  mp::events::emit("crawl.fetching", {{"path", path}, {"span_begin", "crawl.fetching"}});
  const double start = mp::monotonic_seconds();
  try {
    HttpResponse r = http_get(port, path, timeout);
    if (r.status != 200) throw std::runtime_error(kHttpStatusMark + std::to_string(r.status));
    FetchedPage page{path, std::move(r.body), ::getpid(), mp::monotonic_seconds() - start};
    mp::events::emit("crawl.fetched",
                     {{"path", path}, {"bytes", page.body.size()}, {"seconds", page.seconds}, {"span_end", "crawl.fetching"},
                      {"flow_out", path}});
    return page;
  } catch (...) {
    // The worker lives on after a failed task: its fetch is over all the same.
    if (mp::events::tracing()) mp::events::emit("trace.span", {{"span_end", "crawl.fetching"}});
    throw;
  }
}

// Title and links of a page (seed 003's parse_page used a regex, so does this).
struct ParsedPage {
  std::string title;
  std::vector<std::string> hrefs;
};

ParsedPage parse_html(const std::string& html) {
  ParsedPage p;
  const std::regex title_re("<title>([^<]*)</title>", std::regex::icase);
  const std::regex href_re("<a\\s[^>]*href=\"([^\"]*)\"", std::regex::icase);
  std::smatch m;
  if (std::regex_search(html, m, title_re)) p.title = m[1];
  for (auto it = std::sregex_iterator(html.begin(), html.end(), href_re); it != std::sregex_iterator(); ++it)
    p.hrefs.push_back((*it)[1]);
  return p;
}

// Shared by the main thread (which submits fetches) and the pool's callback
// thread (which parses). `mutex` guards every field.
struct CrawlState {
  std::mutex mutex;
  std::condition_variable changed;   // a callback ran: new links, or one fetch less outstanding
  std::deque<std::string> frontier;  // links found and not submitted yet
  std::set<std::string> seen;        // every path ever queued: each is fetched once
  std::map<std::string, int> parsed; // path -> times the callback parsed it
  std::map<std::string, int> failed; // path -> times error_callback reported it
  std::map<std::string, int> lost;   // path -> fetches lost with a worker that died running them
  int outstanding = 0;               // submitted, no callback yet
  std::set<pid_t> callback_pids;     // where callbacks ran
  std::set<pid_t> fetch_pids;        // where fetches ran
};

// The callback (seed 003's parse_page): runs in the main process, on the
// pool's callback thread, with the task's result. It only parses and
// records; the main thread submits the new links, so a callback never
// blocks the pool.
void on_page(CrawlState& st, const Context& ctx, std::uint16_t port, const FetchedPage& page) {
  ParsedPage parsed = parse_html(page.body);
  std::vector<std::string> fresh;
  std::lock_guard lock(st.mutex);
  for (const auto& href : parsed.hrefs) {
    std::string link = local_link(href, port);
    if (!link.empty() && st.seen.insert(link).second) {
      fresh.push_back(link);
      st.frontier.push_back(link);
    }
  }
  ++st.parsed[page.path];
  st.callback_pids.insert(::getpid());
  st.fetch_pids.insert(page.fetched_by);
  --st.outstanding;
  ctx.emit("crawl.parsed", {{"path", page.path}, {"title", parsed.title}, {"links", parsed.hrefs.size()},
                            {"bytes", page.body.size()}, {"worker", page.fetched_by}, {"new", fresh},
                            {"flow_in", page.path}});
  st.changed.notify_all();
}

// A fetch that failed because its worker died (killed while running it; the
// pool says so in the error and starts a replacement) says nothing about the
// page: it goes back to the frontier, once. Any other failure is the page's.
bool lost_with_its_worker(const mp::RemoteError& e) {
  return std::string_view(e.what()).find(" while running the task") != std::string_view::npos;
}

void on_error(CrawlState& st, const Context& ctx, const std::string& path, const mp::RemoteError& e) {
  std::lock_guard lock(st.mutex);
  st.callback_pids.insert(::getpid());
  --st.outstanding;
  if (lost_with_its_worker(e) && st.lost[path]++ == 0) {
    st.frontier.push_back(path);
    ctx.emit("crawl.fetch_lost", {{"path", path}, {"error", e.what()}});
  } else {
    ++st.failed[path];
    const int status = http_status_of(e.what());
    ctx.emit(status == 404 ? "crawl.page_not_found" : status != 0 ? "crawl.http_error" : "crawl.fetch_failed",
             {{"path", path}, {"status", status}, {"error", e.what()}});
  }
  st.changed.notify_all();
}

// Every page of the site: the crawl should find them all from the start page.
std::set<std::string> site_pages() {
  std::set<std::string> pages;
  for (std::string_view p : mpdata::paths())
    if (p.rfind("pages/", 0) == 0) pages.insert("/" + std::string(p.substr(6)));
  return pages;
}

Summary run_crawler(const CrawlerOptions& o, Context& ctx) {
  if (o.start.empty() || o.start[0] != '/') throw UsageError("crawler.start_not_a_path", {{"start", o.start}});
  const std::set<std::string> site = site_pages();
  const pid_t main_pid = ::getpid();

  PageServer server(ctx, o.servers, o.latency);
  ctx.emit("crawl.setup", {{"port", server.port()}, {"servers", o.servers}, {"workers", o.workers},
                           {"latency", ctx.scaled(o.latency)}, {"pages", site.size()}, {"main", main_pid}});

  CrawlState st;
  st.seen.insert(o.start);
  st.frontier.push_back(o.start);
  const double fetch_timeout = *ctx.timeout(o.latency * 4 + 5, 5.0);
  // The whole crawl is bounded: a page that never comes must fail the run, not hang it.
  const mp::Deadline deadline(ctx.timeout(o.latency * 3 * (static_cast<double>(site.size()) + 5) + 10, 15.0));
  const double started = mp::monotonic_seconds();
  bool timed_out = false;
  int submitted = 0;
  {
    mp::Pool pool(o.workers);
    // Every Process started here takes the next number, the HttpServers
    // first, as Python's process counter does: say so, or "PoolWorker-5"
    // in a pool of 3 looks like a mistake.
    ctx.emit("crawl.pool_ready", {{"workers", o.workers}, {"pids", pool.worker_pids()}, {"servers", o.servers},
                                  {"first", o.servers + 1}, {"last", o.servers + o.workers}});
    std::unique_lock lock(st.mutex);
    for (;;) {
      auto ready = [&] { return !st.frontier.empty() || st.outstanding == 0; };
      if (!st.changed.wait_for(lock, std::chrono::duration<double>(deadline.remaining().value_or(0)), ready)) {
        timed_out = true;
        break;
      }
      if (st.frontier.empty()) break;  // nothing queued, nothing on the way: the site is read
      std::vector<std::string> batch(st.frontier.begin(), st.frontier.end());
      st.frontier.clear();
      st.outstanding += static_cast<int>(batch.size());
      lock.unlock();  // callbacks take the lock; submitting must not hold it
      for (const auto& path : batch) {
        pool.apply_async(
            fetch_page, FetchArgs{server.port(), path, fetch_timeout},
            [&st, &ctx, port = server.port()](const FetchedPage& page) { on_page(st, ctx, port, page); },
            [&st, &ctx, path](const mp::RemoteError& e) { on_error(st, ctx, path, e); });
      }
      submitted += static_cast<int>(batch.size());
      ctx.emit("crawl.submitted", {{"paths", batch}, {"count", batch.size()}});
      lock.lock();
    }
    lock.unlock();
    if (timed_out) {
      ctx.emit("crawl.timed_out", {{"outstanding", st.outstanding}});
      pool.terminate();
    } else {
      pool.close();
    }
    pool.join();
  }
  const double seconds = mp::monotonic_seconds() - started;
  server.stop();

  int lost_fetches = 0;
  for (const auto& [path, n] : st.lost) lost_fetches += n;
  // Pages parsed exactly once, links that failed exactly once.
  int parsed_once = 0, parsed_twice = 0, failed_once = 0;
  json missing = json::array();
  for (const auto& page : site) {
    auto it = st.parsed.find(page);
    if (it == st.parsed.end()) missing.push_back(page);
    else if (it->second == 1) ++parsed_once;
  }
  for (const auto& [path, n] : st.parsed) parsed_twice += n > 1 ? 1 : 0;
  std::set<std::string> broken;  // links the crawl followed that the site does not have
  for (const auto& path : st.seen)
    if (!site.count(path)) broken.insert(path);
  for (const auto& path : broken) failed_once += st.failed.count(path) && st.failed.at(path) == 1 ? 1 : 0;
  const bool callbacks_in_main = st.callback_pids == std::set<pid_t>{main_pid};
  const bool fetched_elsewhere = !st.fetch_pids.empty() && !st.fetch_pids.count(main_pid);
  const double serial_estimate = ctx.scaled(o.latency) * static_cast<double>(submitted);

  ctx.emit("crawl.done", {{"pages", st.parsed.size()}, {"failed", st.failed.size()}, {"seconds", seconds},
                          {"serial", serial_estimate}, {"workers", o.workers}});

  Summary s;
  s.figures = {{"pages", site.size()},
               {"parsed", st.parsed.size()},
               {"fetches", submitted},
               {"broken_links", broken.size()},
               {"workers", o.workers},
               {"fetch_pids", st.fetch_pids.size()},
               {"main_pid", main_pid},
               {"crawl_seconds", std::round(seconds * 1000) / 1000},
               {"serial_estimate_seconds", std::round(serial_estimate * 1000) / 1000},
               {"server_failures", server.failures()},
               {"fetches_lost_with_a_worker", lost_fetches},
               {"missing", missing}};
  s.check("every_page_parsed_once", parsed_once == static_cast<int>(site.size()) && parsed_twice == 0 && !timed_out,
          parsed_once, site.size());
  s.check("parsed_in_main_process", callbacks_in_main, json(st.callback_pids), json::array({main_pid}));
  s.check("fetched_in_workers", fetched_elsewhere, st.fetch_pids.size(), "1.." + std::to_string(o.workers));
  s.check("broken_links_reported_once", failed_once == static_cast<int>(broken.size()), failed_once, broken.size());
  return s;
}

}  // namespace

RunFunction setup_crawler(CLI::App& app) {
  auto o = std::make_shared<CrawlerOptions>();
  add_whole(app, "--workers", o->workers, "pool processes that fetch pages", 1, 64);
  add_whole(app, "--servers", o->servers, "HTTP server processes (requests answered at once)", 1, 64);
  add_seconds(app, "--latency", o->latency, "seconds the site takes to answer (random 0.5..1.5 x this)");
  app.add_option("--start", o->start, "the page the crawl starts from")->capture_default_str();
  return [o](Context& ctx) { return run_crawler(*o, ctx); };
}

}  // namespace mpdemo
