#ifndef FEDGE_COMMON_DATA_IDX_READER_H_
#define FEDGE_COMMON_DATA_IDX_READER_H_

// The IDX format of (Fashion-)MNIST, gzip-compressed or raw (detected from
// the gzip magic, not the file name).

#include <string>

#include "absl/status/statusor.h"
#include "common/data/dataset.h"

namespace fedge::data {

// Reads an IDX image file (magic 0x00000803, unsigned bytes, N×rows×cols) and
// an IDX label file (magic 0x00000801, N unsigned bytes). Pixels are scaled
// to [0, 1]; example_shape is {1, rows, cols}; num_classes is max label + 1
// (at least 10 for 8-bit labels of MNIST-like sets is NOT assumed). Errors
// name the file and what is wrong (bad magic, truncated, count mismatch
// between images and labels) and never crash on hostile bytes.
absl::StatusOr<Dataset> ReadIdx(const std::string& images_path,
                                const std::string& labels_path);

// Fashion-MNIST as installed by Debian's dataset-fashion-mnist:
// `dir`/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. `split` is "train"
// or "test". num_classes is 10.
absl::StatusOr<Dataset> ReadFashionMnist(const std::string& dir,
                                         const std::string& split);

// Debian's install location.
inline constexpr char kDefaultFashionMnistDir[] =
    "/usr/share/datasets/fashion-mnist";

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_IDX_READER_H_
