// The setup function of every scenario, one per file in scenarios/.
#pragma once

#include "scenario.hpp"

namespace mpdemo {

RunFunction setup_spawn(CLI::App& app);
RunFunction setup_pid(CLI::App& app);
RunFunction setup_isolation(CLI::App& app);
RunFunction setup_join_timing(CLI::App& app);
RunFunction setup_lifecycle(CLI::App& app);
RunFunction setup_zombie(CLI::App& app);
RunFunction setup_orphan(CLI::App& app);
RunFunction setup_daemon(CLI::App& app);
RunFunction setup_fork(CLI::App& app);
RunFunction setup_threads_vs_processes(CLI::App& app);
RunFunction setup_states(CLI::App& app);
RunFunction setup_print_lock(CLI::App& app);
RunFunction setup_ticket(CLI::App& app);
RunFunction setup_file_append(CLI::App& app);
RunFunction setup_semaphore(CLI::App& app);
RunFunction setup_event(CLI::App& app);
RunFunction setup_manager(CLI::App& app);
RunFunction setup_value_array(CLI::App& app);
RunFunction setup_rlock(CLI::App& app);
RunFunction setup_queue(CLI::App& app);
RunFunction setup_flash_sale(CLI::App& app);
RunFunction setup_queue_crowd(CLI::App& app);
RunFunction setup_pipe(CLI::App& app);
RunFunction setup_baozi(CLI::App& app);
RunFunction setup_pool(CLI::App& app);
RunFunction setup_echo_server(CLI::App& app);
RunFunction setup_crawler(CLI::App& app);
RunFunction setup_scheduler(CLI::App& app);

}  // namespace mpdemo
