#include "drawings.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "event_text.hpp"
#include "fd_output.hpp"

namespace mpdemo {

Drawings::Drawings(const DrawOptions& options, const Catalog& catalog, bool color)
    : options_(options), catalog_(catalog), color_(color), builder_(catalog) {
  if (!options.timeline.empty()) page_file_ = OutputFile(options.timeline);
  if (!options.trace.empty()) trace_file_ = OutputFile(options.trace);
}

const TimelineModel& Drawings::finish(double elapsed) {
  if (!model_) model_ = builder_.build(elapsed);
  return *model_;
}

void Drawings::write(const nlohmann::json& summary) {
  const TimelineModel& model = finish(summary.value("elapsed", 0.0));
  if (page_file_.wanted()) page_file_.commit(timeline_page(model, summary, catalog_));
  if (trace_file_.wanted()) trace_file_.commit(trace_json(model, summary, catalog_));
  if (options_.chart) write_fd(STDOUT_FILENO, terminal_chart(model, catalog_, chart_width(), color_));
}

int chart_width() {
  winsize size{};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS"); columns && std::atoi(columns) > 0) return std::atoi(columns);
  return 100;
}

std::string check_label(const Catalog& catalog, const std::string& scenario, const nlohmann::json& check) {
  const std::string name = check.value("name", "");
  const std::string key = check_key(catalog, scenario, name);
  return catalog.has(key) ? catalog.text(key, check) : name;
}

}  // namespace mpdemo
