#include "console_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace mpdemo {
namespace {

// One UTF-8 character at `i`: its code point and byte length (a broken byte
// counts as one narrow character, so bad input never stops the output).
std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) return {c, 1};
  char32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return {cp, len};
}

// East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth W and F),
// the ones a Chinese catalogue uses.
bool is_wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
         (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

int width_of(char32_t cp) {
  if (cp == 0x1B) return 0;  // colour codes are skipped whole by the callers
  return is_wide(cp) ? 2 : 1;
}

// Length of an ANSI colour sequence ("\x1b[...m") at `i`, 0 if none.
std::size_t escape_length(std::string_view s, std::size_t i) {
  if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  std::size_t j = i + 2;
  while (j < s.size() && s[j] != 'm') ++j;
  return j < s.size() ? j - i + 1 : 0;
}

std::string number_text(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.2f}", v);
}

}  // namespace

int display_width(std::string_view text) {
  int width = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (std::size_t esc = escape_length(text, i)) {
      i += esc;
      continue;
    }
    auto [cp, len] = decode(text, i);
    width += width_of(cp);
    i += len;
  }
  return width;
}

std::string cut_to_width(std::string_view text, int width) {
  if (display_width(text) <= width) return std::string(text);
  std::string out;
  int used = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (std::size_t esc = escape_length(text, i)) {
      out.append(text.substr(i, esc));
      i += esc;
      continue;
    }
    auto [cp, len] = decode(text, i);
    if (used + width_of(cp) > width - 1) break;  // one column for the ellipsis
    out.append(text.substr(i, len));
    used += width_of(cp);
    i += len;
  }
  return out + "…";
}

std::vector<std::string> wrap_to_width(std::string_view text, int width) {
  std::vector<std::string> lines;
  std::string line;
  int used = 0;
  std::size_t break_at = std::string::npos;  // byte in `line` after which it may break
  std::size_t earlier_break = std::string::npos;  // the one before it
  for (std::size_t i = 0; i < text.size();) {
    if (std::size_t esc = escape_length(text, i)) {
      line.append(text.substr(i, esc));
      i += esc;
      continue;
    }
    auto [cp, len] = decode(text, i);
    const int w = width_of(cp);
    // Punctuation that closes a phrase ("。") never starts a line: it keeps
    // the character before it company.
    const bool closing = cp == 0x3002 || cp == 0xFF0C || cp == 0xFF1B || cp == 0xFF1A || cp == 0xFF09 ||
                         cp == 0x3001 || cp == 0xFF01 || cp == 0xFF1F || cp == 0x201D || cp == 0x300D;
    if (closing && break_at == line.size()) break_at = earlier_break;
    if (used + w > width && !line.empty()) {
      if (break_at != std::string::npos && break_at > 0) {
        std::string rest = line.substr(break_at);
        lines.push_back(line.substr(0, break_at));
        const std::size_t first = rest.find_first_not_of(' ');
        line = first == std::string::npos ? "" : rest.substr(first);
        used = display_width(line);
      } else {
        lines.push_back(line);
        line.clear();
        used = 0;
      }
      break_at = earlier_break = std::string::npos;
    }
    if (cp == ' ' && line.empty()) {  // no line starts with a space
      i += len;
      continue;
    }
    // A line may also break before a wide character.
    if (w == 2 && !line.empty() && !closing) earlier_break = std::exchange(break_at, line.size());
    line.append(text.substr(i, len));
    used += w;
    if (cp == ' ' || w == 2) earlier_break = std::exchange(break_at, line.size());  // after a space or a wide character
    i += len;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  for (auto& l : lines)
    while (!l.empty() && l.back() == ' ') l.pop_back();
  return lines;
}

std::optional<ColourBook::Pick> ColourBook::pick(const std::string& name) {
  if (name == "MainProcess" || size_ == 0) return std::nullopt;
  if (auto it = given_.find(name); it != given_.end()) return Pick{it->second, ""};
  const std::size_t index = given_.size() % size_;
  given_[name] = index;
  if (first_owner_.size() < size_) {
    first_owner_.push_back(name);
    return Pick{index, ""};
  }
  return Pick{index, first_owner_[index]};
}

void Fold::add(const nlohmann::json& e) {
  const double t = e.value("t", 0.0);
  if (count == 0) {
    kind = e.value("kind", "");
    first = e;
    first_t = t;
  }
  last_t = t;
  ++count;
  const std::string name = e.value("name", "?");
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  for (auto& [key, value] : e.items()) {
    if (key == "t" || key == "pid" || key == "ppid" || key == "name" || key == "kind") continue;
    if (value.is_number()) {
      const double v = value.get<double>();
      auto [it, fresh] = numbers.try_emplace(key, v, v);
      if (!fresh) it->second = {std::min(it->second.first, v), std::max(it->second.second, v)};
    } else {
      auto& seen = strings[key];
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      if (seen.size() < 3 && std::find(seen.begin(), seen.end(), text) == seen.end()) seen.push_back(text);
      else if (seen.size() == 3 && std::find(seen.begin(), seen.end(), text) == seen.end()) seen.push_back("…");
    }
  }
}

nlohmann::json Fold::spread_fields(const std::string& separator) const {
  nlohmann::json fields = first;
  for (const auto& [key, range] : numbers)
    fields[key] = range.first == range.second ? number_text(range.first)
                                              : number_text(range.first) + "–" + number_text(range.second);
  for (const auto& [key, texts] : strings) {
    if (texts.size() == 1) continue;  // the same everywhere: keep the value itself
    std::string joined;
    for (const auto& t : texts) joined += (joined.empty() ? "" : separator) + t;
    fields[key] = joined;
  }
  return fields;
}

std::string Fold::names_text() const {
  if (names.size() == 1) return names[0];
  // "Worker-3" ... "Worker-100" -> "Worker-3..100" when they share a prefix and end in numbers.
  auto split = [](const std::string& n) {
    std::size_t cut = n.size();
    while (cut > 0 && std::isdigit(static_cast<unsigned char>(n[cut - 1]))) --cut;
    return std::pair{n.substr(0, cut), n.substr(cut)};
  };
  auto [prefix, low] = split(names.front());
  std::vector<long> numbers;
  for (const auto& n : names) {
    auto [p, digits] = split(n);
    if (p != prefix || digits.empty() || digits.size() > 9) return "";
    numbers.push_back(std::stol(digits));
  }
  std::sort(numbers.begin(), numbers.end());
  if (numbers.size() <= 3) return prefix + fmt::format("{}", fmt::join(numbers, ","));  // "Buyer-3,5"
  return fmt::format("{}{}..{}", prefix, numbers.front(), numbers.back());
}

}  // namespace mpdemo
