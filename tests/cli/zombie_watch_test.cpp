// zombie --mode ignore's judgement of /proc samples (scenarios/zombie_watch.hpp),
// on samples written by hand: no children, no /proc.
#include <catch2/catch.hpp>

#include "../../scenarios/zombie_watch.hpp"

using mpdemo::ZombieWatch;

TEST_CASE("zombie watch: the instant of Z while the kernel frees a child is not a zombie", "[zombie][watch]") {
  // The child exits; one sample lands between the kernel's Z and its freeing
  // the entry, the next finds the entry gone (no more samples). Judged by
  // "any Z seen", as before, this run failed its no-zombie check.
  ZombieWatch watch;
  watch.sample('R', 0.0000);
  watch.sample('Z', 0.0005);
  CHECK_FALSE(watch.stayed_zombie());
  CHECK(watch.states_seen() == "RZ");
}

TEST_CASE("zombie watch: a Z that stays is a zombie", "[zombie][watch]") {
  ZombieWatch watch;
  for (int i = 0; i < 100; ++i) watch.sample('Z', 0.0005 * i);  // 50 ms of Z
  CHECK(watch.stayed_zombie());
}

TEST_CASE("zombie watch: Z samples apart from each other are not one stay", "[zombie][watch]") {
  ZombieWatch watch;
  watch.sample('Z', 0.000);
  watch.sample('R', 0.015);
  watch.sample('Z', 0.030);  // 30 ms after the first Z, but a new run of Z
  CHECK_FALSE(watch.stayed_zombie());
  watch.sample('Z', 0.030 + ZombieWatch::kStays);
  CHECK(watch.stayed_zombie());
}
