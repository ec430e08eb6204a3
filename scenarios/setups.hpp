// The setup function of every scenario, one per file in scenarios/.
#pragma once

#include "scenario.hpp"

namespace mpdemo {

RunFunction setup_ticket(CLI::App& app);

}  // namespace mpdemo
