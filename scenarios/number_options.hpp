// Every number option of every scenario is declared through these helpers,
// so each is checked the same way, by one validator: the value is a number
// written out in full, finite, and inside the option's documented range.
// Anything else (nan, inf, 1e308, 99999999999999999999, "", "3x") is exit 2
// with a message naming the option, the value and the range; nothing is
// clamped, nothing reaches a sleep or a futex that cannot take it.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <type_traits>

namespace mpdemo {

// The longest duration any option takes: an hour is longer than any lesson,
// and an hour times the largest --speed still fits every timeout of the
// core (a futex's timespec, a poll's milliseconds).
inline constexpr double kMaxSeconds = 3600.0;
// The largest --speed: a hundred times slower than the tutorial.
inline constexpr double kMaxSpeed = 100.0;

// The one validator. A real number from min to max (inclusive), finite.
CLI::Validator real_in_range(const std::string& option, double min, double max);
// A whole number from min to max (inclusive), in decimal digits.
CLI::Validator whole_in_range(const std::string& option, std::int64_t min, std::int64_t max);

// "--jobs" of "-j,--jobs": how an error names the option.
inline std::string option_name(const std::string& names) {
  const auto comma = names.rfind(',');
  return comma == std::string::npos ? names : names.substr(comma + 1);
}

// A duration in seconds (before --speed scales it), 0..max. --help shows
// the range beside the type ("FLOAT:[0 - 3600]").
template <class T>
CLI::Option* add_seconds(CLI::App& app, const std::string& name, T& value, const std::string& help,
                         double max = kMaxSeconds) {
  return app.add_option(name, value, help)
      ->capture_default_str()
      ->check(real_in_range(option_name(name), 0.0, max));
}

// A real number that is not a duration (a factor, a ratio), min..max.
template <class T>
CLI::Option* add_real(CLI::App& app, const std::string& name, T& value, const std::string& help, double min,
                      double max) {
  return app.add_option(name, value, help)->capture_default_str()->check(real_in_range(option_name(name), min, max));
}

// A count or an index, min..max.
template <class T>
CLI::Option* add_whole(CLI::App& app, const std::string& name, T& value, const std::string& help, std::int64_t min,
                       std::int64_t max) {
  return app.add_option(name, value, help)->capture_default_str()->check(whole_in_range(option_name(name), min, max));
}

}  // namespace mpdemo
