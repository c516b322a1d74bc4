#include "common/audit/report/report_json.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/audit/report/report_test_log.h"
#include "common/crypto/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit::report {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Walks compact JSON text and records every object whose keys are not in
// strictly increasing byte order. Assumes the text is valid JSON (the
// tests parse it with a real parser first).
class KeyOrderChecker {
 public:
  explicit KeyOrderChecker(absl::string_view text) : text_(text) {}

  std::vector<std::string> Check() {
    ParseValue();
    return problems_;
  }

 private:
  std::string ParseString() {
    const size_t start = ++pos_;  // past the opening quote
    while (text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    return std::string(text_.substr(start, pos_++ - start));
  }

  void ParseValue() {
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      std::string previous;
      bool first = true;
      while (text_[pos_] != '}') {
        if (text_[pos_] == ',') ++pos_;
        const std::string key = ParseString();
        if (!first && !(previous < key)) {
          problems_.push_back(previous + " before " + key);
        }
        first = false;
        previous = key;
        ++pos_;  // ':'
        ParseValue();
      }
      ++pos_;
    } else if (c == '[') {
      ++pos_;
      while (text_[pos_] != ']') {
        if (text_[pos_] == ',') ++pos_;
        ParseValue();
      }
      ++pos_;
    } else if (c == '"') {
      ParseString();
    } else {
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
             text_[pos_] != ']') {
        ++pos_;
      }
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
  std::vector<std::string> problems_;
};

class ReportJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = testing::WriteTestRun();
    absl::StatusOr<ComplianceReport> report =
        BuildComplianceReport(testing::InputsFor(run_));
    ASSERT_TRUE(report.ok()) << report.status();
    report_ = *std::move(report);
    json_ = RenderJson(report_);
    const auto status =
        google::protobuf::util::JsonStringToMessage(json_, &doc_);
    ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << json_;
  }

  const Value& At(const Struct& s, const std::string& key) {
    static const Value* const kMissing = new Value();
    auto it = s.fields().find(key);
    EXPECT_NE(it, s.fields().end()) << "missing key " << key;
    return it == s.fields().end() ? *kMissing : it->second;
  }

  testing::TestRun run_;
  ComplianceReport report_;
  std::string json_;
  Struct doc_;
};

TEST_F(ReportJsonTest, IsCompactWithATrailingNewline) {
  ASSERT_FALSE(json_.empty());
  EXPECT_EQ(json_.back(), '\n');
  EXPECT_EQ(json_.find('\n'), json_.size() - 1);
  EXPECT_EQ(json_.rfind("{\"consent\":", 0), 0u);  // keys sorted from the top
}

TEST_F(ReportJsonTest, KeysAreSortedAtEveryLevel) {
  EXPECT_THAT(KeyOrderChecker(json_).Check(), ::testing::IsEmpty());
}

TEST_F(ReportJsonTest, RenderingTwiceGivesIdenticalBytes) {
  EXPECT_EQ(RenderJson(report_), json_);
  absl::StatusOr<ComplianceReport> rebuilt =
      BuildComplianceReport(testing::InputsFor(run_));
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(RenderJson(*rebuilt), json_);
}

TEST_F(ReportJsonTest, HasTheDocumentedSchema) {
  EXPECT_EQ(At(doc_, "format").string_value(), "fedge-compliance-report/1");
  EXPECT_EQ(At(doc_, "generated").string_value(), "2026-11-18T12:06:40.000Z");
  for (const char* key :
       {"run", "processing_record", "verification", "totals", "rounds",
        "participants", "data_minimisation", "privacy", "security", "consent",
        "retention", "residency", "incidents", "evidence"}) {
    EXPECT_TRUE(doc_.fields().count(key)) << key;
  }

  const Struct& run = At(doc_, "run").struct_value();
  EXPECT_EQ(At(run, "run_id").string_value(), "run-42");
  EXPECT_EQ(At(run, "origin").string_value(), testing::kTestOrigin);
  EXPECT_TRUE(At(run, "secure_aggregation").bool_value());
  EXPECT_EQ(At(run, "resumes").number_value(), 0);
  EXPECT_EQ(At(run, "started").string_value(), "2026-11-18T11:06:40.000Z");
  EXPECT_EQ(At(At(run, "final_model").struct_value(), "sha256").string_value(),
            crypto::ToHex(crypto::Sha256(run_.models[2])));
  EXPECT_EQ(
      At(At(run, "settings").struct_value(), "strategy.name").string_value(),
      "fedavg");

  const Struct& record = At(doc_, "processing_record").struct_value();
  EXPECT_EQ(At(At(record, "controller").struct_value(), "name").string_value(),
            "Example Keyboards GmbH");
  EXPECT_EQ(At(record, "purposes").list_value().values_size(), 1);

  const Struct& verification = At(doc_, "verification").struct_value();
  EXPECT_TRUE(At(verification, "log_ok").bool_value());
  EXPECT_EQ(At(verification, "invariants").string_value(), "ok");
  EXPECT_EQ(At(verification, "entries").number_value(), run_.events.size());

  const Struct& totals = At(doc_, "totals").struct_value();
  EXPECT_EQ(At(totals, "uploads_accepted").number_value(), 6);
  EXPECT_EQ(At(totals, "bytes_uploaded").number_value(), 4800);

  const auto& rounds = At(doc_, "rounds").list_value();
  ASSERT_EQ(rounds.values_size(), 2);
  const Struct& r1 = rounds.values(0).struct_value();
  EXPECT_EQ(At(r1, "status").string_value(), "committed");
  EXPECT_EQ(At(r1, "model_version").number_value(), 1);
  EXPECT_EQ(At(r1, "secure_aggregation").kind_case(), Value::kNullValue);
  const Struct& accepted =
      At(r1, "accepted").list_value().values(0).struct_value();
  EXPECT_EQ(At(accepted, "client_id").string_value(), "c1");
  EXPECT_EQ(At(accepted, "bytes").number_value(), 1000);
  EXPECT_TRUE(doc_.fields().count("rounds"));
  const Struct& r2 = rounds.values(1).struct_value();
  EXPECT_EQ(At(At(r2, "secure_aggregation").struct_value(), "survivors")
                .list_value()
                .values_size(),
            3);

  const Struct& c2 =
      At(doc_, "participants").list_value().values(1).struct_value();
  EXPECT_EQ(At(c2, "client_id").string_value(), "c2");
  EXPECT_TRUE(At(c2, "withdrawn").bool_value());
  EXPECT_EQ(At(c2, "consent_time").string_value(), "2026-11-17T11:06:40.000Z");

  const Struct& withdrawal =
      At(At(doc_, "consent").struct_value(), "withdrawals")
          .list_value()
          .values(0)
          .struct_value();
  EXPECT_EQ(At(withdrawal, "model_versions").list_value().values_size(), 2);

  const Struct& residency = At(doc_, "residency").struct_value();
  EXPECT_EQ(At(residency, "matrix").list_value().values_size(), 2);

  const Struct& evidence = At(doc_, "evidence").struct_value();
  EXPECT_TRUE(
      At(At(evidence, "verifier").struct_value(), "log_ok").bool_value());
  const auto& artifacts = At(evidence, "artifacts").list_value();
  ASSERT_EQ(artifacts.values_size(), 3);
  EXPECT_TRUE(At(artifacts.values(2).struct_value(), "logged").bool_value());

  const auto& rpcs =
      At(At(doc_, "data_minimisation").struct_value(), "rpcs").list_value();
  EXPECT_EQ(rpcs.values_size(), 7);
}

TEST_F(ReportJsonTest, IntegersAreWrittenAsIntegers) {
  EXPECT_NE(json_.find("\"bytes_uploaded\":4800,"), std::string::npos);
  EXPECT_EQ(json_.find("4800.0"), std::string::npos);
}

}  // namespace
}  // namespace fedge::audit::report
