#include "number_options.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "scenario.hpp"

namespace mpdemo {
namespace {

// Enough of a rejected value to recognise it; a hostile argument is not
// echoed whole.
std::string excerpt(const std::string& text) { return text.size() > 40 ? text.substr(0, 40) + "..." : text; }

// A number as the range in the message shows it: 3600, not 3600.000000.
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

[[noreturn]] void reject(const std::string& option, const std::string& value, const std::string& min,
                         const std::string& max, bool whole) {
  // UsageError is not a CLI::ValidationError, so CLI11 lets it through
  // parse() with its key, and the app prints it in the user's language.
  json fields = {{"option", option}, {"value", excerpt(value)}, {"min", min}, {"max", max}};
  if (whole) throw UsageError("option.not_whole_in_range", std::move(fields));
  throw UsageError("option.not_real_in_range", std::move(fields));
}

}  // namespace

CLI::Validator real_in_range(const std::string& option, double min, double max) {
  const std::string lo = number_text(min), hi = number_text(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        // strtod also takes "nan", "inf" and hex floats ("0x10"); only
        // decimal digits, a sign, a point and an exponent are a number here.
        const bool decimal = text.find_first_not_of("0123456789+-.eE") == std::string::npos;
        if (text.empty() || !decimal || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v) ||
            v < min || v > max)
          reject(option, text, lo, hi, false);
        return {};
      },
      "[" + lo + " - " + hi + "]");
}

CLI::Validator whole_in_range(const std::string& option, std::int64_t min, std::int64_t max) {
  const std::string lo = std::to_string(min), hi = std::to_string(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        std::int64_t v = 0;
        const char* first = text.data();
        const char* last = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(first, last, v);
        if (text.empty() || ec != std::errc() || ptr != last || v < min || v > max)
          reject(option, text, lo, hi, true);
        return {};
      },
      "[" + lo + " - " + hi + "]");
}

}  // namespace mpdemo
