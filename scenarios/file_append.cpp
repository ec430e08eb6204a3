// file-append: ten processes append to one file (seed 003's "many processes
// write one file").
//
// Each writer opens the file on its own, as Python's open(path, "a") does:
// O_APPEND, cursor moved to the end. It reports that cursor, writes its
// record with one write(2) and reports the cursor again. By default, as in
// the tutorial, nothing pauses between open and write, and its records are
// 7 bytes long (seed 003 writes '姑娘' and a digit): the writers start a
// little after each other, each opens after the one before has written, and
// the cursors read 0, 7, 14 ... 63.
//
// --delay-max S makes each writer wait a random 0..S seconds between open
// and write: the others open the file meanwhile and see the same end, so
// the cursor seen at open is stale by the time of the write. Yet no record
// lands on another: with O_APPEND the kernel moves to the end of the file
// and writes in one step. At the end the parent reads the file back and
// checks that every record is there, once and whole.
//
// --no-append shows the broken variant: open for writing, seek to the end,
// wait, write. Now the stale cursor is used, and records overwrite each
// other. It needs the writers to overlap, so its pause is 0.5 s unless
// --delay-max says otherwise.
//
// Try:  mpdemo file-append                  (10 records, cursors 0, 7 ... 63)
//       mpdemo file-append --delay-max 0.5  (every cursor stale, every record whole)
//       mpdemo file-append --no-append      (records lost)
//       mpdemo file-append --file log.txt --keep-file
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

struct FileAppendOptions {
  int writers = 10;         // seed 003: range(10)
  std::string file;         // empty: a fresh temporary file in the current directory
  bool keep_file = false;
  bool no_append = false;
  // Between open and write, a random 0..S seconds. Seed 003 pauses nowhere;
  // --no-append needs the writers to overlap (see resolved()).
  double delay_max = 0.0;
  bool delay_given = false;  // --delay-max on the command line
  int record_bytes = 7;      // each record's length, newline included (seed 003: '姑娘N', 7 bytes in UTF-8)

  // The options as the run uses them: --no-append without --delay-max
  // waits up to 0.5 s, or the writers would rarely overlap and nothing
  // would be overwritten.
  FileAppendOptions resolved() const {
    FileAppendOptions r = *this;
    if (no_append && !delay_given) r.delay_max = 0.5;
    return r;
  }
};

// A record as short as seed 003's holds only its writer's number ("W-0003\n");
// from this length on it also holds the pid ("Writer-03 pid 12345 ...\n").
constexpr int kRecordWithPid = 32;

// Digits of a writer's number in a short record of `bytes` ("W-", digits, newline).
int short_record_digits(int bytes) { return bytes - 3; }
int digits_of(int n) { return n < 10 ? 1 : 1 + digits_of(n / 10); }

// Where one writer's cursor was, in shared memory. Written only by that
// writer; read by the parent after joining it.
struct WriterReport {
  long long opened_at = -1;  // cursor right after open (the end of the file then)
  long long after = -1;      // cursor right after the write
};

// The record of writer `index` (1-based), exactly `bytes` long with its
// newline: "Writer-03 pid 12345 ........\n", or "W-0003\n" when short. The
// parent rebuilds it to tell a whole record from a torn or overwritten one.
std::string record_text(int index, pid_t pid, int bytes) {
  if (bytes < kRecordWithPid) {
    char text[32];
    std::snprintf(text, sizeof text, "W-%0*d\n", short_record_digits(bytes), index);
    return text;
  }
  char head[64];
  std::snprintf(head, sizeof head, "Writer-%02d pid %d ", index, static_cast<int>(pid));
  std::string text = head;
  if (static_cast<int>(text.size()) + 1 < bytes) text.append(static_cast<std::size_t>(bytes) - text.size() - 1, '.');
  text += '\n';
  return text;
}

void writer(const FileAppendOptions& o, const Context& ctx, const std::string& path, WriterReport& report,
            int index) {
  Rng rng = ctx.rng(static_cast<std::uint64_t>(index));
  const double delay = rng.uniform(0.0, o.delay_max);
  const std::string record = record_text(index, ::getpid(), o.record_bytes);

  // Step points (--order): open (and move to the end), write.
  steps::at(index, "file-append.open");
  const int flags = O_WRONLY | O_CLOEXEC | (o.no_append ? 0 : O_APPEND);
  mp::UniqueFd fd(::open(path.c_str(), flags));
  if (!fd) mp::throw_os_error("open " + path);
  // Python's "a" mode moves to the end at open; so do we, in both modes.
  report.opened_at = ::lseek(fd.get(), 0, SEEK_END);
  ctx.emit("file-append.opened", {{"position", report.opened_at}, {"span_begin", "file-append.open_to_write"}});
  ctx.sleep(delay);  // with a pause, the others open the file now and see the same end
  steps::at(index, o.no_append ? "file-append.write_at" : "file-append.append", {{"offset", report.opened_at}});
  mp::write_all(fd.get(), record.data(), record.size());
  report.after = ::lseek(fd.get(), 0, SEEK_CUR);
  ctx.emit("file-append.wrote", {{"bytes", record.size()},
                                 {"at", report.after - static_cast<long long>(record.size())},
                                 {"position", report.after},
                                 {"opened_at", report.opened_at},
                                 {"span_end", "file-append.open_to_write"}});
  steps::finish(index);
}

// Removes a file when this process ends, however it ends (SIGKILL too): a
// small process forked for the purpose waits on a pipe whose only write end
// we hold, and unlinks the file when the pipe reports EOF. The file must stay
// a real name in the directory while the run lasts (each writer opens it by
// name, as Python's open(path, "a") does), so it cannot be unlinked after
// open; and a leftover found only at the next run would still be a leftover.
// This is the one child of file-append meant to outlive its parent, for the
// few microseconds an unlink takes. It is forked before any writer, touches
// only what was made before the fork, and calls only read, unlink and _exit.
class RemovedWhenWeEnd {
 public:
  explicit RemovedWhenWeEnd(std::string path) : path_(std::move(path)) {
    auto [r, w] = mp::make_pipe();
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) mp::throw_os_error("fork");
    if (pid_ == 0) {
      // A Ctrl-C reaches the whole process group: we must outlive it too.
      for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, SIG_IGN);
      w.reset();  // the only write end left is our parent's: EOF when it ends
      char byte;
      while (::read(r.get(), &byte, 1) < 0 && errno == EINTR) {
      }
      ::unlink(path_.c_str());
      ::_exit(0);
    }
    write_end_ = std::move(w);
  }
  RemovedWhenWeEnd(const RemovedWhenWeEnd&) = delete;
  RemovedWhenWeEnd& operator=(const RemovedWhenWeEnd&) = delete;
  // Our normal end: the remover unlinks the file now and is reaped.
  ~RemovedWhenWeEnd() {
    write_end_.reset();
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

 private:
  std::string path_;
  pid_t pid_ = -1;
  mp::UniqueFd write_end_;
};

// The file we write to. A fresh temporary file is ours and goes away at the
// end (unless --keep-file), even if mpdemo is killed; a named file that
// already existed is the user's and stays, with our records appended after
// its old content.
class TargetFile {
 public:
  explicit TargetFile(const FileAppendOptions& o) : keep_(o.keep_file) {
    if (o.file.empty()) {
      std::string name = "mpdemo-file-append-XXXXXX.txt";
      mp::UniqueFd fd(::mkostemps(name.data(), 4, O_CLOEXEC));
      if (!fd) throw UsageError("file-append.cannot_create_temporary", {{"errno", errno}});
      path_ = name;
      created_ = true;
      if (!keep_) remover_.emplace(path_);
      return;
    }
    path_ = o.file;
    mp::UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd) {
      created_ = true;
      if (!keep_) remover_.emplace(path_);
    } else if (errno == EEXIST) {
      struct stat st {};
      if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw UsageError("file-append.not_regular", {{"path", path_}});
      fd.reset(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) throw UsageError("file-append.cannot_open", {{"path", path_}, {"errno", errno}});
      initial_size_ = st.st_size;
    } else {
      throw UsageError("file-append.cannot_create", {{"path", path_}, {"errno", errno}});
    }
  }
  TargetFile(const TargetFile&) = delete;
  TargetFile& operator=(const TargetFile&) = delete;
  ~TargetFile() {
    if (created_ && !keep_) ::unlink(path_.c_str());  // remover_ then finds it gone
  }

  const std::string& path() const { return path_; }
  long long initial_size() const { return initial_size_; }
  bool removed_at_end() const { return created_ && !keep_; }

  // What the writers added.
  std::string read_new_part() const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw mp::OSError("read " + path_, errno);
    std::ostringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return static_cast<long long>(all.size()) > initial_size_ ? all.substr(static_cast<std::size_t>(initial_size_))
                                                              : std::string();
  }

 private:
  std::string path_;
  bool keep_;
  bool created_ = false;
  long long initial_size_ = 0;
  std::optional<RemovedWhenWeEnd> remover_;  // last: the file exists before it
};

// The cursors seen at open, smallest first, as a student reads them out:
// "0, 7, 14, 21" (the middle cut when there are many).
std::string cursors_text(std::vector<long long> cursors) {
  std::sort(cursors.begin(), cursors.end());
  constexpr std::size_t kShown = 12;
  std::string text;
  for (std::size_t i = 0; i < cursors.size(); ++i) {
    if (cursors.size() > kShown && i == kShown - 2) {
      text += ", …";
      i = cursors.size() - 2;
    }
    text += (text.empty() ? "" : ", ") + std::to_string(cursors[i]);
  }
  return text;
}

Summary run_file_append(const FileAppendOptions& given, Context& ctx) {
  const FileAppendOptions o = given.resolved();
  if (o.record_bytes < kRecordWithPid && digits_of(o.writers) > short_record_digits(o.record_bytes))
    throw UsageError("file-append.record_too_short",
                     {{"bytes", o.record_bytes}, {"writers", o.writers}, {"needed", digits_of(o.writers) + 3}});
  TargetFile target(o);
  ctx.emit(o.no_append ? "file-append.setup_no_append" : "file-append.setup",
           {{"writers", o.writers}, {"file", target.path()}, {"size", target.initial_size()}});

  mp::SharedMapping reports_memory(sizeof(WriterReport) * static_cast<std::size_t>(o.writers));
  auto* reports = static_cast<WriterReport*>(reports_memory.data());
  std::uninitialized_fill_n(reports, o.writers, WriterReport{});

  std::vector<mp::Process> writers;
  writers.reserve(static_cast<std::size_t>(o.writers));
  for (int i = 1; i <= o.writers; ++i)
    writers.emplace_back([&, i] { writer(o, ctx, target.path(), reports[i - 1], i); },
                         "Writer-" + std::to_string(i));
  // The file's size is what the writers' offsets are measured against.
  const auto phase = steps::begin_for(writers, json::object(), [&target] {
    struct stat st{};
    return json{{"bytes", ::stat(target.path().c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : 0LL}};
  });
  for (auto& w : writers) w.start();
  int failed = 0;
  for (auto& w : writers) {
    w.join();
    if (w.exitcode().value_or(1) != 0) ++failed;
  }

  // Read the file back: every line must be exactly one writer's record.
  const std::string content = target.read_new_part();
  std::vector<int> copies(static_cast<std::size_t>(o.writers), 0);
  int torn = 0, lines = 0;
  std::istringstream in(content);
  for (std::string line; std::getline(in, line);) {
    ++lines;
    line += '\n';
    bool matched = false;
    for (int i = 1; i <= o.writers && !matched; ++i) {
      if (line == record_text(i, writers[static_cast<std::size_t>(i - 1)].pid(), o.record_bytes)) {
        ++copies[static_cast<std::size_t>(i - 1)];
        matched = true;
      }
    }
    if (!matched) ++torn;
  }
  int present = 0, duplicated = 0;
  for (int c : copies) {
    present += c > 0 ? 1 : 0;
    duplicated += c > 1 ? 1 : 0;
  }
  const int lost = o.writers - present;
  // Writers whose record did not land where their cursor was at open.
  int stale = 0;
  std::set<long long> landing;
  std::vector<long long> cursors;  // at open, by writer
  for (int i = 0; i < o.writers; ++i) {
    if (reports[i].opened_at >= 0) cursors.push_back(reports[i].opened_at);  // as f.tell() reads it
    if (reports[i].after < 0) continue;
    const long long at = reports[i].after - o.record_bytes;
    landing.insert(at);
    if (at != reports[i].opened_at) ++stale;
  }
  const long long expected_bytes = static_cast<long long>(o.writers) * o.record_bytes;

  if (lost > 0 || torn > 0) {
    ctx.emit("file-append.verdict_lost", {{"present", present}, {"writers", o.writers}, {"lost", lost},
                                          {"torn", torn}, {"bytes", content.size()}, {"expected_bytes", expected_bytes}});
  } else if (stale == 0 && !o.no_append) {
    // The tutorial's picture: each writer opened after the one before had written.
    ctx.emit("file-append.verdict_in_turn", {{"present", present}, {"bytes", content.size()},
                                             {"record_bytes", o.record_bytes}, {"cursors", cursors_text(cursors)}});
  } else {
    ctx.emit("file-append.verdict_ok", {{"present", present}, {"stale", stale}, {"bytes", content.size()}});
  }
  if (!target.removed_at_end()) ctx.emit("file-append.kept", {{"file", target.path()}});

  Summary s;
  s.figures = {{"writers", o.writers},     {"file", target.path()},        {"append", !o.no_append},
               {"records", present},       {"lines", lines},               {"lost", lost},
               {"torn", torn},             {"duplicated", duplicated},     {"stale_cursors", stale},
               {"cursors", cursors_text(cursors)}, {"cursors_at_open", cursors},
               {"delay_max", o.delay_max}, {"record_bytes", o.record_bytes},
               {"bytes", content.size()},  {"expected_bytes", expected_bytes}, {"failed", failed},
               {"kept", !target.removed_at_end()}};
  s.check("writers_finished", failed == 0, failed, 0);
  if (o.no_append) {
    s.check("overwrite_observed", lost > 0, lost, "> 0");
  } else {
    s.check("all_records_present", present == o.writers && duplicated == 0, present, o.writers);
    s.check("records_whole", torn == 0 && static_cast<long long>(content.size()) == expected_bytes, torn, 0);
    s.check("distinct_offsets", static_cast<int>(landing.size()) == o.writers, landing.size(), o.writers);
  }
  return s;
}

}  // namespace

RunFunction setup_file_append(CLI::App& app) {
  auto o = std::make_shared<FileAppendOptions>();
  add_whole(app, "--writers", o->writers, "number of writer processes", 1, 2000);
  app.add_option("--file", o->file, "append to this file (default: a temporary file in the current directory)");
  app.add_flag("--keep-file", o->keep_file, "do not remove the file this run created");
  app.add_flag("--no-append", o->no_append, "open without O_APPEND, seek to the end, then write (records overwrite)");
  // No default shown: it depends on --no-append (see FileAppendOptions::resolved),
  // and a "rerun with" line that named one would change what --no-append does.
  CLI::Option* delay = add_seconds(app, "--delay-max", o->delay_max,
                                   "a writer waits a random 0..S seconds between open and write (default 0; "
                                   "0.5 with --no-append)")
                           ->default_str("");
  add_whole(app, "--record-bytes", o->record_bytes, "length of each record, newline included", 4, 4096);
  return [o, delay](Context& ctx) {
    o->delay_given = delay->count() > 0;
    return run_file_append(*o, ctx);
  };
}

}  // namespace mpdemo
