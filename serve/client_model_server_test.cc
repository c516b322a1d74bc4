#include "serve/client_model_server.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/models/initial_state.h"
#include "common/net/http_server.h"
#include "common/tensor/serialization.h"
#include "common/testing/http_client.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::serve {
namespace {

using ::testing::HasSubstr;

models::ModelSpec Mlp() {
  models::ModelSpec spec;
  spec.kind = "mlp";
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.init_seed = 3;
  return spec;
}

// Stores a model in a client's state directory as the client does.
void Store(const std::string& dir, const models::ModelSpec& spec,
           uint64_t version) {
  tensor::ParameterSet state = *models::InitialState(spec);
  for (float& v : state.mutable_values()) v *= static_cast<float>(version + 1);
  ASSERT_TRUE(
      util::WriteFileAtomically(util::JoinPath(dir, "global_model.fedge"),
                                tensor::Serialize(state))
          .ok());
  ASSERT_TRUE(
      util::WriteFileAtomically(util::JoinPath(dir, "global_model.version"),
                                absl::StrCat(version))
          .ok());
}

std::unique_ptr<ClientModelServer> Start(ClientModelServerOptions options) {
  auto server = ClientModelServer::Create(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

ClientModelServerOptions Options(const std::string& dir) {
  ClientModelServerOptions options;
  options.state_dir = dir;
  options.http_address = "127.0.0.1:0";
  // Longer than any test: every swap below comes from ModelStored.
  options.poll_interval = absl::Hours(1);
  return options;
}

TEST(ClientModelServerTest, StartsWithTheFirstStoredModelAndSwapsAtOnce) {
  const std::string dir = fedge::testing::MakeTempDir("client-serve");
  auto server = Start(Options(dir));
  ASSERT_NE(server, nullptr);
  // Joined, nothing stored yet: nothing served, no error.
  ASSERT_TRUE(server->SetSpec(Mlp()).ok());
  EXPECT_EQ(server->current(), nullptr);
  EXPECT_EQ(server->http_port(), 0);
  // A model stored before the architecture is known waits for it.
  Store(dir, Mlp(), 1);
  ASSERT_TRUE(server->ModelStored().ok());
  ASSERT_NE(server->current(), nullptr);
  EXPECT_EQ(server->current()->version(), 1u);
  const int port = server->http_port();
  ASSERT_NE(port, 0);
  EXPECT_THAT(fedge::testing::HttpGet(port, "/healthz"), HasSubstr("200"));

  Store(dir, Mlp(), 2);
  ASSERT_TRUE(server->ModelStored().ok());
  EXPECT_EQ(server->current()->version(), 2u);
  EXPECT_EQ(server->http_port(), port);
  // Joining again with the same model changes nothing.
  ASSERT_TRUE(server->SetSpec(Mlp()).ok());
  EXPECT_EQ(server->current()->version(), 2u);
  EXPECT_EQ(server->http_port(), port);
  EXPECT_THAT(fedge::testing::HttpGet(port, "/metrics"),
              HasSubstr("fedge_serve_model_swaps_total 1"));

  server->Shutdown();
  server->Wait();  // returns: shut down
  Store(dir, Mlp(), 3);
  EXPECT_TRUE(server->ModelStored().ok());
  EXPECT_EQ(server->current()->version(), 2u);
}

// A client restarted with a model in its state directory serves it as soon
// as it has joined; one of another architecture waits for the next model.
TEST(ClientModelServerTest, ServesAKeptModelOnJoinIfItFits) {
  const std::string dir = fedge::testing::MakeTempDir("client-serve-kept");
  Store(dir, Mlp(), 7);
  {
    auto server = Start(Options(dir));
    ASSERT_NE(server, nullptr);
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(server->SetSpec(Mlp()).ok());
    ASSERT_NE(server->current(), nullptr);
    EXPECT_EQ(server->current()->version(), 7u);
  }
  models::ModelSpec cnn = Mlp();
  cnn.kind = "cnn";
  auto server = Start(Options(dir));
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->SetSpec(cnn).ok());
  EXPECT_EQ(server->current(), nullptr);
  Store(dir, cnn, 8);
  ASSERT_TRUE(server->ModelStored().ok());
  ASSERT_NE(server->current(), nullptr);
  EXPECT_EQ(server->current()->version(), 8u);
  // The federation's model changes: the old server stops, the new one
  // starts with a model of the new architecture.
  ASSERT_TRUE(server->SetSpec(Mlp()).ok());
  EXPECT_EQ(server->current(), nullptr);
  Store(dir, Mlp(), 9);
  ASSERT_TRUE(server->ModelStored().ok());
  ASSERT_NE(server->current(), nullptr);
  EXPECT_EQ(server->current()->version(), 9u);
}

TEST(ClientModelServerTest, AddressesAreCheckedAtCreateAndAtStart) {
  const std::string dir = fedge::testing::MakeTempDir("client-serve-busy");
  Store(dir, Mlp(), 1);
  ClientModelServerOptions options = Options(dir);
  options.http_address = "";
  EXPECT_EQ(ClientModelServer::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.http_address = "8080";
  EXPECT_EQ(ClientModelServer::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto taken = net::HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(taken.ok()) << taken.status();
  options.http_address = absl::StrCat("127.0.0.1:", (*taken)->port());
  absl::Status busy = ClientModelServer::Create(options).status();
  EXPECT_EQ(busy.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(busy.message(), HasSubstr(options.http_address));

  // Free at Create, taken by the time the first model arrives: SetSpec
  // says so, and the caller stops.
  (*taken)->Shutdown();
  taken->reset();
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  auto again = net::HttpServer::Start(options.http_address);
  ASSERT_TRUE(again.ok()) << again.status();
  absl::Status status = server->SetSpec(Mlp());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("cannot serve the global model"));
  EXPECT_THAT(status.message(), HasSubstr(options.http_address));
  EXPECT_EQ(server->current(), nullptr);
  (*again)->Shutdown();
}

}  // namespace
}  // namespace fedge::serve
