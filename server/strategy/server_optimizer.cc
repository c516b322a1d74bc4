#include "server/strategy/server_optimizer.h"

#include <cmath>
#include <iterator>
#include <utility>

#include "absl/base/casts.h"
#include "absl/base/internal/endian.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/stable_hash.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

// The rules, in the order of kServerOptimizerNames. The numeric value is
// stored in serialized state, so values must never be reused.
enum class Rule : uint8_t {
  kFedAvg = 0,
  kFedAvgM = 1,
  kFedAdagrad = 2,
  kFedAdam = 3,
  kFedYogi = 4,
};

bool HasMomentum(Rule rule) { return rule != Rule::kFedAvg; }
bool HasSecondMoment(Rule rule) {
  return rule == Rule::kFedAdagrad || rule == Rule::kFedAdam ||
         rule == Rule::kFedYogi;
}

// Serialized state, all integers and doubles little-endian:
//
//   offset  0  u8      format version (kStateVersion)
//   offset  1  u8      Rule
//   offset  2  u64     rounds applied
//   offset 10  u64     fingerprint of the model layout (LayoutFingerprint)
//   offset 18  u64     n, the number of parameters
//   offset 26  f64[n]  m, if the rule keeps a first moment
//              f64[n]  v, if the rule keeps a second moment
//
// No checksum: the blob is meant to be stored inside a record that has one
// (fedge's state journal frames each record with a length and a checksum).
// The exact length is still checked, so that a blob cut short or padded is
// rejected rather than misread.
constexpr uint8_t kStateVersion = 1;
constexpr size_t kHeaderBytes = 26;

#if !defined(ABSL_IS_LITTLE_ENDIAN)
#error "the server optimiser state is little-endian; add byte swapping"
#endif

// Distinguishes two layouts with the same number of parameters, so that the
// momentum of one model is not applied to another.
uint64_t LayoutFingerprint(const std::vector<tensor::TensorSpec>& layout) {
  std::string text;
  for (const auto& spec : layout) {
    absl::StrAppend(&text, spec.DebugString(), ";");
  }
  return util::StableHash64(text);
}

absl::Status CheckUnitInterval(absl::string_view field, double value) {
  if (!(value >= 0.0 && value < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server optimizer ", field, " must be in [0, 1), got ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckPositive(absl::string_view field, double value) {
  if (!(value > 0.0 && std::isfinite(value))) {
    return absl::InvalidArgumentError(
        absl::StrCat("server optimizer ", field,
                     " must be a positive finite number, got ", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<Rule> ParseRule(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (size_t i = 0; i < std::size(kServerOptimizerNames); ++i) {
    if (lower == kServerOptimizerNames[i]) return static_cast<Rule>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown server optimizer \"", name, "\"; expected one of ",
                   absl::StrJoin(kServerOptimizerNames, ", ")));
}

absl::Status CheckConfig(Rule rule, const ServerOptimizerConfig& config) {
  FEDGE_RETURN_IF_ERROR(CheckPositive("learning_rate", config.learning_rate));
  switch (rule) {
    case Rule::kFedAvg:
      break;
    case Rule::kFedAvgM:
      FEDGE_RETURN_IF_ERROR(CheckUnitInterval("momentum", config.momentum));
      break;
    case Rule::kFedAdam:
    case Rule::kFedYogi:
      FEDGE_RETURN_IF_ERROR(CheckUnitInterval("beta2", config.beta2));
      [[fallthrough]];
    case Rule::kFedAdagrad:
      FEDGE_RETURN_IF_ERROR(CheckUnitInterval("beta1", config.beta1));
      FEDGE_RETURN_IF_ERROR(CheckPositive("tau", config.tau));
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> CountElements(
    const std::vector<tensor::TensorSpec>& layout) {
  int64_t total = 0;
  for (const auto& spec : layout) {
    bool empty = false;
    for (int64_t dim : spec.shape) {
      if (dim < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("model layout entry ", spec.DebugString(),
                         " has a negative dimension"));
      }
      empty = empty || dim == 0;
    }
    int64_t n = empty ? 0 : 1;
    for (int64_t dim : spec.shape) {
      if (empty) break;
      // Compared before multiplying so that the product cannot overflow.
      if (n > tensor::ParameterSet::kMaxElements / dim) {
        n = tensor::ParameterSet::kMaxElements + 1;
        break;
      }
      n *= dim;
    }
    total += n;
    if (total > tensor::ParameterSet::kMaxElements) {
      return absl::InvalidArgumentError(
          absl::StrCat("model layout has more than ",
                       tensor::ParameterSet::kMaxElements, " values"));
    }
  }
  return static_cast<size_t>(total);
}

class ServerOptimizerImpl final : public ServerOptimizer {
 public:
  ServerOptimizerImpl(Rule rule, const ServerOptimizerConfig& config,
                      std::vector<tensor::TensorSpec> layout, size_t n)
      : rule_(rule),
        config_(config),
        layout_(std::move(layout)),
        fingerprint_(LayoutFingerprint(layout_)),
        num_elements_(n) {
    if (HasMomentum(rule_)) m_.assign(n, 0.0);
    if (HasSecondMoment(rule_)) v_.assign(n, config_.tau * config_.tau);
  }

  absl::string_view name() const override {
    return kServerOptimizerNames[static_cast<size_t>(rule_)];
  }

  uint64_t rounds() const override { return rounds_; }

  absl::Status Step(absl::Span<const float> mean_delta,
                    tensor::ParameterSet* global) override;
  absl::StatusOr<std::string> SerializeState() const override;
  absl::Status RestoreState(absl::string_view bytes) override;

 private:
  const Rule rule_;
  const ServerOptimizerConfig config_;
  const std::vector<tensor::TensorSpec> layout_;
  const uint64_t fingerprint_;
  const size_t num_elements_;
  uint64_t rounds_ = 0;
  std::vector<double> m_;  // empty for fedavg
  std::vector<double> v_;  // empty for fedavg and fedavgm
};

absl::Status ServerOptimizerImpl::Step(absl::Span<const float> mean_delta,
                                       tensor::ParameterSet* global) {
  if (global == nullptr) {
    return absl::InvalidArgumentError("no global model to update");
  }
  FEDGE_RETURN_IF_ERROR(tensor::CheckSameLayout(layout_, global->specs()));
  if (mean_delta.size() != num_elements_) {
    return absl::InvalidArgumentError(
        absl::StrCat("mean delta has ", mean_delta.size(),
                     " values, the model has ", num_elements_));
  }
  for (size_t i = 0; i < mean_delta.size(); ++i) {
    if (!std::isfinite(mean_delta[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("mean delta value ", i, " is ", mean_delta[i],
                       "; the round's aggregate is not usable"));
    }
  }

  // Each parameter is updated in double and rounded once to float. For
  // fedavg with η = 1 this gives exactly the float sum x + Δ: double has more
  // than 2·24 + 2 bits, so rounding to double and then to float is the same
  // as rounding once to float.
  absl::Span<float> x = global->mutable_values();
  const double eta = config_.learning_rate;
  switch (rule_) {
    case Rule::kFedAvg:
      for (size_t i = 0; i < x.size(); ++i) {
        x[i] = static_cast<float>(x[i] + eta * mean_delta[i]);
      }
      break;
    case Rule::kFedAvgM: {
      const double beta = config_.momentum;
      for (size_t i = 0; i < x.size(); ++i) {
        m_[i] = beta * m_[i] + mean_delta[i];
        x[i] = static_cast<float>(x[i] + eta * m_[i]);
      }
      break;
    }
    case Rule::kFedAdagrad:
    case Rule::kFedAdam:
    case Rule::kFedYogi: {
      const double beta1 = config_.beta1;
      const double beta2 = config_.beta2;
      const double tau = config_.tau;
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = mean_delta[i];
        const double d2 = d * d;
        m_[i] = beta1 * m_[i] + (1.0 - beta1) * d;
        double& v = v_[i];
        if (rule_ == Rule::kFedAdagrad) {
          v += d2;
        } else if (rule_ == Rule::kFedAdam) {
          v = beta2 * v + (1.0 - beta2) * d2;
        } else {
          // Yogi moves v towards Δ² by (1−β2)·Δ², not by (1−β2)·(v − Δ²) as
          // Adam does, so a large v decays slowly and the effective step
          // cannot grow abruptly after a few quiet rounds (Zaheer et al.,
          // 2018).
          const double sign = (v > d2) ? 1.0 : (v < d2 ? -1.0 : 0.0);
          v -= (1.0 - beta2) * d2 * sign;
        }
        x[i] = static_cast<float>(x[i] + eta * m_[i] / (std::sqrt(v) + tau));
      }
      break;
    }
  }
  ++rounds_;
  return absl::OkStatus();
}

void AppendU64(std::string* out, uint64_t value) {
  char buf[8];
  absl::little_endian::Store64(buf, value);
  out->append(buf, sizeof(buf));
}

void AppendDoubles(std::string* out, const std::vector<double>& values) {
  for (double d : values) AppendU64(out, absl::bit_cast<uint64_t>(d));
}

absl::StatusOr<std::string> ServerOptimizerImpl::SerializeState() const {
  std::string out;
  out.reserve(kHeaderBytes + 8 * (m_.size() + v_.size()));
  out.push_back(static_cast<char>(kStateVersion));
  out.push_back(static_cast<char>(rule_));
  AppendU64(&out, rounds_);
  AppendU64(&out, fingerprint_);
  AppendU64(&out, num_elements_);
  AppendDoubles(&out, m_);
  AppendDoubles(&out, v_);
  return out;
}

absl::Status ServerOptimizerImpl::RestoreState(absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server optimizer state is ", bytes.size(), " bytes, shorter than its ",
        kHeaderBytes, "-byte header"));
  }
  const uint8_t version = static_cast<uint8_t>(bytes[0]);
  if (version != kStateVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("server optimizer state has format version ", version,
                     "; this build reads version ", kStateVersion));
  }
  const uint8_t rule = static_cast<uint8_t>(bytes[1]);
  if (rule != static_cast<uint8_t>(rule_)) {
    const std::string saved = rule < std::size(kServerOptimizerNames)
                                  ? kServerOptimizerNames[rule]
                                  : absl::StrCat("unknown rule ", rule);
    return absl::InvalidArgumentError(absl::StrCat(
        "server optimizer state was saved by ", saved, ", not ", name(),
        "; configure the same optimizer or start without it"));
  }
  const uint64_t rounds = absl::little_endian::Load64(bytes.data() + 2);
  const uint64_t fingerprint = absl::little_endian::Load64(bytes.data() + 10);
  const uint64_t n = absl::little_endian::Load64(bytes.data() + 18);
  if (n != num_elements_ || fingerprint != fingerprint_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server optimizer state is for a model with ", n,
        " parameters and layout fingerprint ", fingerprint, ", this model has ",
        num_elements_, " and ", fingerprint_));
  }
  const size_t arrays =
      (HasMomentum(rule_) ? 1 : 0) + (HasSecondMoment(rule_) ? 1 : 0);
  const size_t expected = kHeaderBytes + arrays * 8 * num_elements_;
  if (bytes.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("server optimizer state is ", bytes.size(),
                     " bytes, expected ", expected));
  }

  // Decoded into new vectors and swapped in only once all of it is valid.
  const char* p = bytes.data() + kHeaderBytes;
  auto read = [&](std::vector<double>* out, absl::string_view what,
                  bool non_negative) -> absl::Status {
    out->resize(num_elements_);
    for (size_t i = 0; i < num_elements_; ++i, p += 8) {
      const double d = absl::bit_cast<double>(absl::little_endian::Load64(p));
      if (!std::isfinite(d) || (non_negative && d < 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("server optimizer state: ", what, "[", i, "] is ", d));
      }
      (*out)[i] = d;
    }
    return absl::OkStatus();
  };
  std::vector<double> m, v;
  if (HasMomentum(rule_)) FEDGE_RETURN_IF_ERROR(read(&m, "m", false));
  if (HasSecondMoment(rule_)) FEDGE_RETURN_IF_ERROR(read(&v, "v", true));
  m_ = std::move(m);
  v_ = std::move(v);
  rounds_ = rounds;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerOptimizer>> MakeServerOptimizer(
    const ServerOptimizerConfig& config,
    std::vector<tensor::TensorSpec> layout) {
  FEDGE_ASSIGN_OR_RETURN(Rule rule, ParseRule(config.name));
  FEDGE_RETURN_IF_ERROR(CheckConfig(rule, config));
  FEDGE_ASSIGN_OR_RETURN(size_t n, CountElements(layout));
  return std::make_unique<ServerOptimizerImpl>(rule, config, std::move(layout),
                                               n);
}

}  // namespace fedge::server
