#include "simulations/sim_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "common/data/partition_summary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr char kSvgNamespace[] = "http://www.w3.org/2000/svg";

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

RoundRow Row(uint64_t round, double accuracy) {
  RoundRow row;
  row.round = round;
  row.status = "completed";
  row.accuracy = accuracy;
  row.loss = 1.0 - accuracy;
  row.train_loss = 1.1 - accuracy;
  row.selected = 10;
  row.completed = 9;
  row.dropped = 1;
  row.bytes_up = 9 * 400000;
  row.bytes_down = 10 * 400000;
  row.selection_seconds = 0.05;
  row.training_seconds = 2.5;
  row.aggregation_seconds = 0.2;
  row.evaluation_seconds = 0.4;
  row.total_seconds = 3.15;
  row.available = 30;
  row.stragglers = 1;
  row.fleet_dropouts = 0;
  return row;
}

data::PartitionSummary Partition(size_t clients, int64_t classes) {
  data::PartitionSummary summary;
  summary.scheme = "dirichlet(alpha=0.5)";
  summary.num_classes = classes;
  for (size_t c = 0; c < clients; ++c) {
    std::vector<size_t> counts(classes);
    size_t size = 0;
    for (int64_t k = 0; k < classes; ++k) {
      counts[k] = (c * 7 + k * 13) % 23;
      size += counts[k];
    }
    summary.sizes.push_back(size);
    summary.label_counts.push_back(counts);
  }
  return summary;
}

ReportInput Input(size_t rounds) {
  ReportInput input;
  input.title = "fmnist-dirichlet";
  input.generated_at = "2024-05-01T12:00:00Z";
  input.facts = {{"clients", "30"}, {"model", "mlp"}};
  for (size_t r = 1; r <= rounds; ++r) {
    input.rounds.push_back(Row(r, 0.5 + 0.4 * r / std::max<size_t>(rounds, 1)));
  }
  input.partition = Partition(30, 10);
  input.final_model_sha256 =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  return input;
}

// Checks that the tags inside every <svg>...</svg> nest properly: each
// opened element is closed in order, and each <svg is closed.
::testing::AssertionResult SvgWellFormed(const std::string& page) {
  size_t at = 0;
  size_t svgs = 0;
  while ((at = page.find("<svg", at)) != std::string::npos) {
    ++svgs;
    std::vector<std::string> open;
    size_t pos = at;
    do {
      const size_t lt = page.find('<', pos);
      if (lt == std::string::npos) {
        return ::testing::AssertionFailure() << "svg " << svgs << " unclosed";
      }
      const size_t gt = page.find('>', lt);
      if (gt == std::string::npos) {
        return ::testing::AssertionFailure() << "tag not closed at " << lt;
      }
      const std::string tag = page.substr(lt + 1, gt - lt - 1);
      if (tag.empty()) return ::testing::AssertionFailure() << "empty tag";
      if (tag[0] == '/') {
        const std::string name = tag.substr(1);
        if (open.empty() || open.back() != name) {
          return ::testing::AssertionFailure()
                 << "</" << name << "> closes "
                 << (open.empty() ? "nothing" : "<" + open.back() + ">")
                 << " in svg " << svgs;
        }
        open.pop_back();
      } else if (tag.back() != '/') {
        open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
      }
      pos = gt + 1;
    } while (!open.empty());
    at = pos;
  }
  return ::testing::AssertionSuccess() << svgs << " svg elements";
}

TEST(RenderHtmlReportTest, HasEverySectionAndOneSvgPerChart) {
  const std::string page = RenderHtmlReport(Input(5));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id : {"results", "accuracy", "traffic", "timing",
                         "participation", "partition", "rounds"}) {
    EXPECT_THAT(page, HasSubstr(std::string("<section id=\"") + id + "\">"))
        << id;
  }
  // Accuracy, loss, bytes, stage times, participation, label heat map.
  EXPECT_EQ(Count(page, "<svg"), 6u);
  EXPECT_EQ(Count(page, "</svg>"), 6u);
  for (const char* title :
       {"<title>Accuracy per round</title>", "<title>Loss per round</title>",
        "<title>Bytes per round</title>", "<title>Round time by stage</title>",
        "<title>Participation per round</title>",
        "<title>Label distribution</title>"}) {
    EXPECT_EQ(Count(page, title), 1u) << title;
  }
  EXPECT_THAT(page, HasSubstr("<style>"));
  EXPECT_THAT(page, HasSubstr("@media print"));
  EXPECT_THAT(page, HasSubstr("break-inside: avoid"));
  EXPECT_TRUE(SvgWellFormed(page));
}

TEST(RenderHtmlReportTest,
     FleetMuchLargerThanCohortGetsItsOwnAvailabilityChart) {
  ReportInput input = Input(3);
  for (RoundRow& row : input.rounds) row.available = 10000;
  const std::string page = RenderHtmlReport(input);
  EXPECT_EQ(Count(page, "<svg"), 7u);
  EXPECT_THAT(page, HasSubstr("<title>Clients available per round</title>"));
}

TEST(RenderHtmlReportTest, NoExternalReferencesAndNoScript) {
  const std::string page = Lower(RenderHtmlReport(Input(5)));
  const size_t namespaces = Count(page, kSvgNamespace);
  EXPECT_EQ(namespaces, 6u);
  EXPECT_EQ(Count(page, "http"), namespaces);
  EXPECT_EQ(Count(page, "//"), namespaces);
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("url(")));
  EXPECT_THAT(page, Not(HasSubstr("@import")));
  EXPECT_THAT(page, Not(HasSubstr("@font-face")));
  EXPECT_THAT(page, Not(HasSubstr("<link")));
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("href=")));
}

TEST(RenderHtmlReportTest, ScriptInTitleFactsAndReasonIsEscaped) {
  ReportInput input = Input(2);
  input.title = "<script>alert('x')</script>";
  input.facts.push_back({"a&b", "\"quoted\" <i>"});
  input.rounds[1].status = "abandoned";
  input.rounds[1].reason = "<script>bad</script>";
  input.partition.scheme = "x<y";
  input.final_model_sha256 = "<img>";
  const std::string page = RenderHtmlReport(input);
  EXPECT_THAT(Lower(page), Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("<img>")));
  EXPECT_THAT(page, Not(HasSubstr("<i>")));
  EXPECT_THAT(page,
              HasSubstr("<h1>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
                        "</h1>"));
  EXPECT_THAT(page, HasSubstr("<title>&lt;script&gt;alert(&#39;x&#39;)"
                              "&lt;/script&gt; \u2013 fedge simulation report"
                              "</title>"));
  EXPECT_THAT(page, HasSubstr("<dt>a&amp;b</dt><dd>&quot;quoted&quot; "
                              "&lt;i&gt;</dd>"));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;bad&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("<dd>x&lt;y</dd>"));
  EXPECT_THAT(page, HasSubstr("<code>&lt;img&gt;</code>"));
}

TEST(RenderHtmlReportTest, MissingValuesProduceNoNanText) {
  ReportInput input = Input(4);
  input.rounds[1].accuracy = kNaN;
  input.rounds[1].loss = kNaN;
  input.rounds[2].train_loss = kNaN;
  input.rounds[3].accuracy = kNaN;
  input.rounds[3].loss = kNaN;
  input.rounds[3].train_loss = kNaN;
  input.rounds[3].status = "abandoned";
  input.rounds[3].reason = "too few updates";
  const std::string page = Lower(RenderHtmlReport(input));
  EXPECT_THAT(page, Not(HasSubstr("nan")));
  EXPECT_THAT(page, Not(HasSubstr("inf")));
  // The missing accuracy is a dash in the table.
  EXPECT_THAT(page, HasSubstr("<td>2</td><td class=\"text\">completed</td>"
                              "<td>\u2013</td>"));
}

TEST(RenderHtmlReportTest, DivergedLossShowsAsInfinity) {
  ReportInput input = Input(2);
  input.rounds[1].loss = std::numeric_limits<double>::infinity();
  const std::string page = RenderHtmlReport(input);
  EXPECT_THAT(page, HasSubstr("<td>90.00%</td><td>\u221e</td>"));
  EXPECT_THAT(Lower(page), Not(HasSubstr("inf")));
}

TEST(RenderHtmlReportTest, TableShowsKnownValues) {
  ReportInput input = Input(2);
  input.rounds[0].accuracy = 0.875;
  input.rounds[0].loss = 0.34126;
  input.rounds[0].bytes_up = 1234567;
  input.rounds[0].training_seconds = 2.5;
  const std::string page = RenderHtmlReport(input);
  EXPECT_THAT(page, HasSubstr("<td>1</td><td class=\"text\">completed</td>"
                              "<td>87.50%</td><td>0.3413</td>"));
  EXPECT_THAT(page, HasSubstr("<td>1.23</td>"));   // bytes up in MB
  EXPECT_THAT(page, HasSubstr("<td>2.500</td>"));  // training seconds
  // The results summary names the best round.
  EXPECT_THAT(page, HasSubstr("<dt>best accuracy</dt><dd>90.00% (round 2)"));
}

TEST(RenderHtmlReportTest, AbandonedRoundShowsItsReason) {
  ReportInput input = Input(3);
  input.rounds[1].status = "abandoned";
  input.rounds[1].reason = "only 2 of 3 required updates (deadline)";
  input.rounds[1].accuracy = kNaN;
  const std::string page = RenderHtmlReport(input);
  EXPECT_THAT(page, HasSubstr("<tr class=\"abandoned\"><td>2</td>"
                              "<td class=\"text\">abandoned<span "
                              "class=\"reason\">only 2 of 3 required updates "
                              "(deadline)</span></td>"));
  EXPECT_THAT(page, HasSubstr("<dt>abandoned</dt><dd>1</dd>"));
}

TEST(RenderHtmlReportTest, HeaderShowsFactsInOrderAndModelDigest) {
  const ReportInput input = Input(1);
  const std::string page = RenderHtmlReport(input);
  const size_t clients = page.find("<dt>clients</dt><dd>30</dd>");
  const size_t model = page.find("<dt>model</dt><dd>mlp</dd>");
  ASSERT_NE(clients, std::string::npos);
  ASSERT_NE(model, std::string::npos);
  EXPECT_LT(clients, model);
  EXPECT_THAT(page, HasSubstr("generated 2024-05-01T12:00:00Z"));
  EXPECT_THAT(page, HasSubstr("<code>" + input.final_model_sha256 + "</code>"));
}

TEST(RenderHtmlReportTest, PartitionStatisticsAndHeatMapOfFiftyClients) {
  ReportInput input = Input(2);
  input.partition = Partition(120, 10);
  const std::string page = RenderHtmlReport(input);
  EXPECT_THAT(page, HasSubstr("<dt>clients</dt><dd>120</dd>"));
  EXPECT_THAT(page, HasSubstr("<dt>classes</dt><dd>10</dd>"));
  EXPECT_THAT(page, HasSubstr("<dd>dirichlet(alpha=0.5)</dd>"));
  EXPECT_THAT(page, HasSubstr("First 50 of 120 clients."));
  EXPECT_THAT(page, HasSubstr(">client 49<"));
  EXPECT_THAT(page, Not(HasSubstr(">client 50<")));
  // Client 0 holds (13k mod 23) examples of class k: class 1 is 13 of 102.
  EXPECT_THAT(page, HasSubstr("<title>client 0, class 1: 13 of 102 (12.7%)"
                              "</title>"));
}

TEST(RenderHtmlReportTest, SingleRoundAndEmptyInputsRender) {
  const std::string one = RenderHtmlReport(Input(1));
  EXPECT_EQ(Count(one, "<svg"), 6u);
  EXPECT_TRUE(SvgWellFormed(one));

  ReportInput empty;
  const std::string page = RenderHtmlReport(empty);
  EXPECT_THAT(page, HasSubstr("<h1>fedge simulation</h1>"));
  EXPECT_THAT(page, HasSubstr("No partition summary was recorded."));
  EXPECT_THAT(page, HasSubstr("No rounds were run."));
  EXPECT_THAT(page, HasSubstr(">no data<"));
  EXPECT_EQ(Count(page, "<svg"), 5u);
  EXPECT_TRUE(SvgWellFormed(page));
  EXPECT_THAT(Lower(page), Not(HasSubstr("nan")));
}

TEST(RenderHtmlReportTest,
     ThousandRoundsAndTenThousandClientsStayUnderTwoMegabytes) {
  ReportInput input = Input(1000);
  input.rounds[10].accuracy = kNaN;
  input.rounds[500].status = "abandoned";
  input.rounds[500].reason = "deadline";
  input.partition = Partition(10000, 100);
  const std::string page = RenderHtmlReport(input);
  EXPECT_LT(page.size(), 2u * 1000 * 1000);
  EXPECT_EQ(Count(page, "<tr"), 1002u);  // 2 header rows + 1000 rounds
  EXPECT_EQ(Count(page, "<svg"), 6u);
  EXPECT_TRUE(SvgWellFormed(page));
}

TEST(RenderCsvTest, ExactOutputWithQuotedReasonAndEmptyNan) {
  RoundRow first;
  first.round = 1;
  first.status = "completed";
  first.accuracy = 0.875;
  first.loss = 0.25;
  first.train_loss = kNaN;
  first.selected = 10;
  first.completed = 9;
  first.dropped = 1;
  first.rejected = 0;
  first.bytes_up = 3600000;
  first.bytes_down = 4000000;
  first.selection_seconds = 0.1;
  first.training_seconds = 2.5;
  first.aggregation_seconds = 0.125;
  first.evaluation_seconds = 0.5;
  first.total_seconds = 3.225;
  first.available = 30;
  first.stragglers = 1;
  first.fleet_dropouts = 2;
  first.compute_seconds = 4.5;
  first.model_sha256 = "ab12";
  RoundRow second;
  second.round = 2;
  second.status = "abandoned";
  second.reason = "deadline passed, only 2 of \"3\" clients";
  second.accuracy = kNaN;
  second.loss = kNaN;
  second.train_loss = 0.5;
  second.selected = 3;
  second.completed = 2;
  second.total_seconds = 60;
  second.available = 28;

  EXPECT_EQ(RenderCsv({first, second}),
            "round,status,reason,accuracy,loss,train_loss,selected,completed,"
            "dropped,rejected,bytes_up,bytes_down,selection_seconds,"
            "training_seconds,aggregation_seconds,evaluation_seconds,"
            "total_seconds,available,stragglers,fleet_dropouts,compute_seconds,"
            "model_sha256\r\n"
            "1,completed,,0.875,0.25,,10,9,1,0,3600000,4000000,0.1,2.5,0.125,"
            "0.5,3.225,30,1,2,4.5,ab12\r\n"
            "2,abandoned,\"deadline passed, only 2 of \"\"3\"\" clients\",,,"
            "0.5,3,2,0,0,0,0,0,0,0,0,60,28,0,0,0,\r\n");
}

TEST(RenderCsvTest, NoRoundsGivesOnlyTheHeader) {
  const std::string csv = RenderCsv({});
  EXPECT_EQ(Count(csv, "\r\n"), 1u);
  EXPECT_EQ(csv.rfind("round,status,reason,", 0), 0u);
}

TEST(RenderCsvTest, NumbersReadBackExactly) {
  RoundRow row;
  row.accuracy = 1.0 / 3.0;
  row.loss = 2.0 / 7.0;
  row.train_loss = 1e-9;
  const std::string csv = RenderCsv({row});
  const std::string line = csv.substr(csv.find("\r\n") + 2);
  // Fields 4 to 6 (accuracy, loss, train_loss).
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string::npos;
       start = comma + 1) {
    fields.push_back(line.substr(start, comma - start));
  }
  ASSERT_GE(fields.size(), 6u);
  EXPECT_EQ(std::strtod(fields[3].c_str(), nullptr), 1.0 / 3.0);
  EXPECT_EQ(std::strtod(fields[4].c_str(), nullptr), 2.0 / 7.0);
  EXPECT_EQ(fields[5], "1e-09");
}

TEST(RenderCsvTest, FieldWithNewlineIsQuoted) {
  RoundRow row;
  row.status = "abandoned";
  row.reason = "line one\nline two";
  EXPECT_THAT(RenderCsv({row}),
              HasSubstr(",abandoned,\"line one\nline two\","));
}

}  // namespace
}  // namespace fedge::sim
