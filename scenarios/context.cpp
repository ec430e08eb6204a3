#include "scenario.hpp"

#include "mp/events.hpp"

namespace mpdemo {
namespace {

// splitmix64: turns (seed, index) into well-spread, independent seeds.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Rng Context::rng(std::uint64_t index) const { return Rng(splitmix64(seed_ ^ splitmix64(index))); }

void Context::emit(std::string_view kind, json fields) const { mp::events::emit(kind, std::move(fields)); }

void Context::span(std::string_view begin, std::string_view end) const {
  if (!mp::events::tracing()) return;
  json fields = json::object();
  if (!begin.empty()) fields["span_begin"] = begin;
  if (!end.empty()) fields["span_end"] = end;
  mp::events::emit("trace.span", std::move(fields));
}

void Context::flow_out(const json& id) const {
  if (!mp::events::tracing()) return;
  mp::events::emit("trace.flow", {{"flow_out", id}});
}

}  // namespace mpdemo
