#include "simulations/sim_test_run.h"

#include <sstream>
#include <utility>

#include "common/testing/temp_dir.h"
#include "common/util/status_macros.h"
#include "simulations/sim_config.h"

namespace fedge::sim {

absl::StatusOr<SimulationResult> RunTestSimulation(const std::string& yaml,
                                                   const std::string& name) {
  FEDGE_ASSIGN_OR_RETURN(SimConfig config,
                         ParseSimConfig(yaml, "test.yaml", "/"));
  config.run_dir = fedge::testing::MakeTempDir(name) + "/run";
  SimulationOptions options;
  options.show_progress = false;
  std::ostringstream out;
  options.out = &out;
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<Simulation> sim,
                         Simulation::Create(std::move(config), options));
  return sim->Run();
}

}  // namespace fedge::sim
