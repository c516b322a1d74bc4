// What a server exposes besides the Federation service: the standard gRPC
// health and reflection services, the Prometheus endpoint, and the
// loudly-labelled insecure demo mode.

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/testing/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

using ::testing::HasSubstr;

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::ByteBuffer FromString(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

void* Tag(intptr_t i) { return reinterpret_cast<void*>(i); }

// Waits for the completion of `tag` on `cq`.
bool Await(grpc::CompletionQueue& cq, intptr_t tag) {
  void* got = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&got, &ok));
  EXPECT_EQ(got, Tag(tag));
  return ok;
}

class ServiceSurfaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = MakePki({"c1"});
    config::ServerConfig config =
        SmallServerConfig(pki_, MakeTempDir("fedge_run"), 1, 2);
    config.metrics_address = "127.0.0.1:0";
    server::ServerOptions options;
    options.config = config;
    options.show_progress = false;
    auto server = server::FederationServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  TestPki pki_;
  std::unique_ptr<server::FederationServer> server_;
};

TEST_F(ServiceSurfaceTest, HealthServiceReportsServing) {
  grpc::GenericStub stub(DeviceChannel(pki_, "c1", server_->port()));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  // grpc.health.v1.HealthCheckRequest{service: ""} is the empty message.
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check",
                                    FromString(""), &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, Tag(1));
  Await(cq, 1);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
  EXPECT_EQ(ToString(response), std::string("\x08\x01", 2));
}

TEST_F(ServiceSurfaceTest, ReflectionListsTheFedgeServices) {
  grpc::GenericStub stub(DeviceChannel(pki_, "c1", server_->port()));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  auto call = stub.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(Tag(1));
  ASSERT_TRUE(Await(cq, 1));
  // ServerReflectionRequest{list_services: ""}: field 7, length 0.
  call->Write(FromString(std::string("\x3a\x00", 2)), Tag(2));
  ASSERT_TRUE(Await(cq, 2));
  grpc::ByteBuffer response;
  call->Read(&response, Tag(3));
  ASSERT_TRUE(Await(cq, 3));
  std::string bytes = ToString(response);
  EXPECT_THAT(bytes, HasSubstr("fedge.v1.Federation"));
  EXPECT_THAT(bytes, HasSubstr("fedge.v1.Admin"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  call->WritesDone(Tag(4));
  Await(cq, 4);
  grpc::Status status;
  call->Finish(&status, Tag(5));
  Await(cq, 5);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServiceSurfaceTest, MetricsEndpointServesPrometheusText) {
  ASSERT_GT(server_->metrics_port(), 0);
  std::string response = HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(response, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(response, HasSubstr("# TYPE fedge_server_rounds_total counter"));
  EXPECT_THAT(response, HasSubstr("fedge_server_connected_clients 0"));
  EXPECT_THAT(HttpGet(server_->metrics_port(), "/healthz"),
              HasSubstr("\r\n\r\nok\n"));
}

TEST(InsecureDemoTest, ClientsNameThemselvesAndARoundCompletes) {
  TestPki pki = MakePki({});
  std::string run_dir = MakeTempDir("fedge_run");
  server::ServerOptions options;
  options.config = SmallServerConfig(pki, run_dir, 1, 2);
  options.insecure_local_demo = true;
  options.show_progress = false;
  auto server = server::FederationServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  const data::Dataset& data = FashionMnistTest();
  std::vector<data::Dataset> parts = {Slice(data, 0, 60), Slice(data, 60, 60)};
  std::vector<std::unique_ptr<client::EdgeClient>> clients;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(2);
  for (int i = 0; i < 2; ++i) {
    client::EdgeClientOptions o;
    o.server_address = absl::StrCat("127.0.0.1:", (*server)->port());
    o.insecure_client_id = absl::StrCat("demo-", i);
    o.consent.purpose_id = "fedge-training";
    const data::Dataset* part = &parts[i];
    clients.push_back(std::make_unique<client::EdgeClient>(
        o,
        [part](const models::ModelSpec& spec) {
          return client::CreateLocalTrainer(spec, part);
        },
        nullptr, nullptr));
  }
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] { results[i] = clients[i]->Run(); });
  }
  ASSERT_TRUE((*server)->Wait().ok());
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r;
  auto listed = (*server)->store().ListClients();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].client_id, "demo-0");
  auto rounds = (*server)->store().ListRounds();
  ASSERT_EQ(rounds->size(), 1u);
  EXPECT_EQ((*rounds)[0].status, "completed");
}

}  // namespace
}  // namespace fedge::testing
