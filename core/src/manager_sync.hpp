// The manager's objects that a client can wait on: Value (which cannot, but
// is as small), Queue, Lock, RLock, Event, Semaphore (private to mpcore).
#pragma once

#include <nlohmann/json.hpp>

#include "manager_objects.hpp"

namespace mp::detail::manager {

// Fills a new object of one of these kinds from Create's `initial`; throws
// Failure (ValueError) when it has the wrong form.
void init_sync_object(Object& object, const nlohmann::json& initial);

// Runs one method on such an object; throws Failure.
nlohmann::json apply_sync(Object& object, Op op, const nlohmann::json& args, Waiter& waiter);

// Frees a Lock or RLock held by `client`; true when it was.
bool release_if_held(Object& object, ClientId client) noexcept;

}  // namespace mp::detail::manager
