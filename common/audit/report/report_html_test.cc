#include "common/audit/report/report_html.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/audit/report/report_test_log.h"
#include "common/audit/report/report_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHostileId[] = "<script>alert(1)</script>";

// A run whose client id and refusal reason try to inject markup.
std::vector<v1::AuditEvent> HostileEvents() {
  std::vector<v1::AuditEvent> events(4);
  events[0].mutable_run_started()->set_run_id("run-<b>");
  events[1].mutable_client_joined()->set_client_id(kHostileId);
  events[1].mutable_client_joined()->set_region("eu\"><img src=x>");
  events[2].set_round(1);
  events[2].mutable_cohort_selected()->add_client_ids(kHostileId);
  events[3].mutable_join_refused()->set_client_id("x");
  events[3].mutable_join_refused()->set_reason(
      "<a href=\"https://evil.example\">");
  return events;
}

std::string HtmlOfTestRun() {
  const testing::TestRun run = testing::WriteTestRun();
  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(testing::InputsFor(run));
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? RenderHtml(*report) : "";
}

// Every value of `attribute="..."` in `html`.
std::vector<std::string> AttributeValues(const std::string& html,
                                         const std::string& attribute) {
  std::vector<std::string> values;
  const std::string needle = attribute + "=\"";
  for (size_t pos = html.find(needle); pos != std::string::npos;
       pos = html.find(needle, pos + 1)) {
    const size_t start = pos + needle.size();
    values.push_back(html.substr(start, html.find('"', start) - start));
  }
  return values;
}

TEST(ReportHtmlTest, IsSelfContained) {
  const std::string html = HtmlOfTestRun();
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  for (const std::string& href : AttributeValues(html, "href")) {
    EXPECT_TRUE(absl::StartsWith(href, "#")) << href;
  }
  EXPECT_THAT(html, HasSubstr("<style>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
}

TEST(ReportHtmlTest, HasTheSectionsInOrderWithAContentsList) {
  const std::string html = HtmlOfTestRun();
  size_t previous = html.find("<nav class=\"toc\">");
  ASSERT_NE(previous, std::string::npos);
  for (const SectionTitle& section : ReportSections()) {
    EXPECT_THAT(html, HasSubstr(std::string("<a href=\"#") + section.anchor));
    const size_t at =
        html.find(std::string("<section id=\"") + section.anchor + "\">");
    ASSERT_NE(at, std::string::npos) << section.anchor;
    EXPECT_GT(at, previous) << section.anchor;
    previous = at;
  }
  EXPECT_THAT(html, HasSubstr("GDPR Art. 30(1)"));
  EXPECT_THAT(html, HasSubstr("Art. 17"));
}

TEST(ReportHtmlTest, ChartsUploadsPerRoundAsInlineSvg) {
  const std::string html = HtmlOfTestRun();
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("</svg>"));
  EXPECT_THAT(html, HasSubstr("round 2: 3 accepted"));
  EXPECT_THAT(html, HasSubstr("round 1: 1 rejected"));
  EXPECT_THAT(html, HasSubstr("round 2: 1 dropped"));
}

TEST(ReportHtmlTest, SaysWhatTheReportDoesNotProve) {
  const std::string html = HtmlOfTestRun();
  EXPECT_THAT(html, HasSubstr("What this report does not prove"));
  EXPECT_THAT(html, HasSubstr("cannot show what a client did on its device"));
  EXPECT_THAT(html, HasSubstr("operator&#39;s declarations"));
  EXPECT_THAT(html, HasSubstr("model-shaped tensor set"));
}

TEST(ReportHtmlTest, EscapesEverythingFromTheLog) {
  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(testing::InputsFromEvents(HostileEvents()));
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string html = RenderHtml(*report);
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<a href=\"https")));
  EXPECT_THAT(html, HasSubstr("Not verified."));
}

}  // namespace
}  // namespace fedge::audit::report
