// Tests of torchscript_export.cc: a state written back into a TorchScript
// file is what the file holds when loaded again, with its dtypes; a state of
// another layout, a built-in kind or a missing source file leave the target
// untouched.

#include "common/models/torchscript_export.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/models/model.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::models {
namespace {

using tensor::ParameterSet;
using ::testing::AllOf;
using ::testing::HasSubstr;

// logits = (flatten(x) @ weight.t() + bias) * scale, with a float buffer
// "scale" and an int64 buffer "steps" (like num_batches_tracked).
std::string SaveModule(const std::string& name) {
  torch::jit::Module module("Linear");
  module.register_parameter(
      "weight",
      torch::arange(8, torch::kFloat).reshape({2, 4}).set_requires_grad(true),
      /*is_buffer=*/false);
  module.register_parameter("bias", torch::zeros({2}).set_requires_grad(true),
                            false);
  module.register_buffer("scale", torch::full({1}, 2.0));
  module.register_buffer("steps", torch::tensor({7}, torch::kLong));
  module.define(R"(
def forward(self, x):
    y = torch.matmul(torch.flatten(x, 1), self.weight.t()) + self.bias
    return y * self.scale
)");
  const std::string path = ::testing::TempDir() + "/" + name + ".pt";
  module.save(path);
  return path;
}

ModelSpec ScriptSpec(const std::string& path) {
  ModelSpec spec;
  spec.kind = "torchscript";
  spec.torchscript_path = path;
  spec.input_shape = {4};
  spec.num_classes = 2;
  return spec;
}

ParameterSet StateOf(const ModelSpec& spec) {
  absl::StatusOr<std::unique_ptr<Model>> model = CreateModel(spec);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? ExtractState(**model) : ParameterSet();
}

std::string OutDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/export_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(TorchScriptExportTest, RelativePathIsModelsRoundSixDigits) {
  EXPECT_EQ(TorchScriptExportRelativePath(0), "models/round-000000.pt");
  EXPECT_EQ(TorchScriptExportRelativePath(42), "models/round-000042.pt");
}

TEST(TorchScriptExportTest, ExportedFileHoldsTheStateAndKeepsDtypes) {
  const ModelSpec spec = ScriptSpec(SaveModule("roundtrip"));
  ParameterSet state = StateOf(spec);
  ASSERT_EQ(state.num_tensors(), 4u);
  for (float& v : state.mutable_tensor(0)) v += 0.5f;  // weight
  state.mutable_tensor(1)[1] = -3.0f;                  // bias
  state.mutable_tensor(2)[0] = 0.25f;                  // scale
  state.mutable_tensor(3)[0] = 9.6f;                   // steps: rounds to 10

  // The directory does not exist yet: the export creates it.
  const std::string out = OutDir("roundtrip") + "/models/round-000001.pt";
  ASSERT_TRUE(ExportTorchScript(spec, state, out).ok());

  ModelSpec exported_spec = spec;
  exported_spec.torchscript_path = out;
  const ParameterSet exported = StateOf(exported_spec);
  ASSERT_TRUE(exported.SameLayout(state));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(std::memcmp(exported.tensor(i).data(), state.tensor(i).data(),
                          state.tensor(i).size() * sizeof(float)),
              0)
        << state.specs()[i].name;
  }
  EXPECT_EQ(exported.tensor(3)[0], 10.0f);

  torch::jit::Module module = torch::jit::load(out);
  for (const auto& buffer : module.named_buffers()) {
    if (buffer.name == "steps") {
      EXPECT_EQ(buffer.value.scalar_type(), torch::kLong);
      EXPECT_EQ(buffer.value.item<int64_t>(), 10);
    }
  }
  for (const auto& p : module.named_parameters()) {
    EXPECT_TRUE(p.value.requires_grad()) << p.name;
  }
  // forward with the new values: ((1+..)+bias) * 0.25.
  torch::Tensor logits =
      module.forward({torch::ones({1, 4})}).toTensor().squeeze(0);
  EXPECT_FLOAT_EQ(logits[0].item<float>(), (0 + 1 + 2 + 3 + 4 * 0.5f) * 0.25f);
  EXPECT_FLOAT_EQ(logits[1].item<float>(),
                  (4 + 5 + 6 + 7 + 4 * 0.5f - 3.0f) * 0.25f);

  // The source file is unchanged.
  const ParameterSet original = StateOf(spec);
  EXPECT_EQ(original.tensor(2)[0], 2.0f);
  EXPECT_EQ(original.tensor(3)[0], 7.0f);
}

TEST(TorchScriptExportTest, ExportReplacesAnExistingFile) {
  const ModelSpec spec = ScriptSpec(SaveModule("replace"));
  ParameterSet state = StateOf(spec);
  const std::string out = OutDir("replace") + "/m.pt";
  ASSERT_TRUE(ExportTorchScript(spec, state, out).ok());
  state.mutable_tensor(2)[0] = 5.0f;
  ASSERT_TRUE(ExportTorchScript(spec, state, out).ok());
  ModelSpec exported_spec = spec;
  exported_spec.torchscript_path = out;
  EXPECT_EQ(StateOf(exported_spec).tensor(2)[0], 5.0f);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(out).parent_path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(TorchScriptExportTest, StateOfAnotherLayoutIsRefusedNamingTheTensor) {
  const ModelSpec spec = ScriptSpec(SaveModule("layout"));
  absl::StatusOr<ParameterSet> wrong =
      ParameterSet::Zeros({{"weight", {2, 5}}, {"bias", {2}}});
  ASSERT_TRUE(wrong.ok());
  const std::string out = OutDir("layout") + "/m.pt";
  absl::Status status = ExportTorchScript(spec, *wrong, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr(spec.torchscript_path), HasSubstr("weight")));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(TorchScriptExportTest, BuiltinKindIsUnimplemented) {
  ModelSpec spec;
  spec.kind = "mlp";
  spec.input_shape = {4};
  spec.num_classes = 2;
  const std::string out = OutDir("builtin") + "/m.pt";
  absl::Status status = ExportTorchScript(spec, StateOf(spec), out);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(status.message(), HasSubstr("mlp"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(TorchScriptExportTest, MissingSourceIsNotFoundNamingIt) {
  const ModelSpec spec = ScriptSpec(::testing::TempDir() + "/gone.pt");
  const std::string out = OutDir("missing") + "/m.pt";
  absl::Status status = ExportTorchScript(spec, ParameterSet(), out);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("gone.pt"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace fedge::models
