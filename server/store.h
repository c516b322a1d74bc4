#ifndef FEDGE_SERVER_STORE_H_
#define FEDGE_SERVER_STORE_H_

// The aggregator's durable state: a SQLite database (WAL mode) in the run
// directory holding clients, rounds, their participants and model versions.
// Every method is one transaction; a round's record, its participants and
// its new model version are committed together or not at all.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;

namespace fedge::server {

struct ClientRecord {
  std::string client_id;
  std::string cert_fingerprint;
  std::string region;
  std::string consent_purpose;
  std::string consent_version;
  absl::Time consent_given_at = absl::UnixEpoch();
  absl::Time first_joined = absl::UnixEpoch();
  absl::Time last_joined = absl::UnixEpoch();
  uint64_t joins = 0;
  uint64_t rounds_completed = 0;
  std::optional<absl::Time> withdrawn_at;
  std::optional<absl::Time> revoked_at;
  std::string revoked_reason;
};

struct ModelRecord {
  uint64_t version = 0;
  uint64_t round = 0;
  std::string path;    // checkpoint file, relative to the run directory
  std::string sha256;  // hex
  uint64_t size_bytes = 0;
  absl::Time created_at = absl::UnixEpoch();
};

struct ParticipantRecord {
  std::string client_id;
  // "accepted", "dropped" or "rejected".
  std::string outcome;
  std::string reason;
  uint64_t num_examples = 0;
  std::string update_sha256;  // hex, accepted uploads only
  uint64_t bytes_up = 0;
};

struct RoundRecord {
  uint64_t round = 0;
  // "completed" or "abandoned".
  std::string status;
  std::string reason;
  absl::Time started_at = absl::UnixEpoch();
  absl::Time finished_at = absl::UnixEpoch();
  uint64_t base_model_version = 0;
  uint64_t model_version = 0;  // new version if completed, else the base
  uint32_t selected = 0;
  uint32_t completed = 0;
  uint32_t dropped = 0;
  uint32_t rejected = 0;
  // Training examples behind the committed model (0 if abandoned). With
  // secure aggregation the participants' counts are not known one by one,
  // only this total.
  uint64_t examples = 0;
  std::vector<ParticipantRecord> participants;
};

class Store {
 public:
  // Opens (creating if needed) the database at `path`.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Run-level key/value facts (run id, config digest).
  absl::Status SetMeta(const std::string& key, const std::string& value);
  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key);

  // Records a join: creates the client or updates region, consent, last
  // joined time and join count.
  absl::Status RecordJoin(const ClientRecord& join);
  absl::Status MarkWithdrawn(const std::string& client_id, absl::Time when);
  absl::Status MarkRevoked(const std::string& client_id, absl::Time when,
                           const std::string& reason);
  absl::StatusOr<std::optional<ClientRecord>> GetClient(
      const std::string& client_id);
  absl::StatusOr<std::vector<ClientRecord>> ListClients();

  // Records model version 0 (the initial model).
  absl::Status RecordInitialModel(const ModelRecord& model);

  // Commits a finished round: its record and participants, the new model
  // version if `model` is set, and each accepted participant's
  // rounds_completed, in one transaction. AlreadyExists if the round was
  // committed before (a round is never applied twice).
  absl::Status CommitRound(const RoundRecord& round,
                           const std::optional<ModelRecord>& model);

  // The newest model version, if any.
  absl::StatusOr<std::optional<ModelRecord>> LatestModel();
  // The highest round number recorded (0 if none).
  absl::StatusOr<uint64_t> LastRound();
  absl::StatusOr<std::vector<RoundRecord>> ListRounds();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  absl::Status Exec(const std::string& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddRoundExamplesColumn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STORE_H_
