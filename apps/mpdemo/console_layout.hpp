// What makes a console run fit a projected screen (about 40 lines of 100
// columns): the width of text as a terminal draws it (a Chinese character
// takes two columns), cutting and wrapping to that width, a colour per
// process that differs from its siblings', and the folding of many events of
// one kind into one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mpdemo {

// Columns a terminal uses for this UTF-8 text (East Asian wide characters: 2).
int display_width(std::string_view text);
// `text` cut to at most `width` columns, ending in "…" when something was cut.
std::string cut_to_width(std::string_view text, int width);
// `text` broken into lines of at most `width` columns, at spaces where there
// are any, anywhere between wide characters (Chinese has no spaces).
std::vector<std::string> wrap_to_width(std::string_view text, int width);

// Hands out colours (indexes into a palette of `size`) in the order
// processes first appear, so siblings differ; MainProcess gets none. Once
// the palette is used up, a colour is shared, and the caller is told with whom.
class ColourBook {
 public:
  explicit ColourBook(std::size_t size) : size_(size) {}
  struct Pick {
    std::size_t index;
    std::string shares_with;  // set on the first line of a process whose colour is taken already
  };
  // nullopt for MainProcess (drawn in the terminal's own colour).
  std::optional<Pick> pick(const std::string& name);

 private:
  std::size_t size_;
  std::map<std::string, std::size_t> given_;
  std::vector<std::string> first_owner_;  // palette index -> first process that got it
};

// Events of one kind beyond the first few, held back and told as one line
// with a count and the spread of their values.
struct Fold {
  std::string kind;
  int count = 0;
  bool from_first = false;  // holds the first of a run too ("5 like this"), not only what followed it
  std::uint64_t first_order = 0;  // the renderer's arrival number of its first event
  double first_t = 0, last_t = 0;
  std::vector<std::string> names;  // distinct, in order of appearance
  nlohmann::json first;            // the first held event, for its fields
  std::map<std::string, std::pair<double, double>> numbers;  // field -> min, max
  std::map<std::string, std::vector<std::string>> strings;   // field -> distinct texts (a few)

  void add(const nlohmann::json& event);
  // The fields of `first` with each value replaced by its spread ("11–100";
  // distinct texts joined with `separator`).
  nlohmann::json spread_fields(const std::string& separator) const;
  // "Buyer-11..100" or "Buyer-3,5"; empty when the names do not share a
  // prefix (the caller then says how many processes, in its language).
  std::string names_text() const;
};

}  // namespace mpdemo
