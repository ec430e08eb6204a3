// Files of data/ compiled into the binary (see data/embed.cmake).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace mpdata {

// Contents of data/<path> (e.g. "messages/en.json"), or nullopt.
std::optional<std::string_view> find(std::string_view path);
// Every embedded path, sorted.
std::vector<std::string_view> paths();

}  // namespace mpdata
