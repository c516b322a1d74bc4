#include "common/audit/audit_invariants.h"

#include <string>
#include <vector>

#include "common/audit/audit_event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

using ::testing::HasSubstr;

v1::AuditEvent At(uint64_t round) {
  v1::AuditEvent e;
  e.set_round(round);
  e.set_actor("server");
  return e;
}

v1::AuditEvent Selected(uint64_t round, std::vector<std::string> ids,
                        uint64_t base_version) {
  v1::AuditEvent e = At(round);
  for (const std::string& id : ids) {
    e.mutable_cohort_selected()->add_client_ids(id);
  }
  e.mutable_cohort_selected()->set_model_version(base_version);
  return e;
}

v1::AuditEvent Accepted(uint64_t round, const std::string& id) {
  v1::AuditEvent e = At(round);
  e.set_actor(id);
  e.mutable_upload_accepted()->set_client_id(id);
  e.mutable_upload_accepted()->set_bytes(400);
  return e;
}

v1::AuditEvent Rejected(uint64_t round, const std::string& id) {
  v1::AuditEvent e = At(round);
  e.mutable_upload_rejected()->set_client_id(id);
  e.mutable_upload_rejected()->set_reason("NaN in layer fc1");
  return e;
}

v1::AuditEvent Dropped(uint64_t round, const std::string& id) {
  v1::AuditEvent e = At(round);
  e.mutable_client_dropped()->set_client_id(id);
  e.mutable_client_dropped()->set_reason("disconnected");
  return e;
}

v1::AuditEvent Secure(uint64_t round, uint32_t threshold,
                      std::vector<std::string> survivors) {
  v1::AuditEvent e = At(round);
  e.mutable_secure_aggregation()->set_threshold(threshold);
  for (const std::string& id : survivors) {
    e.mutable_secure_aggregation()->add_survivors(id);
  }
  return e;
}

v1::AuditEvent Committed(uint64_t round, uint64_t version,
                         std::vector<std::string> contributors) {
  v1::AuditEvent e = At(round);
  e.mutable_round_committed()->set_model_version(version);
  for (const std::string& id : contributors) {
    e.mutable_round_committed()->add_contributors(id);
  }
  return e;
}

v1::AuditEvent Withdrawn(const std::string& id) {
  v1::AuditEvent e = At(0);
  e.set_actor(id);
  e.mutable_consent_withdrawn()->set_client_id(id);
  return e;
}

v1::AuditEvent Erased(const std::string& id) {
  v1::AuditEvent e = At(0);
  e.set_actor("admin");
  e.mutable_erasure_requested()->set_client_id(id);
  return e;
}

v1::AuditEvent Joined(const std::string& id, const std::string& region) {
  v1::AuditEvent e = At(0);
  e.set_actor(id);
  e.mutable_client_joined()->set_client_id(id);
  e.mutable_client_joined()->set_region(region);
  return e;
}

v1::AuditEvent Spent(double epsilon) {
  v1::AuditEvent e = At(0);
  e.mutable_privacy_spent()->set_epsilon(epsilon);
  e.mutable_privacy_spent()->set_delta(1e-5);
  return e;
}

// A scripted run: three clients; round 1 plaintext with a rejection; a
// client withdraws; round 2 secure with a dropout.
std::vector<v1::AuditEvent> Script() {
  v1::AuditEvent start = At(0);
  start.mutable_run_started()->set_run_id("r");
  start.mutable_run_started()->add_allowed_regions("eu-west");
  start.mutable_run_started()->add_allowed_regions("eu-north");
  start.mutable_run_started()->set_epsilon_budget(2.0);
  return {
      start,
      Selected(1, {"a", "b", "c"}, 0),
      Accepted(1, "a"),
      Rejected(1, "b"),
      Accepted(1, "c"),
      Committed(1, 1, {"a", "c"}),
      Withdrawn("b"),
      Selected(2, {"a", "c", "d"}, 1),
      Accepted(2, "a"),
      Accepted(2, "c"),
      Dropped(2, "d"),
      Secure(2, 2, {"a", "c"}),
      Committed(2, 2, {"a", "c"}),
  };
}

std::string Check(const std::vector<v1::AuditEvent>& events) {
  absl::Status s = CheckInvariants(events);
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(AuditInvariantsTest, AnHonestRunHoldsThemAll) {
  EXPECT_EQ(Check(Script()), "ok");
}

TEST(AuditInvariantsTest, EachBreachIsNamedAtItsEntry) {
  struct Breach {
    const char* what;
    std::vector<v1::AuditEvent> events;
    const char* message;
  };
  std::vector<Breach> breaches;
  auto with = [](size_t at, v1::AuditEvent e) {
    std::vector<v1::AuditEvent> events = Script();
    events.insert(events.begin() + static_cast<long>(at), std::move(e));
    return events;
  };
  auto replacing = [](size_t at, v1::AuditEvent e) {
    std::vector<v1::AuditEvent> events = Script();
    events[at] = std::move(e);
    return events;
  };
  breaches.push_back({"not selected", with(2, Accepted(1, "z")),
                      "entry 2: upload accepted from z, which was not "
                      "selected"});
  breaches.push_back(
      {"twice", with(3, Accepted(1, "a")), "entry 3: a second upload"});
  breaches.push_back({"not accepted", replacing(5, Committed(1, 1, {"a", "b"})),
                      "entry 5: round 1's aggregate includes b"});
  breaches.push_back({"selected after withdrawal",
                      replacing(7, Selected(2, {"a", "b"}, 1)),
                      "entry 7: b selected for round 2 after withdrawing"});
  breaches.push_back({"accepted after withdrawal", with(9, Withdrawn("c")),
                      "entry 10: upload accepted from c after it withdrew"});
  breaches.push_back({"rounds go back",
                      replacing(7, Selected(1, {"a", "c"}, 1)),
                      "entry 7: round 1 selected after round 1 ended"});
  breaches.push_back({"below threshold",
                      replacing(11, Secure(2, 3, {"a", "c"})),
                      "entry 11: round 2 unmasked a sum of 2 clients, fewer "
                      "than its threshold 3"});
  breaches.push_back({"not the survivors",
                      replacing(12, Committed(2, 2, {"a"})),
                      "not exactly the survivors"});
  breaches.push_back({"version not rising",
                      replacing(12, Committed(2, 1, {"a", "c"})),
                      "committed model version 1 on top of version 1"});
  breaches.push_back({"stale model sent",
                      replacing(7, Selected(2, {"a", "c", "d"}, 0)),
                      "entry 7: round 2 was sent model version 0 but the "
                      "latest committed version is 1"});
  {
    v1::AuditEvent resumed = Script()[0];
    resumed.mutable_run_started()->set_resumed(true);
    resumed.mutable_run_started()->set_model_version(0);
    breaches.push_back({"resumed from an older model", with(6, resumed),
                        "entry 6: the server resumed from model version 0 "
                        "but the log's last committed version is 1"});
  }
  breaches.push_back({"outside a round", with(6, Accepted(1, "a")),
                      "entry 6: an accepted upload for round 1, which is not "
                      "in progress"});
  breaches.push_back({"joined after withdrawal",
                      with(7, Joined("b", "eu-west")),
                      "entry 7: b joined again after withdrawing"});
  breaches.push_back({"accepted after erasure", with(9, Erased("c")),
                      "entry 10: upload accepted from c after it withdrew"});
  breaches.push_back({"region not allowed", with(1, Joined("e", "us-east")),
                      "entry 1: e joined from region 'us-east', which the "
                      "run does not allow"});
  breaches.push_back({"a dropout outside a round", with(6, Dropped(1, "b")),
                      "entry 6: a dropout for round 1, which is not in "
                      "progress"});
  breaches.push_back({"rejected before its round", with(2, Rejected(2, "a")),
                      "entry 2: an upload rejected for round 2, which has "
                      "not started"});
  breaches.push_back({"budget exceeded", with(6, Spent(2.5)),
                      "entry 6: privacy spent (epsilon 2.5) exceeds the "
                      "run's budget of 2"});
  {
    std::vector<v1::AuditEvent> falling = with(6, Spent(1.5));
    falling.insert(falling.begin() + 7, Spent(1.0));
    breaches.push_back({"spent falls", falling,
                        "entry 7: privacy spent went down from 1.5 to 1"});
  }
  for (const Breach& b : breaches) {
    EXPECT_THAT(Check(b.events), HasSubstr(b.message)) << b.what;
  }
}

TEST(AuditInvariantsTest, VersionsSkipTheNumbersOfAbandonedRounds) {
  // Models are numbered by their round: round 2 abandoned, round 3 trains
  // version 1 and commits version 3. A restart then resumes from 3.
  const std::vector<v1::AuditEvent> script = Script();
  std::vector<v1::AuditEvent> events(script.begin(), script.begin() + 7);
  events.push_back(Selected(2, {"a", "c"}, 1));
  v1::AuditEvent abandoned = At(2);
  abandoned.mutable_round_abandoned()->set_reason("too few uploads");
  events.push_back(abandoned);
  events.push_back(Selected(3, {"a", "c"}, 1));
  events.push_back(Accepted(3, "a"));
  events.push_back(Accepted(3, "c"));
  events.push_back(Committed(3, 3, {"a", "c"}));
  v1::AuditEvent resumed = script[0];
  resumed.mutable_run_started()->set_resumed(true);
  resumed.mutable_run_started()->set_model_version(3);
  events.push_back(resumed);
  events.push_back(Selected(4, {"a", "c"}, 3));
  EXPECT_EQ(Check(events), "ok");
}

TEST(AuditInvariantsTest, LateRejectionsAndEarlyAbandonmentsAreAllowed) {
  std::vector<v1::AuditEvent> events = Script();
  // A late upload for round 1 refused after it committed; round 3 ends
  // before selecting anyone (too few clients connected).
  events.insert(events.begin() + 6, Rejected(1, "c"));
  v1::AuditEvent abandoned = At(3);
  abandoned.mutable_round_abandoned()->set_reason("only 1 of 2 connected");
  events.push_back(abandoned);
  events.push_back(Spent(1.9));
  EXPECT_EQ(Check(events), "ok");
}

TEST(AuditInvariantsTest, ARoundRunAnewAfterARestartIsAllowed) {
  std::vector<v1::AuditEvent> events = Script();
  // Round 2 was selected, the server restarted, and round 2 ran again.
  events.insert(events.begin() + 8, Selected(2, {"a", "c"}, 1));
  EXPECT_EQ(Check(events), "ok");
}

TEST(AuditInvariantsTest, ASiteRoundStartsFromTheAdoptedUpstreamModel) {
  // A site aggregator: round n starts from the upstream's model, adopted as
  // version 2n-1, and commits version 2n.
  auto adopted = [](uint64_t version) {
    v1::AuditEvent e = At(0);
    e.mutable_upstream_model()->set_model_version(version);
    e.mutable_upstream_model()->set_upstream("cloud:50051");
    return e;
  };
  const std::vector<v1::AuditEvent> script = Script();
  std::vector<v1::AuditEvent> site = {script[0],
                                      adopted(1),
                                      Selected(1, {"a", "c"}, 1),
                                      Accepted(1, "a"),
                                      Accepted(1, "c"),
                                      Committed(1, 2, {"a", "c"}),
                                      adopted(3),
                                      Selected(2, {"a", "c"}, 3)};
  EXPECT_EQ(Check(site), "ok");

  std::vector<v1::AuditEvent> stale = site;
  stale[7] = Selected(2, {"a", "c"}, 2);  // the site's own, not upstream's
  EXPECT_EQ(Check(stale),
            "entry 7: round 2 was sent model version 2 but the latest "
            "committed version is 3");
  std::vector<v1::AuditEvent> backwards = site;
  backwards[6] = adopted(2);
  EXPECT_EQ(Check(backwards),
            "entry 6: an upstream model adopted as version 2 after version 2: "
            "versions must rise");
  // The site restarted after adopting version 3: it resumes from its own
  // commit (version 2) and adopts the upstream's model again.
  std::vector<v1::AuditEvent> restarted(site.begin(), site.begin() + 7);
  v1::AuditEvent resumed = script[0];
  resumed.mutable_run_started()->set_resumed(true);
  resumed.mutable_run_started()->set_model_version(2);
  restarted.push_back(resumed);
  restarted.push_back(adopted(3));
  restarted.push_back(Selected(2, {"a", "c"}, 3));
  EXPECT_EQ(Check(restarted), "ok");
  restarted[7].mutable_run_started()->set_model_version(3);
  EXPECT_EQ(Check(restarted),
            "entry 7: the server resumed from model version 3 but the log's "
            "last committed version is 2");
  std::vector<v1::AuditEvent> mid_round = site;
  mid_round.insert(mid_round.begin() + 4, adopted(5));
  EXPECT_EQ(Check(mid_round),
            "entry 4: an upstream model adopted while round 1 is in "
            "progress");
}

TEST(AuditEventTest, EncodingIsDeterministicAndDecodes) {
  for (const v1::AuditEvent& e : Script()) {
    const std::string bytes = EncodeEvent(e);
    EXPECT_EQ(bytes, EncodeEvent(e));
    absl::StatusOr<v1::AuditEvent> decoded = DecodeEvent(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(EncodeEvent(*decoded), bytes);
  }
  EXPECT_EQ(DecodeEvent("\xff\xff garbage").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEvent("").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fedge::audit
