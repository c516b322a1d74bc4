#include "client/model_descriptor.h"

#include "common/crypto/sha256.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::client {
namespace {

using ::testing::HasSubstr;

v1::ModelDescriptor Mlp() {
  v1::ModelDescriptor d;
  d.set_kind("mlp");
  d.add_input_shape(1);
  d.add_input_shape(28);
  d.add_input_shape(28);
  d.set_num_classes(10);
  return d;
}

TEST(ModelDescriptorTest, KeptDescriptorComesBackWhole) {
  const std::string dir = fedge::testing::MakeTempDir("fedge_descriptor");
  auto none = LoadDescriptor(dir);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(SaveDescriptor(dir, Mlp()).ok());
  auto kept = LoadDescriptor(dir);
  ASSERT_TRUE(kept.ok() && kept->has_value()) << kept.status();
  EXPECT_EQ((*kept)->SerializeAsString(), Mlp().SerializeAsString());
  auto spec = SpecFromDescriptor(**kept, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, "mlp");
  EXPECT_EQ(spec->input_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(spec->num_classes, 10);
}

TEST(ModelDescriptorTest, DamagedFileSaysWhatToDo) {
  const std::string dir = fedge::testing::MakeTempDir("fedge_descriptor");
  ASSERT_TRUE(util::WriteFileAtomically(
                  util::JoinPath(dir, "model_descriptor.pb"), "\xff\xff\xff")
                  .ok());
  auto kept = LoadDescriptor(dir);
  EXPECT_EQ(kept.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(kept.status().message(), HasSubstr("delete it"));
}

TEST(ModelDescriptorTest, UnknownKindAsksForAnUpgrade) {
  v1::ModelDescriptor d = Mlp();
  d.set_kind("transformer");
  auto spec = SpecFromDescriptor(d, "");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(spec.status().message(), HasSubstr("upgrade fedge"));
}

TEST(ModelDescriptorTest, TorchScriptNeedsTheSameLocalFile) {
  const std::string dir = fedge::testing::MakeTempDir("fedge_descriptor");
  const std::string file = util::JoinPath(dir, "model.pt");
  ASSERT_TRUE(util::WriteFileAtomically(file, "scripted model").ok());
  v1::ModelDescriptor d = Mlp();
  d.set_kind("torchscript");
  d.set_torchscript_sha256(
      crypto::DigestBytes(crypto::Sha256(std::string("scripted model"))));
  EXPECT_THAT(SpecFromDescriptor(d, "").status().message(),
              HasSubstr("set model.torchscript"));
  auto spec = SpecFromDescriptor(d, file);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->torchscript_path, file);
  ASSERT_TRUE(util::WriteFileAtomically(file, "another model").ok());
  EXPECT_THAT(SpecFromDescriptor(d, file).status().message(),
              HasSubstr("differs from the federation's model"));
}

}  // namespace
}  // namespace fedge::client
