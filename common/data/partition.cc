#include "common/data/partition.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/data/partition_schemes.h"
#include "common/data/random.h"

namespace fedge::data {
namespace {

using internal::Parts;

struct SchemeName {
  PartitionScheme scheme;
  const char* name;
};
constexpr SchemeName kSchemeNames[] = {
    {PartitionScheme::kIid, "iid"},
    {PartitionScheme::kDirichlet, "dirichlet"},
    {PartitionScheme::kLabelsPerClient, "labels_per_client"},
    {PartitionScheme::kQuantitySkew, "quantity_skew"},
    {PartitionScheme::kShards, "shards"},
    {PartitionScheme::kFeatureNoise, "feature_noise"},
};

absl::Status CheckAlpha(double alpha) {
  if (alpha > 0.0 && std::isfinite(alpha)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "Dirichlet alpha ", alpha,
      " is invalid; it must be a finite number > 0 (small = skewed, "
      "large = near IID)"));
}

// `what` names the scheme in messages ("Dirichlet" partition needs ...).
absl::Status CheckLabels(absl::Span<const int64_t> labels, int64_t num_classes,
                         const std::string& what) {
  if (num_classes <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " partition needs num_classes >= 1, got ", num_classes));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      return absl::InvalidArgumentError(
          absl::StrCat("label ", labels[i], " of example ", i,
                       " is outside [0, ", num_classes, ")"));
    }
  }
  return absl::OkStatus();
}

// count × per_client <= n, written without overflow.
absl::Status CheckEveryClientCanHave(size_t n, const PartitionSpec& spec,
                                     size_t per_client, const std::string& what,
                                     const std::string& fix) {
  if (n / spec.count >= per_client) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " partition of ", n, " examples into ", spec.count,
      " clients cannot give each client at least ", per_client, " ", fix));
}

absl::StatusOr<Parts> LabelsPerClient(absl::Span<const int64_t> labels,
                                      int64_t num_classes,
                                      const PartitionSpec& spec,
                                      SplitMix64& rng) {
  const std::string what = "labels_per_client";
  if (absl::Status s = CheckLabels(labels, num_classes, what); !s.ok()) {
    return s;
  }
  std::vector<char> present(static_cast<size_t>(num_classes), 0);
  for (int64_t label : labels) present[label] = 1;
  size_t num_present = 0;
  for (char p : present) num_present += p;
  const size_t per_client = spec.labels_per_client;
  if (num_present == 0) {
    return absl::InvalidArgumentError(
        "labels_per_client partition of an empty data set: there are no "
        "classes to deal out");
  }
  if (per_client == 0 || per_client > num_present) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels_per_client ", per_client, " is out of range: the data set has ",
        num_present, " classes with examples; use 1..", num_present));
  }
  // count × per_client < num_present, without overflow.
  const size_t min_clients = (num_present + per_client - 1) / per_client;
  if (spec.count < min_clients) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels_per_client partition: ", spec.count, " clients × ", per_client,
        " labels per client cannot hold all ", num_present,
        " classes (a class would have no client); use at least ", min_clients,
        " clients or more labels per client"));
  }
  return internal::PartitionLabelsPerClient(labels, num_classes, spec, rng);
}

}  // namespace

absl::StatusOr<PartitionScheme> ParsePartitionScheme(const std::string& name) {
  for (const SchemeName& entry : kSchemeNames) {
    if (name == entry.name) return entry.scheme;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown partition scheme \"", name, "\": use one of ",
                   absl::StrJoin(PartitionSchemeNames(), ", ")));
}

std::string PartitionSchemeName(PartitionScheme scheme) {
  for (const SchemeName& entry : kSchemeNames) {
    if (scheme == entry.scheme) return entry.name;
  }
  return "unknown";
}

std::vector<std::string> PartitionSchemeNames() {
  std::vector<std::string> names;
  for (const SchemeName& entry : kSchemeNames) names.push_back(entry.name);
  return names;
}

std::string PartitionDescription(const PartitionSpec& spec) {
  std::string params;
  switch (spec.scheme) {
    case PartitionScheme::kIid:
      break;
    case PartitionScheme::kDirichlet:
    case PartitionScheme::kQuantitySkew:
      params = absl::StrCat("alpha=", spec.alpha, ", min_size=", spec.min_size,
                            ", ");
      break;
    case PartitionScheme::kLabelsPerClient:
      params = absl::StrCat("labels_per_client=", spec.labels_per_client, ", ");
      break;
    case PartitionScheme::kShards:
      params = absl::StrCat("shards_per_client=", spec.shards_per_client, ", ");
      break;
    case PartitionScheme::kFeatureNoise:
      params = absl::StrCat("noise_sigma=", spec.noise_sigma, ", ");
      break;
  }
  return absl::StrCat(PartitionSchemeName(spec.scheme), "(", params,
                      "seed=", spec.seed, ")");
}

absl::StatusOr<std::vector<std::vector<size_t>>> Partition(
    absl::Span<const int64_t> labels, int64_t num_classes,
    const PartitionSpec& spec) {
  const size_t n = labels.size();
  if (spec.count == 0) {
    return absl::InvalidArgumentError(
        "partition count is 0; it must be at least 1 client");
  }
  SplitMix64 rng(spec.seed);
  switch (spec.scheme) {
    case PartitionScheme::kFeatureNoise:
      if (!(spec.noise_sigma >= 0.0) || !std::isfinite(spec.noise_sigma)) {
        return absl::InvalidArgumentError(
            absl::StrCat("feature_noise noise_sigma ", spec.noise_sigma,
                         " is invalid; it must be a finite number >= 0"));
      }
      [[fallthrough]];  // the split itself is the IID one
    case PartitionScheme::kIid:
      if (n < spec.count) {
        return absl::InvalidArgumentError(absl::StrCat(
            "IID partition of ", n, " examples into ", spec.count,
            " clients would leave clients empty; use at most ", n, " clients"));
      }
      return internal::PartitionIid(n, spec.count, rng);

    case PartitionScheme::kDirichlet: {
      if (absl::Status s = CheckAlpha(spec.alpha); !s.ok()) return s;
      if (absl::Status s = CheckLabels(labels, num_classes, "Dirichlet");
          !s.ok()) {
        return s;
      }
      const size_t needed = std::max<size_t>(spec.min_size, 1);
      if (absl::Status s = CheckEveryClientCanHave(
              n, spec, needed, "Dirichlet",
              absl::StrCat("examples (min_size ", spec.min_size,
                           "); lower min_size or use fewer clients"));
          !s.ok()) {
        return s;
      }
      return internal::PartitionDirichlet(labels, num_classes, spec, rng);
    }

    case PartitionScheme::kLabelsPerClient:
      return LabelsPerClient(labels, num_classes, spec, rng);

    case PartitionScheme::kQuantitySkew:
      if (absl::Status s = CheckAlpha(spec.alpha); !s.ok()) return s;
      if (absl::Status s = CheckEveryClientCanHave(
              n, spec, spec.min_size, "quantity_skew",
              absl::StrCat("examples (min_size ", spec.min_size,
                           "); lower min_size or use fewer clients"));
          !s.ok()) {
        return s;
      }
      return internal::PartitionQuantitySkew(n, spec, rng);

    case PartitionScheme::kShards:
      if (absl::Status s = CheckLabels(labels, num_classes, "shards");
          !s.ok()) {
        return s;
      }
      if (spec.shards_per_client == 0) {
        return absl::InvalidArgumentError(
            "shards_per_client is 0; it must be at least 1");
      }
      if (absl::Status s = CheckEveryClientCanHave(
              n, spec, spec.shards_per_client, "shards",
              absl::StrCat("examples (one a shard, shards_per_client ",
                           spec.shards_per_client,
                           "); lower shards_per_client or use fewer clients"));
          !s.ok()) {
        return s;
      }
      return internal::PartitionShards(labels, num_classes, spec, rng);
  }
  return absl::InvalidArgumentError("unknown partition scheme");
}

}  // namespace fedge::data
