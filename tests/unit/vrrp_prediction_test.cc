#include "coordinator/vrrp_prediction.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;
using Outcome = TakeoverPrediction::Outcome;

v1::NodeStatus Node(const std::string& name, const std::string& state, uint32_t priority,
                    bool nopreempt) {
  v1::NodeStatus s;
  s.set_node(name);
  v1::KeepalivedState* k = s.mutable_keepalived();
  k->set_config_file("/etc/keepalived/keepalived.conf");
  v1::VrrpInstanceConfig* i = k->mutable_instance();
  i->set_name("VI_1");
  i->set_state(state);
  i->set_priority(priority);
  i->set_nopreempt(nopreempt);
  i->set_origin("/etc/keepalived/keepalived.conf:7");
  i->set_advert_int_ms(1000);
  return s;
}

TEST(VrrpPredictionTest, HigherPriorityWithoutNopreemptTakes) {
  TakeoverPrediction p =
      PredictTakeover(Node("db1", "BACKUP", 100, false), Node("db2", "MASTER", 150, false));
  EXPECT_EQ(p.outcome, Outcome::kTakes);
  EXPECT_EQ(p.reason,
            "db2's vrrp_instance VI_1 (/etc/keepalived/keepalived.conf:7) has priority 150 > 100 "
            "on db1 and no nopreempt, so it preempts");
}

TEST(VrrpPredictionTest, NopreemptWithBackupStays) {
  TakeoverPrediction p =
      PredictTakeover(Node("db1", "BACKUP", 100, true), Node("db2", "BACKUP", 200, true));
  EXPECT_EQ(p.outcome, Outcome::kStays);
  EXPECT_THAT(p.reason, HasSubstr("BACKUP with nopreempt"));
}

TEST(VrrpPredictionTest, NopreemptIsIgnoredWithStateMaster) {
  TakeoverPrediction p =
      PredictTakeover(Node("db1", "BACKUP", 100, true), Node("db2", "MASTER", 101, true));
  EXPECT_EQ(p.outcome, Outcome::kTakes);
  EXPECT_THAT(p.reason, HasSubstr("which keepalived ignores with state MASTER"));
}

TEST(VrrpPredictionTest, EqualOrLowerPriorityStays) {
  EXPECT_EQ(
      PredictTakeover(Node("db1", "BACKUP", 100, false), Node("db2", "BACKUP", 100, false)).outcome,
      Outcome::kStays);
  TakeoverPrediction lower =
      PredictTakeover(Node("db1", "MASTER", 150, false), Node("db2", "BACKUP", 100, false));
  EXPECT_EQ(lower.outcome, Outcome::kStays);
  EXPECT_THAT(lower.reason, HasSubstr("priority 100 < 150 on db1"));
}

TEST(VrrpPredictionTest, AddressOwnerAlwaysTakes) {
  TakeoverPrediction p =
      PredictTakeover(Node("db1", "MASTER", 254, false), Node("db2", "BACKUP", 255, true));
  EXPECT_EQ(p.outcome, Outcome::kTakes);
  EXPECT_THAT(p.reason, HasSubstr("priority 255"));
}

TEST(VrrpPredictionTest, PreemptDelayAndTrackingAreSaid) {
  v1::NodeStatus db2 = Node("db2", "BACKUP", 150, false);
  db2.mutable_keepalived()->mutable_instance()->set_preempt_delay_s(300);
  db2.mutable_keepalived()->mutable_instance()->set_tracked(true);
  TakeoverPrediction p = PredictTakeover(Node("db1", "BACKUP", 100, false), db2);
  EXPECT_EQ(p.outcome, Outcome::kTakes);
  EXPECT_EQ(p.delay_s, 300u);
  EXPECT_THAT(p.reason, HasSubstr("after preempt_delay 300 s"));
  EXPECT_THAT(p.reason, HasSubstr("track_* weights"));
}

TEST(VrrpPredictionTest, UnknownConfigIsUnknownWithTheCause) {
  v1::NodeStatus db2;
  db2.set_node("db2");
  db2.mutable_keepalived()->set_config_file("/etc/keepalived/keepalived.conf");
  db2.mutable_keepalived()->set_config_error("cannot read /etc/keepalived/keepalived.conf");
  TakeoverPrediction p = PredictTakeover(Node("db1", "BACKUP", 100, true), db2);
  EXPECT_EQ(p.outcome, Outcome::kUnknown);
  EXPECT_THAT(p.reason, HasSubstr("cannot read /etc/keepalived/keepalived.conf"));

  v1::NodeStatus db1;
  db1.set_node("db1");
  TakeoverPrediction q = PredictTakeover(db1, Node("db2", "BACKUP", 150, false));
  EXPECT_EQ(q.outcome, Outcome::kUnknown);
  EXPECT_THAT(q.reason, HasSubstr("db1's priority is unknown"));
  // nopreempt on a BACKUP decides it without the holder's config.
  EXPECT_EQ(PredictTakeover(db1, Node("db2", "BACKUP", 150, true)).outcome, Outcome::kStays);
}

TEST(VrrpPredictionTest, Describe) {
  EXPECT_EQ(DescribeVrrp(Node("db1", "BACKUP", 100, true).keepalived()),
            "VI_1: BACKUP, priority 100, nopreempt (/etc/keepalived/keepalived.conf:7)");
  EXPECT_EQ(DescribeVrrp(Node("db1", "", 100, false).keepalived(), false),
            "VI_1: BACKUP (default), priority 100, preempt");
  EXPECT_EQ(DescribeVrrp(v1::KeepalivedState()), "(no keepalived config_file)");
}

}  // namespace
}  // namespace mmresync::coordinator
