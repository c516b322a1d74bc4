#ifndef FEDGE_SIMULATIONS_SIM_TEST_RUN_H_
#define FEDGE_SIMULATIONS_SIM_TEST_RUN_H_

// For tests: a whole simulation from YAML text, quietly, in a new temporary
// directory.

#include <string>

#include "absl/status/statusor.h"
#include "simulations/simulation.h"

namespace fedge::sim {

// Runs the simulation `yaml` describes with its run directory under a new
// temporary directory named after `name` (the run directory is in the
// result's run_dir). Progress and summaries are swallowed.
absl::StatusOr<SimulationResult> RunTestSimulation(const std::string& yaml,
                                                   const std::string& name);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_SIM_TEST_RUN_H_
