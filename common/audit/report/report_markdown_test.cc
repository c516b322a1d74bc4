#include "common/audit/report/report_markdown.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/audit/report/report_test_log.h"
#include "common/audit/report/report_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ReportMarkdownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = testing::WriteTestRun(/*unsigned_tail=*/true);
    absl::StatusOr<ComplianceReport> report =
        BuildComplianceReport(testing::InputsFor(run_));
    ASSERT_TRUE(report.ok()) << report.status();
    md_ = RenderMarkdown(*report);
  }

  testing::TestRun run_;
  std::string md_;
};

TEST_F(ReportMarkdownTest, HasEverySectionHeadingInOrder) {
  size_t previous = 0;
  for (const SectionTitle& section : ReportSections()) {
    const size_t at = md_.find(absl::StrCat("\n## ", section.title, "\n"));
    ASSERT_NE(at, std::string::npos) << section.title;
    EXPECT_GT(at, previous) << section.title;
    previous = at;
  }
}

TEST_F(ReportMarkdownTest, StartsWithAVerificationSummary) {
  const size_t summary = md_.find("## Summary\n\n");
  ASSERT_NE(summary, std::string::npos);
  const std::string paragraph =
      md_.substr(summary + 12, md_.find("\n\n", summary + 12) - summary - 12);
  EXPECT_THAT(paragraph, HasSubstr("Verified, with reservations."));
  EXPECT_THAT(paragraph, HasSubstr("The audit log of run run-42 verified"));
  EXPECT_THAT(paragraph, HasSubstr("2 entries after the last checkpoint"));
  EXPECT_THAT(md_, HasSubstr("### What this report does not prove"));
  EXPECT_THAT(md_, HasSubstr("they are unsigned"));
}

TEST_F(ReportMarkdownTest, CarriesTheFactsInTables) {
  EXPECT_THAT(md_, HasSubstr("| Client region | Allowed | Clients |"));
  EXPECT_THAT(md_, HasSubstr("| eu-central | yes | 2 | 2 | 1700 |"));
  EXPECT_THAT(md_, HasSubstr("| c5 | us-east | region not allowed |"));
  EXPECT_THAT(md_, HasSubstr("checkpoints/round-000002.fedge"));
  EXPECT_THAT(md_, HasSubstr("consent.purpose\\_id:string"));
  EXPECT_THAT(md_, HasSubstr("```\nfedge.test/run-42"));
}

TEST(ReportMarkdownEscapeTest, MarkupInLogValuesStaysText) {
  std::vector<v1::AuditEvent> events(1);
  events[0].mutable_client_joined()->set_client_id("<script>|*x*");
  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(testing::InputsFromEvents(events));
  ASSERT_TRUE(report.ok());
  const std::string md = RenderMarkdown(*report);
  EXPECT_THAT(md, HasSubstr("\\<script\\>\\|\\*x\\*"));
  EXPECT_THAT(md, Not(HasSubstr("<script>")));
}

}  // namespace
}  // namespace fedge::audit::report
