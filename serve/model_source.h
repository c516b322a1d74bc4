#ifndef FEDGE_SERVE_MODEL_SOURCE_H_
#define FEDGE_SERVE_MODEL_SOURCE_H_

// Where a served model comes from: a file written by fedge, replaced
// atomically (by rename) whenever a new global model arrives. PATH is one of
//  - a checkpoint file (round-NNNNNN.fedge; its version is NNNNNN),
//  - a server's checkpoint directory (RUN_DIR/checkpoints): its newest
//    round-NNNNNN.fedge,
//  - a client's state directory: the global_model.fedge the client keeps
//    (its version in global_model.version).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/tensor/parameter_set.h"

namespace fedge::serve {

struct ServedModel {
  std::string file;  // the file it was read from
  uint64_t version = 0;
  std::string sha256_hex;
  tensor::ParameterSet state;
};

// Reads the model at `path`. NotFound if there is none yet (an empty
// checkpoint directory, a client that has not downloaded one); DataLoss if
// the file is not a fedge model.
absl::StatusOr<ServedModel> LoadServedModel(const std::string& path);

// Changes whenever the model LoadServedModel would read changes (its file,
// size and modification time); "" if there is none. Cheap: no file is read.
std::string ServedModelSignature(const std::string& path);

}  // namespace fedge::serve

#endif  // FEDGE_SERVE_MODEL_SOURCE_H_
