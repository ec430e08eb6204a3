#pragma once

#include <cstdint>

namespace bench {
// ticket_race on an SQLite database (mp::TicketSqlite, WAL mode), one case
// per way of buying of `mpdemo ticket --store sqlite --sql ...`.
double ticket_race_sqlite_naive(std::int64_t n);
double ticket_race_sqlite_transaction(std::int64_t n);
double ticket_race_sqlite_atomic(std::int64_t n);
}  // namespace bench
