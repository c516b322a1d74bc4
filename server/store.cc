#include "server/store.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients(
  client_id TEXT PRIMARY KEY,
  cert_fingerprint TEXT NOT NULL,
  region TEXT NOT NULL,
  consent_purpose TEXT NOT NULL,
  consent_version TEXT NOT NULL,
  consent_given_at_us INTEGER NOT NULL,
  first_joined_us INTEGER NOT NULL,
  last_joined_us INTEGER NOT NULL,
  joins INTEGER NOT NULL DEFAULT 0,
  rounds_completed INTEGER NOT NULL DEFAULT 0,
  withdrawn_at_us INTEGER,
  revoked_at_us INTEGER,
  revoked_reason TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS models(
  version INTEGER PRIMARY KEY,
  round INTEGER NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_at_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rounds(
  round INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  started_at_us INTEGER NOT NULL,
  finished_at_us INTEGER NOT NULL,
  base_model_version INTEGER NOT NULL,
  model_version INTEGER NOT NULL,
  selected INTEGER NOT NULL,
  completed INTEGER NOT NULL,
  dropped INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  examples INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS round_participants(
  round INTEGER NOT NULL REFERENCES rounds(round),
  client_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  num_examples INTEGER NOT NULL,
  update_sha256 TEXT NOT NULL,
  bytes_up INTEGER NOT NULL,
  PRIMARY KEY(round, client_id));
)sql";

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// A prepared statement with typed binding and reading; finalized on scope
// exit so no early return leaks it.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  absl::Status prepared() const {
    if (rc_ == SQLITE_OK) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("store: cannot prepare statement: ", sqlite3_errmsg(db_)));
  }
  Statement& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& Bind(int i, uint64_t v) {
    return Bind(i, static_cast<int64_t>(v));
  }
  Statement& Bind(int i, uint32_t v) {
    return Bind(i, static_cast<int64_t>(v));
  }
  Statement& Bind(int i, const std::optional<absl::Time>& v) {
    if (v.has_value()) return Bind(i, ToMicros(*v));
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // Steps once: true if a row is available, false when done.
  absl::StatusOr<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT) {
      return absl::AlreadyExistsError(
          absl::StrCat("store: constraint violated: ", sqlite3_errmsg(db_)));
    }
    return absl::InternalError(
        absl::StrCat("store: statement failed: ", sqlite3_errmsg(db_)));
  }
  absl::Status Run() {
    FEDGE_RETURN_IF_ERROR(prepared());
    auto row = Step();
    return row.status();
  }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, col));
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::optional<absl::Time> OptTime(int col) {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return FromMicros(Int(col));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  absl::Status Begin() {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return absl::InternalError(
          absl::StrCat("store: cannot begin: ", sqlite3_errmsg(db_)));
    }
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return absl::InternalError(
          absl::StrCat("store: cannot commit: ", sqlite3_errmsg(db_)));
    }
    open_ = false;
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

ClientRecord ReadClient(Statement& s) {
  ClientRecord c;
  c.client_id = s.Text(0);
  c.cert_fingerprint = s.Text(1);
  c.region = s.Text(2);
  c.consent_purpose = s.Text(3);
  c.consent_version = s.Text(4);
  c.consent_given_at = FromMicros(s.Int(5));
  c.first_joined = FromMicros(s.Int(6));
  c.last_joined = FromMicros(s.Int(7));
  c.joins = static_cast<uint64_t>(s.Int(8));
  c.rounds_completed = static_cast<uint64_t>(s.Int(9));
  c.withdrawn_at = s.OptTime(10);
  c.revoked_at = s.OptTime(11);
  c.revoked_reason = s.Text(12);
  return c;
}

constexpr char kClientColumns[] =
    "client_id, cert_fingerprint, region, consent_purpose, consent_version, "
    "consent_given_at_us, first_joined_us, last_joined_us, joins, "
    "rounds_completed, withdrawn_at_us, revoked_at_us, revoked_reason";

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open state store ", path, ": ", msg));
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(db));
  absl::MutexLock lock(&store->mu_);
  // WAL: readers do not block the writer; synchronous=FULL: a committed
  // round survives power loss, not only a process crash.
  FEDGE_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  FEDGE_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  FEDGE_RETURN_IF_ERROR(store->Exec("PRAGMA foreign_keys=ON"));
  FEDGE_RETURN_IF_ERROR(store->Exec(kSchema));
  FEDGE_RETURN_IF_ERROR(store->AddRoundExamplesColumn());
  return store;
}

Store::~Store() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status Store::AddRoundExamplesColumn() {
  // Stores written before rounds.examples existed: their rounds read 0.
  Statement s(db_,
              "SELECT COUNT(*) FROM pragma_table_info('rounds') "
              "WHERE name = 'examples'");
  FEDGE_RETURN_IF_ERROR(s.prepared());
  FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row && s.Int(0) > 0) return absl::OkStatus();
  return Exec(
      "ALTER TABLE rounds ADD COLUMN examples INTEGER NOT NULL DEFAULT 0");
}

absl::Status Store::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(absl::StrCat("store: ", msg));
  }
  return absl::OkStatus();
}

absl::Status Store::SetMeta(const std::string& key, const std::string& value) {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "INSERT INTO meta(key, value) VALUES(?1, ?2) "
              "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.Bind(1, key).Bind(2, value);
  return s.Run();
}

absl::StatusOr<std::optional<std::string>> Store::GetMeta(
    const std::string& key) {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "SELECT value FROM meta WHERE key = ?1");
  FEDGE_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, key);
  FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s.Text(0));
}

absl::Status Store::RecordJoin(const ClientRecord& join) {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "INSERT INTO clients(client_id, cert_fingerprint, region, "
              "consent_purpose, consent_version, consent_given_at_us, "
              "first_joined_us, last_joined_us, joins) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1) "
              "ON CONFLICT(client_id) DO UPDATE SET "
              "cert_fingerprint = excluded.cert_fingerprint, "
              "region = excluded.region, "
              "consent_purpose = excluded.consent_purpose, "
              "consent_version = excluded.consent_version, "
              "consent_given_at_us = excluded.consent_given_at_us, "
              "last_joined_us = excluded.last_joined_us, "
              "joins = joins + 1");
  s.Bind(1, join.client_id)
      .Bind(2, join.cert_fingerprint)
      .Bind(3, join.region)
      .Bind(4, join.consent_purpose)
      .Bind(5, join.consent_version)
      .Bind(6, ToMicros(join.consent_given_at))
      .Bind(7, ToMicros(join.last_joined));
  return s.Run();
}

absl::Status Store::MarkWithdrawn(const std::string& client_id,
                                  absl::Time when) {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "UPDATE clients SET withdrawn_at_us = ?2 WHERE client_id = ?1 "
              "AND withdrawn_at_us IS NULL");
  s.Bind(1, client_id).Bind(2, ToMicros(when));
  return s.Run();
}

absl::Status Store::MarkRevoked(const std::string& client_id, absl::Time when,
                                const std::string& reason) {
  absl::MutexLock lock(&mu_);
  // A client revoked before it ever joined still gets a row, so the refusal
  // survives a restart.
  Statement s(db_,
              "INSERT INTO clients(client_id, cert_fingerprint, region, "
              "consent_purpose, consent_version, consent_given_at_us, "
              "first_joined_us, last_joined_us, joins, revoked_at_us, "
              "revoked_reason) VALUES(?1, '', '', '', '', 0, 0, 0, 0, ?2, ?3) "
              "ON CONFLICT(client_id) DO UPDATE SET "
              "revoked_at_us = excluded.revoked_at_us, "
              "revoked_reason = excluded.revoked_reason");
  s.Bind(1, client_id).Bind(2, ToMicros(when)).Bind(3, reason);
  return s.Run();
}

absl::StatusOr<std::optional<ClientRecord>> Store::GetClient(
    const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  Statement s(db_, absl::StrCat("SELECT ", kClientColumns,
                                " FROM clients WHERE client_id = ?1")
                       .c_str());
  FEDGE_RETURN_IF_ERROR(s.prepared());
  s.Bind(1, client_id);
  FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ClientRecord>();
  return std::optional<ClientRecord>(ReadClient(s));
}

absl::StatusOr<std::vector<ClientRecord>> Store::ListClients() {
  absl::MutexLock lock(&mu_);
  Statement s(db_, absl::StrCat("SELECT ", kClientColumns,
                                " FROM clients ORDER BY client_id")
                       .c_str());
  FEDGE_RETURN_IF_ERROR(s.prepared());
  std::vector<ClientRecord> out;
  while (true) {
    FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadClient(s));
  }
  return out;
}

namespace {

absl::Status InsertModel(sqlite3* db, const ModelRecord& m) {
  Statement s(db,
              "INSERT INTO models(version, round, path, sha256, size_bytes, "
              "created_at_us) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  s.Bind(1, m.version)
      .Bind(2, m.round)
      .Bind(3, m.path)
      .Bind(4, m.sha256)
      .Bind(5, m.size_bytes)
      .Bind(6, ToMicros(m.created_at));
  return s.Run();
}

}  // namespace

absl::Status Store::RecordInitialModel(const ModelRecord& model) {
  absl::MutexLock lock(&mu_);
  return InsertModel(db_, model);
}

absl::Status Store::CommitRound(const RoundRecord& r,
                                const std::optional<ModelRecord>& model) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  FEDGE_RETURN_IF_ERROR(tx.Begin());
  {
    Statement s(db_,
                "INSERT INTO rounds(round, status, reason, started_at_us, "
                "finished_at_us, base_model_version, model_version, selected, "
                "completed, dropped, rejected, examples) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    s.Bind(1, r.round)
        .Bind(2, r.status)
        .Bind(3, r.reason)
        .Bind(4, ToMicros(r.started_at))
        .Bind(5, ToMicros(r.finished_at))
        .Bind(6, r.base_model_version)
        .Bind(7, r.model_version)
        .Bind(8, r.selected)
        .Bind(9, r.completed)
        .Bind(10, r.dropped)
        .Bind(11, r.rejected)
        .Bind(12, r.examples);
    absl::Status status = s.Run();
    if (absl::IsAlreadyExists(status)) {
      return absl::AlreadyExistsError(
          absl::StrCat("round ", r.round, " was already committed"));
    }
    FEDGE_RETURN_IF_ERROR(status);
  }
  for (const ParticipantRecord& p : r.participants) {
    Statement s(db_,
                "INSERT INTO round_participants(round, client_id, outcome, "
                "reason, num_examples, update_sha256, bytes_up) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.Bind(1, r.round)
        .Bind(2, p.client_id)
        .Bind(3, p.outcome)
        .Bind(4, p.reason)
        .Bind(5, p.num_examples)
        .Bind(6, p.update_sha256)
        .Bind(7, p.bytes_up);
    FEDGE_RETURN_IF_ERROR(s.Run());
    if (p.outcome == "accepted" && model.has_value()) {
      Statement u(db_,
                  "UPDATE clients SET rounds_completed = rounds_completed + 1 "
                  "WHERE client_id = ?1");
      u.Bind(1, p.client_id);
      FEDGE_RETURN_IF_ERROR(u.Run());
    }
  }
  if (model.has_value()) FEDGE_RETURN_IF_ERROR(InsertModel(db_, *model));
  return tx.Commit();
}

absl::StatusOr<std::optional<ModelRecord>> Store::LatestModel() {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "SELECT version, round, path, sha256, size_bytes, created_at_us "
              "FROM models ORDER BY version DESC LIMIT 1");
  FEDGE_RETURN_IF_ERROR(s.prepared());
  FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ModelRecord>();
  ModelRecord m;
  m.version = static_cast<uint64_t>(s.Int(0));
  m.round = static_cast<uint64_t>(s.Int(1));
  m.path = s.Text(2);
  m.sha256 = s.Text(3);
  m.size_bytes = static_cast<uint64_t>(s.Int(4));
  m.created_at = FromMicros(s.Int(5));
  return std::optional<ModelRecord>(m);
}

absl::StatusOr<uint64_t> Store::LastRound() {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "SELECT COALESCE(MAX(round), 0) FROM rounds");
  FEDGE_RETURN_IF_ERROR(s.prepared());
  FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<uint64_t>(s.Int(0)) : 0;
}

absl::StatusOr<std::vector<RoundRecord>> Store::ListRounds() {
  absl::MutexLock lock(&mu_);
  std::vector<RoundRecord> out;
  {
    Statement s(db_,
                "SELECT round, status, reason, started_at_us, finished_at_us, "
                "base_model_version, model_version, selected, completed, "
                "dropped, rejected, examples FROM rounds ORDER BY round");
    FEDGE_RETURN_IF_ERROR(s.prepared());
    while (true) {
      FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      RoundRecord r;
      r.round = static_cast<uint64_t>(s.Int(0));
      r.status = s.Text(1);
      r.reason = s.Text(2);
      r.started_at = FromMicros(s.Int(3));
      r.finished_at = FromMicros(s.Int(4));
      r.base_model_version = static_cast<uint64_t>(s.Int(5));
      r.model_version = static_cast<uint64_t>(s.Int(6));
      r.selected = static_cast<uint32_t>(s.Int(7));
      r.completed = static_cast<uint32_t>(s.Int(8));
      r.dropped = static_cast<uint32_t>(s.Int(9));
      r.rejected = static_cast<uint32_t>(s.Int(10));
      r.examples = static_cast<uint64_t>(s.Int(11));
      out.push_back(std::move(r));
    }
  }
  for (RoundRecord& r : out) {
    Statement s(db_,
                "SELECT client_id, outcome, reason, num_examples, "
                "update_sha256, bytes_up FROM round_participants "
                "WHERE round = ?1 ORDER BY client_id");
    FEDGE_RETURN_IF_ERROR(s.prepared());
    s.Bind(1, r.round);
    while (true) {
      FEDGE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ParticipantRecord p;
      p.client_id = s.Text(0);
      p.outcome = s.Text(1);
      p.reason = s.Text(2);
      p.num_examples = static_cast<uint64_t>(s.Int(3));
      p.update_sha256 = s.Text(4);
      p.bytes_up = static_cast<uint64_t>(s.Int(5));
      r.participants.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace fedge::server
