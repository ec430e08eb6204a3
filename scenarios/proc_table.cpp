#include "proc_table.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "mp/errors.hpp"
#include "mp/unique_fd.hpp"

namespace mpdemo {
namespace {

std::string proc_path(pid_t pid, const char* file) { return "/proc/" + std::to_string(pid) + "/" + file; }

// The whole file, or "" when the process has no entry (never existed, or
// reaped). Any other failure (out of descriptors, say) is an error, not "gone".
std::string read_whole(const std::string& path) {
  mp::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ESRCH) return {};
    mp::throw_os_error("open " + path);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno == ESRCH) {  // ESRCH: the process was reaped while we read
      return text;
    } else if (errno != EINTR) {
      mp::throw_os_error("read " + path);
    }
  }
}

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  const std::string line = read_whole(proc_path(pid, "stat"));
  // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so it
  // ends at the last ')' of the line.
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcStat s;
  s.pid = pid;
  s.comm = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 1));
  rest >> s.state >> s.ppid;
  // Fields 5..21 are not needed; field 22 is the start time.
  std::string skip;
  for (int field = 5; field <= 21; ++field) rest >> skip;
  rest >> s.starttime;
  if (!rest) return std::nullopt;
  return s;
}

std::string read_cmdline(pid_t pid) {
  std::string args = read_whole(proc_path(pid, "cmdline"));
  while (!args.empty() && args.back() == '\0') args.pop_back();
  for (char& c : args)
    if (c == '\0') c = ' ';
  return args;
}

std::string read_comm(pid_t pid) {
  std::string comm = read_whole(proc_path(pid, "comm"));
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

std::string ps_command(const ProcStat& stat, const std::string& cmdline) {
  std::string command = cmdline.empty() ? "[" + stat.comm + "]" : cmdline;
  if (stat.state == 'Z') command += " <defunct>";
  return command;
}

const char* state_name(char state) noexcept {
  switch (state) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk sleep";
    case 'T': return "stopped";
    case 't': return "tracing stop";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'I': return "idle";
    case 'P': return "parked";
    case '-': return "gone";
    default: return "unknown";
  }
}

bool entry_gone(const ProcStat& before) {
  auto now = read_proc_stat(before.pid);
  return !now || now->starttime != before.starttime;
}

char wait_for_state(pid_t pid, char wanted, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  for (;;) {
    auto s = read_proc_stat(pid);
    char state = s ? s->state : '-';
    if (state == wanted || deadline.expired()) return state;
    mp::sleep_for(0.001);
  }
}

}  // namespace mpdemo
