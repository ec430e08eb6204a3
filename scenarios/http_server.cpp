#include "http_server.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "mp/errors.hpp"
#include "mp/events.hpp"
#include "mpdata/embedded.hpp"

namespace mpdemo {
namespace {

constexpr std::size_t kMaxRequestHead = 8192;

// "GET /x.html HTTP/1.0\r\n..." -> "/x.html"; "" when it is not a GET.
std::string requested_path(const std::string& head) {
  std::istringstream line(head.substr(0, head.find("\r\n")));
  std::string method, path, version;
  line >> method >> path >> version;
  if (method != "GET" || path.empty() || path[0] != '/' || version.rfind("HTTP/", 0) != 0) return "";
  return path;
}

// The embedded page for a request path, or nullopt. ".." never reaches a
// file: the lookup is in a table of names, not in a file system.
std::optional<std::string_view> page_for(std::string path) {
  if (path == "/") path = "/index.html";
  return mpdata::find("pages" + path);
}

std::string response(int status, const char* reason, std::string_view body) {
  std::string out = "HTTP/1.0 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += body;
  return out;
}

// Answers one request on `conn` after the simulated network delay.
void serve_request(TcpStream& conn, const Context& ctx, Rng& rng, double latency) {
  const mp::Timeout io = ctx.timeout(5, 5.0);
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    std::string part = conn.recv_some(1024, io);
    if (part.empty() || head.size() > kMaxRequestHead) break;
    head += part;
  }
  const std::string path = requested_path(head);
  const double delay = latency * rng.uniform(0.5, 1.5);
  ctx.sleep(delay);
  if (path.empty()) {
    conn.send_all(response(400, "Bad Request", "<h1>400 Bad Request</h1>\n"), io);
    ctx.emit("http.served", {{"path", "?"}, {"status", 400}, {"delay", ctx.scaled(delay)}});
  } else if (auto page = page_for(path)) {
    conn.send_all(response(200, "OK", *page), io);
    ctx.emit("http.served", {{"path", path}, {"status", 200}, {"delay", ctx.scaled(delay)}});
  } else {
    conn.send_all(response(404, "Not Found", "<h1>404 Not Found</h1>\n"), io);
    ctx.emit("http.served", {{"path", path}, {"status", 404}, {"delay", ctx.scaled(delay)}});
  }
}

// One server process: accept and answer until the stop pipe says stop.
void server_loop(const Context& ctx, int listen_fd, int stop_fd, int index, double latency) {
  Rng rng = ctx.rng(static_cast<std::uint64_t>(1000 + index));
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      mp::throw_os_error("poll");
    }
    if (fds[1].revents != 0) return;  // EOF on the stop pipe: the main process closed it (or died)
    if (!(fds[0].revents & POLLIN)) continue;
    TcpStream conn;
    try {
      conn = TcpListener::accept_from(listen_fd, 0.0);
    } catch (const mp::TimeoutError&) {
      continue;  // another server process took this connection
    }
    try {
      serve_request(conn, ctx, rng, latency);
    } catch (const mp::Error& e) {
      ctx.emit("http.request_failed", {{"error", e.what()}});  // one bad client must not stop the server
    }
  }
}

}  // namespace

HttpResponse http_get(std::uint16_t port, const std::string& path, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  TcpStream conn = TcpStream::connect(port, deadline.remaining());
  conn.send_all("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUser-Agent: mpdemo-crawler\r\n\r\n",
                deadline.remaining());
  const std::string raw = conn.recv_until_eof(deadline.remaining());
  const auto end_of_head = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end_of_head == std::string::npos)
    throw mp::ValueError("GET " + path + ": the reply is not HTTP");
  HttpResponse r;
  std::istringstream status_line(raw.substr(0, raw.find("\r\n")));
  std::string version;
  status_line >> version >> r.status;
  std::getline(status_line >> std::ws, r.reason);
  r.body = raw.substr(end_of_head + 4);
  return r;
}

std::string local_link(const std::string& href, std::uint16_t port) {
  std::string path = href;
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  if (path.rfind(origin, 0) == 0) path = path.substr(origin.size());
  if (path.empty() || path[0] != '/' || path.rfind("//", 0) == 0) return "";
  if (auto cut = path.find_first_of("#?"); cut != std::string::npos) path.resize(cut);
  return path;
}

PageServer::PageServer(const Context& ctx, int processes, double latency) : listener_(64) {
  auto [r, w] = mp::make_pipe();
  stop_read_ = std::move(r);
  stop_write_ = std::move(w);
  processes_.reserve(static_cast<std::size_t>(processes));
  const int listen_fd = listener_.fd(), stop_fd = stop_read_.get();
  for (int i = 1; i <= processes; ++i) {
    processes_.emplace_back(
        [this, &ctx, listen_fd, stop_fd, i, latency] {
          // Close this process's copy of the write end: while any copy is
          // open, the stop pipe can never report EOF.
          stop_write_.reset();
          server_loop(ctx, listen_fd, stop_fd, i, latency);
        },
        "HttpServer-" + std::to_string(i));
    processes_.back().start();
  }
}

PageServer::~PageServer() { stop(); }

void PageServer::stop() noexcept {
  stop_write_.reset();
  for (auto& p : processes_) {
    try {
      if (!p.join(5.0)) {
        p.kill();
        p.join(1.0);
      }
      if (p.exitcode().value_or(-1) != 0) ++failures_;
    } catch (const mp::Error&) {
      ++failures_;
    }
  }
  processes_.clear();
}

}  // namespace mpdemo
