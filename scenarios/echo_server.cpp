// echo-server: one TCP server, many clients at once (seed 003's socket
// exercise: a process per connection, then a Pool(4) shared by six clients).
//
// The server listens on 127.0.0.1, on a port the kernel picks. Built-in
// client processes connect one after another, send a few lines with a pause
// after each reply, and check that every line comes back upper-cased.
//   --mode process  the main process accepts; each connection gets a handler
//                   process of its own, so every client is served at once.
//   --mode pool     a Pool of --workers processes. Each task accepts one
//                   connection from the listening socket the workers
//                   inherited and serves it to the end. With 4 workers and 6
//                   clients, two clients are connected (the kernel completed
//                   their handshake and queued them) but nobody answers them
//                   until a worker is free.
// A counter in shared memory measures how many connections are served at once.
//
// Try:  mpdemo echo-server                   (6 clients, 6 handler processes)
//       mpdemo echo-server --mode pool       (at most 4 at once: watch clients 5 and 6 wait)
//       mpdemo echo-server --mode pool --workers 2 --clients 5
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "loopback_tcp.hpp"
#include "mp/events.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "proc_table.hpp"
#include "serving_table.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct EchoOptions {
  std::string mode = "process";  // process | pool
  int clients = 6;               // seed 003 opens six clients against Pool(4)
  int workers = 4;               // seed 003: Pool(4)
  int messages = 3;              // lines each client sends
  double think = 0.5;            // a client pauses this long after each reply
  double stagger = 0.1;          // client i connects (i - 1) * stagger after it starts, so they arrive in order
};

// True while `pid` runs: it has a /proc entry and is not a zombie.
bool server_alive(pid_t pid) {
  const auto stat = read_proc_stat(pid);
  return stat && stat->state != 'Z' && stat->state != 'X';
}

// What one client saw, written by that client into shared memory.
struct ClientReport {
  int replies_ok;
  int replies_wrong;
  double first_reply_wait;  // seconds from sending the first line to its reply
  bool finished;
};

// What a pool task reports for the connection it served.
struct Served {
  pid_t pid;
  int messages;
};

// A pool task's arguments. A task is a plain function: it cannot capture,
// so what it needs travels as bytes. The listening fd and the stats pointer
// mean the same in every worker because both were made before the pool forked.
struct ServeTask {
  int listen_fd;
  double accept_timeout;
  double idle_timeout;
  ServingTable* stats;
};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Counts this process as serving for as long as it lives.
class ServingSlot {
 public:
  explicit ServingSlot(ServingTable& stats) : stats_(stats), entry_(stats.next.fetch_add(1) % ServingTable::kEntries) {
    stats_.serving_pid[entry_].store(::getpid());
    now_ = count_servers(stats_, ::getpid(), server_alive);
    int seen = stats_.max_serving.load();
    while (now_ > seen && !stats_.max_serving.compare_exchange_weak(seen, now_)) {
    }
  }
  ~ServingSlot() { stats_.serving_pid[entry_].store(0); }
  ServingSlot(const ServingSlot&) = delete;
  ServingSlot& operator=(const ServingSlot&) = delete;
  int now() const { return now_; }

 private:
  ServingTable& stats_;
  int entry_;
  int now_ = 0;
};

// Serves one connection until the client hangs up: whatever bytes arrive go
// back upper-cased (TCP carries a stream of bytes, not messages: the server
// echoes each chunk as it comes). Emits through mp::events directly because a
// pool task has no Context; Context::emit is the same call.
int serve_connection(TcpStream& conn, mp::Timeout idle, ServingTable& stats) {
  const std::uint16_t peer = conn.peer_port();
  ServingSlot slot(stats);
  mp::events::emit("echo.serving", {{"peer_port", peer}, {"serving", slot.now()}, {"span_begin", "echo.serving"}});
  int messages = 0;
  for (;;) {
    std::string data = conn.recv_some(1024, idle);
    if (data.empty()) break;  // EOF: the client closed its end
    ++messages;
    std::string reply = upper(data);
    // The arrow on the timeline follows the text to the client that sent it.
    mp::events::emit("echo.echoed", {{"text", data}, {"reply", reply}, {"flow_out", data}});
    conn.send_all(reply, idle);
  }
  conn.close();
  mp::events::emit("echo.closed", {{"peer_port", peer}, {"messages", messages}, {"span_end", "echo.serving"}});
  return messages;
}

// The pool task: accept the next waiting connection, serve it to the end.
Served serve_one(ServeTask task) {
  TcpStream conn = TcpListener::accept_from(task.listen_fd, task.accept_timeout);
  int messages = serve_connection(conn, task.idle_timeout, *task.stats);
  return {::getpid(), messages};
}

void client(const EchoOptions& o, const Context& ctx, std::uint16_t port, int index, ClientReport& report,
            mp::Timeout reply_timeout) {
  ctx.sleep(o.stagger * (index - 1));
  TcpStream conn = TcpStream::connect(port, ctx.timeout(5, 5));
  ctx.emit("echo.client_connected", {{"client", index}, {"local_port", conn.local_port()}});
  for (int k = 1; k <= o.messages; ++k) {
    const std::string text = "hello from client " + std::to_string(index) + ", line " + std::to_string(k);
    const double sent_at = mp::monotonic_seconds();
    ctx.span("echo.waiting_reply");
    conn.send_all(text, reply_timeout);
    // With a pool, a client beyond the workers' number waits for one of them
    // to finish another conversation before its connection is even accepted:
    // say so when it starts waiting, not only when it is served. A served
    // client's reply comes in microseconds; a quarter of a conversation
    // without one is the wait for a free worker.
    if (k == 1 && o.mode == "pool") {
      const double patience = std::max(0.02, ctx.scaled(o.think * o.messages) / 4);
      pollfd ready{conn.fd(), POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(patience * 1000)) == 0)
        ctx.emit("echo.client_waiting", {{"client", index}, {"after", patience}, {"workers", o.workers}});
    }
    // The reply has the same length: upper-casing ASCII keeps every byte.
    const std::string reply = conn.recv_exact(text.size(), reply_timeout);
    const double waited = mp::monotonic_seconds() - sent_at;
    if (k == 1) report.first_reply_wait = waited;
    if (reply == upper(text)) {
      ++report.replies_ok;
      ctx.emit("echo.client_reply", {{"client", index},
                                     {"reply", reply},
                                     {"waited", waited},
                                     {"span_end", "echo.waiting_reply"},
                                     {"flow_in", text}});
    } else {
      ++report.replies_wrong;
      ctx.emit("echo.client_wrong_reply",
               {{"client", index}, {"sent", text}, {"reply", reply}, {"span_end", "echo.waiting_reply"}});
    }
    ctx.sleep(o.think);
  }
  conn.close();  // the server's recv now returns EOF: the conversation is over
  report.finished = true;
  ctx.emit("echo.client_done", {{"client", index}});
}

// Timeouts that bound every wait: generous, so only a real failure hits them.
struct EchoTimeouts {
  mp::Timeout accept;
  mp::Timeout idle;
  mp::Timeout reply;
};

// --mode process: accept, hand the connection to a new process, accept again.
std::set<pid_t> serve_with_processes(const EchoOptions& o, Context& ctx, TcpListener& listener, ServingTable& stats,
                                     const EchoTimeouts& t, int& failed) {
  std::vector<mp::Process> handlers;
  handlers.reserve(static_cast<std::size_t>(o.clients));
  std::set<pid_t> pids;
  for (int i = 1; i <= o.clients; ++i) {
    auto conn = std::make_shared<TcpStream>(listener.accept(t.accept));
    const std::uint16_t peer = conn->peer_port();
    handlers.emplace_back(
        [&listener, &stats, conn, &t] {
          listener.close();  // a handler only talks on its connection; it has no business holding the port
          serve_connection(*conn, t.idle, stats);
        },
        "Handler-" + std::to_string(i));
    handlers.back().start();
    // The handler has its own copy of the connection. Ours would keep the
    // connection alive after the handler closes it, and cost one fd per client.
    conn->close();
    pids.insert(handlers.back().pid());
    ctx.emit("echo.handed_off", {{"peer_port", peer}, {"handler", handlers.back().pid()}});
  }
  for (auto& h : handlers) {
    if (!h.join(t.reply)) h.kill();
    if (h.exitcode().value_or(-1) != 0) ++failed;
  }
  return pids;
}

// --mode pool: the workers accept from the inherited listening socket.
std::set<pid_t> serve_with_pool(Context& ctx, mp::Pool& pool, std::vector<mp::AsyncResult<Served>>& tasks,
                                const EchoTimeouts& t, int& failed) {
  std::set<pid_t> pids;
  for (auto& task : tasks) {
    try {
      pids.insert(task.get(t.reply).pid);
    } catch (const mp::Error& e) {
      ++failed;
      ctx.emit("echo.task_failed", {{"error", e.what()}});
    }
  }
  pool.close();  // no more tasks: the workers leave once the queue is empty
  pool.join();
  return pids;
}

Summary run_echo_server(const EchoOptions& o, Context& ctx) {
  const bool pool_mode = o.mode == "pool";
  const EchoTimeouts timeouts{ctx.timeout(o.stagger * o.clients + 10, 10.0), ctx.timeout(o.think * 4 + 5, 5.0),
                              ctx.timeout((o.think * o.messages + 5) * o.clients, 10.0)};

  // The listening socket comes first: every process forked after it (pool
  // workers, handlers) inherits it. The backlog holds the clients nobody
  // has accepted yet (seed 003: listen(5)).
  TcpListener listener(std::max(5, o.clients));
  mp::Shared<ServingTable> stats;
  mp::SharedMapping reports_memory(sizeof(ClientReport) * static_cast<std::size_t>(o.clients));
  auto* reports = static_cast<ClientReport*>(reports_memory.data());

  ctx.emit("echo.setup", {{"mode", o.mode}, {"port", listener.port()}, {"clients", o.clients},
                          {"workers", o.workers}, {"messages", o.messages}});

  // Pool mode: the pool exists before the clients, like a server that is up
  // before anyone calls. One task per expected connection.
  std::unique_ptr<mp::Pool> pool;
  std::vector<mp::AsyncResult<Served>> tasks;
  if (pool_mode) {
    pool = std::make_unique<mp::Pool>(o.workers);
    const ServeTask task{listener.fd(), *timeouts.accept, *timeouts.idle, stats.get()};
    for (int i = 0; i < o.clients; ++i) tasks.push_back(pool->apply_async(serve_one, task));
    ctx.emit("echo.pool_ready", {{"workers", o.workers}, {"tasks", o.clients}, {"pids", pool->worker_pids()}});
  }

  std::vector<mp::Process> clients;
  clients.reserve(static_cast<std::size_t>(o.clients));
  for (int i = 1; i <= o.clients; ++i) {
    clients.emplace_back([&, i] { client(o, ctx, listener.port(), i, reports[i - 1], timeouts.reply); },
                         "Client-" + std::to_string(i));
    clients.back().start();
  }

  int server_failures = 0;
  std::set<pid_t> server_pids = pool_mode ? serve_with_pool(ctx, *pool, tasks, timeouts, server_failures)
                                          : serve_with_processes(o, ctx, listener, *stats, timeouts, server_failures);
  int clients_failed = 0;
  for (auto& c : clients) {
    if (!c.join(timeouts.reply)) c.kill();
    if (c.exitcode().value_or(-1) != 0) ++clients_failed;
  }

  int replies_ok = 0, finished = 0;
  json waits = json::array();
  json waited = json::array();  // clients whose first reply took at least half a conversation
  const double slow = ctx.scaled(o.think * o.messages) / 2;
  for (int i = 0; i < o.clients; ++i) {
    replies_ok += reports[i].replies_ok;
    finished += reports[i].finished ? 1 : 0;
    waits.push_back(std::round(reports[i].first_reply_wait * 1000) / 1000);
    if (slow > 0 && reports[i].first_reply_wait >= slow) waited.push_back(i + 1);
  }
  const int max_serving = stats->max_serving.load();
  const int expected_replies = o.clients * o.messages;

  if (pool_mode) {
    ctx.emit("echo.verdict_pool", {{"max", max_serving}, {"workers", o.workers}, {"pids", server_pids.size()},
                                   {"waited", waited}});
  } else {
    ctx.emit("echo.verdict_process", {{"max", max_serving}, {"clients", o.clients}, {"pids", server_pids.size()}});
  }

  Summary s;
  s.figures = {{"mode", o.mode},
               {"port", listener.port()},
               {"clients", o.clients},
               {"messages", o.messages},
               {"replies_ok", replies_ok},
               {"max_served_at_once", max_serving},
               {"server_pids", server_pids.size()},
               {"first_reply_waits", waits},
               {"clients_that_waited", waited},
               {"server_failures", server_failures},
               {"clients_failed", clients_failed}};
  if (pool_mode) s.figures["workers"] = o.workers;
  s.check("replies_correct", replies_ok == expected_replies, replies_ok, expected_replies);
  s.check("clients_finished", finished == o.clients && clients_failed == 0, finished, o.clients);
  if (pool_mode) {
    s.check("at_most_workers_at_once", max_serving <= o.workers, max_serving, "<= " + std::to_string(o.workers));
    s.check("served_by_pool_workers",
            server_failures == 0 && static_cast<int>(server_pids.size()) <= o.workers, server_pids.size(),
            "<= " + std::to_string(o.workers));
  } else {
    s.check("one_process_per_connection", server_failures == 0 && static_cast<int>(server_pids.size()) == o.clients,
            server_pids.size(), o.clients);
  }
  return s;
}

}  // namespace

RunFunction setup_echo_server(CLI::App& app) {
  auto o = std::make_shared<EchoOptions>();
  app.add_option("--mode", o->mode, "process: a process per connection; pool: a Pool of --workers serves them")
      ->capture_default_str()
      ->check(CLI::IsMember({"process", "pool"}));
  add_whole(app, "--clients", o->clients, "client processes", 1, 200);
  add_whole(app, "--workers", o->workers, "pool size (--mode pool)", 1, 64);
  add_whole(app, "--messages", o->messages, "lines each client sends", 1, 1000);
  add_seconds(app, "--think", o->think, "a client pauses S seconds after each reply");
  add_seconds(app, "--stagger", o->stagger, "client i connects (i-1)*S seconds after the first");
  return [o](Context& ctx) { return run_echo_server(*o, ctx); };
}

}  // namespace mpdemo
