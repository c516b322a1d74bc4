#include "common/data/idx_reader.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/util/status_macros.h"

namespace fedge::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dims
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dim
// Bound on the payload the header may promise (N × rows × cols), so that
// hostile dimensions can neither overflow nor ask for absurd memory.
constexpr uint64_t kMaxPayloadBytes = (uint64_t{1} << 31) - 1;
constexpr size_t kChunkBytes = size_t{1} << 20;

constexpr char kInstallHint[] =
    "install the Debian package dataset-fashion-mnist "
    "(sudo apt-get install dataset-fashion-mnist) or set the data directory "
    "to a copy of the four Fashion-MNIST files";

absl::Status OpenError(int err, const std::string& path) {
  std::string message =
      absl::StrCat("cannot open IDX file ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  return absl::FailedPreconditionError(message);
}

// The decompressed bytes of a file, read on demand: gzip if the file starts
// with the gzip magic 1f 8b, the raw bytes otherwise.
class ByteStream {
 public:
  static absl::StatusOr<std::unique_ptr<ByteStream>> Open(
      const std::string& path) {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) return OpenError(errno, path);
    unsigned char magic[2] = {0, 0};
    const size_t got = std::fread(magic, 1, 2, file);
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      std::fclose(file);
      gzFile gz = gzopen(path.c_str(), "rb");
      if (gz == nullptr) return OpenError(errno != 0 ? errno : EIO, path);
      gzbuffer(gz, 1 << 17);
      return std::unique_ptr<ByteStream>(new ByteStream(path, nullptr, gz));
    }
    std::rewind(file);
    return std::unique_ptr<ByteStream>(new ByteStream(path, file, nullptr));
  }

  ~ByteStream() {
    if (file_ != nullptr) std::fclose(file_);
    if (gz_ != nullptr) gzclose(gz_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // Reads up to `n` bytes into `out`; fewer only at the end of the data.
  absl::StatusOr<size_t> Read(unsigned char* out, size_t n) {
    size_t total = 0;
    while (total < n) {
      const size_t want = std::min(n - total, kChunkBytes);
      size_t got;
      if (gz_ != nullptr) {
        const int r = gzread(gz_, out + total, static_cast<unsigned>(want));
        if (r < 0) {
          int errnum = 0;
          const char* raw = gzerror(gz_, &errnum);
          absl::string_view message = raw != nullptr ? raw : "unknown error";
          // zlib prefixes its message with the path, which we name already.
          absl::ConsumePrefix(&message, absl::StrCat(path_, ": "));
          return absl::InvalidArgumentError(
              absl::StrCat("corrupt gzip data in ", path_, ": ", message,
                           "; the file is damaged, replace it"));
        }
        got = static_cast<size_t>(r);
      } else {
        got = std::fread(out + total, 1, want, file_);
        if (got < want && std::ferror(file_)) {
          return absl::DataLossError(
              absl::StrCat("cannot read ", path_, ": ", std::strerror(errno)));
        }
      }
      total += got;
      if (got < want) break;
    }
    return total;
  }

  // True if the file is gzip and its stream stopped before its proper end.
  bool GzipCutShort() {
    if (gz_ == nullptr) return false;
    int errnum = Z_OK;
    gzerror(gz_, &errnum);
    return errnum == Z_BUF_ERROR;
  }

  bool is_gzip() const { return gz_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  ByteStream(std::string path, FILE* file, gzFile gz)
      : path_(std::move(path)), file_(file), gz_(gz) {}

  std::string path_;
  FILE* file_;
  gzFile gz_;
};

struct IdxFile {
  std::vector<uint32_t> dims;
  std::vector<unsigned char> payload;
};

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string Hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Reads an IDX file whose magic must be `magic` (the low byte is the number
// of dimensions) and checks that it holds exactly the payload its header
// promises. `what` names the kind of file in messages ("image", "label").
absl::StatusOr<IdxFile> ReadIdxFile(ByteStream& stream, uint32_t magic,
                                    const char* what) {
  const std::string& path = stream.path();
  const std::string shown =
      absl::StrCat(path, stream.is_gzip() ? " (gzip)" : "");
  const size_t num_dims = magic & 0xff;
  const size_t header_size = 4 + 4 * num_dims;
  unsigned char header[4 + 4 * 255];
  FEDGE_ASSIGN_OR_RETURN(size_t got, stream.Read(header, header_size));
  if (got >= 4 && BigEndian32(header) != magic) {
    return absl::InvalidArgumentError(
        absl::StrCat(shown, " is not an IDX ", what, " file: magic number is ",
                     Hex32(BigEndian32(header)), ", expected ", Hex32(magic)));
  }
  if (got < header_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(shown, " is truncated: an IDX ", what, " header needs ",
                     header_size, " bytes, found ", got));
  }

  IdxFile file;
  uint64_t payload_size = 1;
  // The product of the non-zero dimensions is capped too: a file of zero
  // images must not declare images whose size (rows × cols) overflows.
  uint64_t nonzero_size = 1;
  for (size_t i = 0; i < num_dims; ++i) {
    const uint32_t dim = BigEndian32(header + 4 + 4 * i);
    file.dims.push_back(dim);
    // Each factor is < 2^32 and the running products stay <= 2^31, so the
    // multiplications cannot overflow 64 bits.
    payload_size *= dim;
    if (dim != 0) nonzero_size *= dim;
    if (nonzero_size > kMaxPayloadBytes) {
      std::string dims;
      for (size_t j = 0; j < num_dims; ++j) {
        absl::StrAppend(&dims, j == 0 ? "" : " x ",
                        BigEndian32(header + 4 + 4 * j));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          shown, ": IDX dimensions ", dims, " exceed the limit of ",
          kMaxPayloadBytes, " bytes of data"));
    }
  }

  // Grow the buffer only as bytes actually arrive, so a small file that
  // claims huge dimensions costs no more memory than it holds.
  file.payload.resize(std::min<uint64_t>(payload_size, kChunkBytes));
  size_t have = 0;
  while (have < payload_size) {
    if (have == file.payload.size()) {
      file.payload.resize(
          std::min<uint64_t>(payload_size, 2 * file.payload.size()));
    }
    FEDGE_ASSIGN_OR_RETURN(size_t n, stream.Read(file.payload.data() + have,
                                                 file.payload.size() - have));
    have += n;
    if (n == 0) break;
  }
  if (have < payload_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        shown, " is truncated: its header promises ", payload_size,
        " bytes of ", what, " data after the ", header_size,
        "-byte header, found ", have,
        stream.GzipCutShort() ? " (the gzip stream ends early)" : "",
        "; the file is incomplete, replace it"));
  }
  unsigned char extra[4096];
  FEDGE_ASSIGN_OR_RETURN(size_t trailing, stream.Read(extra, sizeof(extra)));
  if (trailing > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        shown, " has ", trailing == sizeof(extra) ? "at least " : "", trailing,
        " trailing bytes after the ", payload_size, " bytes of ", what,
        " data its header promises"));
  }
  return file;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// `dir`/`name`.gz, or `dir`/`name` if only the uncompressed file is there.
std::string FashionMnistFile(const std::string& dir, const std::string& name) {
  const std::string base = absl::StrCat(dir, "/", name);
  const std::string gz = absl::StrCat(base, ".gz");
  if (!IsFile(gz) && IsFile(base)) return base;
  return gz;
}

}  // namespace

absl::StatusOr<Dataset> ReadIdx(const std::string& images_path,
                                const std::string& labels_path) {
  // Open both before reading either, so a missing label file is reported
  // without first decompressing the images.
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> image_stream,
                         ByteStream::Open(images_path));
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> label_stream,
                         ByteStream::Open(labels_path));
  FEDGE_ASSIGN_OR_RETURN(IdxFile images,
                         ReadIdxFile(*image_stream, kImagesMagic, "image"));
  FEDGE_ASSIGN_OR_RETURN(IdxFile labels,
                         ReadIdxFile(*label_stream, kLabelsMagic, "label"));
  const uint32_t count = images.dims[0];
  const uint32_t rows = images.dims[1];
  const uint32_t cols = images.dims[2];
  if (count != labels.dims[0]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IDX image and label counts differ: ", images_path, " holds ", count,
        " images but ", labels_path, " holds ", labels.dims[0], " labels"));
  }
  if (count > 0 && (rows == 0 || cols == 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(images_path, ": IDX images of ", rows, " x ", cols,
                     " pixels are empty; expected at least 1 x 1"));
  }

  Dataset dataset;
  dataset.example_shape = {1, static_cast<int64_t>(rows),
                           static_cast<int64_t>(cols)};
  dataset.features.resize(images.payload.size());
  // A table keeps the scaling exact and identical for every pixel value.
  float scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v) / 255.0f;
  std::transform(images.payload.begin(), images.payload.end(),
                 dataset.features.begin(),
                 [&scale](unsigned char v) { return scale[v]; });
  dataset.labels.assign(labels.payload.begin(), labels.payload.end());
  int64_t max_label = -1;
  for (int64_t label : dataset.labels) max_label = std::max(max_label, label);
  dataset.num_classes = max_label + 1;
  return dataset;
}

absl::StatusOr<Dataset> ReadFashionMnist(const std::string& dir,
                                         const std::string& split) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test") {
    prefix = "t10k";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown Fashion-MNIST split \"", split,
        "\": use \"train\" (60000 examples) or \"test\" (10000 examples) "
        "of the Debian package dataset-fashion-mnist"));
  }
  if (!IsDirectory(dir)) {
    return absl::NotFoundError(absl::StrCat("Fashion-MNIST directory ", dir,
                                            " does not exist: ", kInstallHint));
  }
  const std::string images =
      FashionMnistFile(dir, absl::StrCat(prefix, "-images-idx3-ubyte"));
  const std::string labels =
      FashionMnistFile(dir, absl::StrCat(prefix, "-labels-idx1-ubyte"));
  for (const std::string& path : {images, labels}) {
    if (!IsFile(path)) {
      return absl::NotFoundError(absl::StrCat(
          "Fashion-MNIST file ", path, " does not exist: ", kInstallHint));
    }
  }
  FEDGE_ASSIGN_OR_RETURN(Dataset dataset, ReadIdx(images, labels));
  if (dataset.num_classes > 10) {
    return absl::InvalidArgumentError(absl::StrCat(
        labels, " has label ", dataset.num_classes - 1,
        "; Fashion-MNIST has classes 0..9 (is this another data set?)"));
  }
  dataset.num_classes = 10;
  return dataset;
}

}  // namespace fedge::data
