// `mpdemo explain NAME --python`: prints the scenario's Python twin, a short
// multiprocessing program (data/python/NAME-twin.py, embedded in the binary) that
// teaches the same lesson with the same names, counts and options, so an
// instructor can show the C++ run and the Python program side by side.
#pragma once

#include <string>

namespace mpdemo {

class Catalog;

// Writes the twin to stdout: its shebang line, then a header comment in the
// catalogue's language, then the program. Returns 0, or 2 (with the error on
// stderr) when the scenario has no twin.
int print_python_twin(const std::string& name, const Catalog& catalog);

}  // namespace mpdemo
