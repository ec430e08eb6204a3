// A tiny HTTP/1.0 server over the pages embedded from data/pages, and the
// matching client, for the crawler scenario: the crawl never leaves the
// machine (127.0.0.1, a port the kernel picks).
//
// One request per connection, as in HTTP/1.0 without keep-alive: the server
// answers and closes; the client reads until EOF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loopback_tcp.hpp"
#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "scenario.hpp"

namespace mpdemo {

struct HttpResponse {
  int status = 0;      // 200, 404, ...
  std::string reason;  // "OK", "Not Found", ...
  std::string body;
};

// GET http://127.0.0.1:<port><path>. Throws mp::Error on a network failure,
// a timeout or a reply that is not HTTP; a 404 is a response, not an error.
HttpResponse http_get(std::uint16_t port, const std::string& path, mp::Timeout timeout);

// Server processes that answer GET /<name> with data/pages/<name> (and GET /
// with index.html). They all accept from one listening socket, so that many
// requests are answered at once. Each waits a random 0.5..1.5 x `latency`
// seconds (scaled by --speed) before it answers, like a distant site.
class PageServer {
 public:
  PageServer(const Context& ctx, int processes, double latency);
  // Stops the server processes (see stop()).
  ~PageServer();
  PageServer(const PageServer&) = delete;
  PageServer& operator=(const PageServer&) = delete;

  std::uint16_t port() const noexcept { return listener_.port(); }

  // Closes the stop pipe: every server process sees EOF on it, finishes the
  // request in hand and leaves. Returns once all are joined (killed after a
  // few seconds if one is stuck). Idempotent.
  void stop() noexcept;
  // Server processes that ended with an exit code other than 0.
  int failures() const noexcept { return failures_; }

 private:
  TcpListener listener_;
  mp::UniqueFd stop_read_;   // server processes poll it beside the listener
  mp::UniqueFd stop_write_;  // held by the main process only; closing it says "stop"
  std::vector<mp::Process> processes_;
  int failures_ = 0;
};

// The path part of an href the crawler may follow ("/x.html"), or "" for
// anything else (other hosts, fragments, mail links).
std::string local_link(const std::string& href, std::uint16_t port);

}  // namespace mpdemo
