// The Admin service: only admin certificates may call it; status, client
// listing, revocation and stopping a run work against a live server.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

using ::testing::HasSubstr;

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = MakePki({"c1", "c2"});
    run_dir_ = MakeTempDir("fedge_run");
    // Needs three clients: the run waits in selection while we operate it.
    server::ServerOptions options;
    options.config = SmallServerConfig(pki_, run_dir_, 3, 3);
    options.show_progress = false;
    auto server = server::FederationServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<v1::Admin::Stub> AdminStub() {
    return v1::Admin::NewStub(AdminChannel(pki_, server_->port()));
  }

  TestPki pki_;
  std::string run_dir_;
  std::unique_ptr<server::FederationServer> server_;
};

TEST_F(AdminTest, DeviceCertificateIsRefused) {
  auto stub = v1::Admin::NewStub(DeviceChannel(pki_, "c1", server_->port()));
  grpc::ClientContext context;
  v1::RunStatus status;
  grpc::Status result =
      stub->GetStatus(&context, v1::GetStatusRequest(), &status);
  EXPECT_EQ(result.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(result.error_message(),
              HasSubstr("accepts only admin certificates, and the "
                        "certificate of c1 has role device"));
  grpc::ClientContext stop_context;
  v1::StopRunResponse stopped;
  EXPECT_EQ(
      stub->StopRun(&stop_context, v1::StopRunRequest(), &stopped).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server_->run_state().summary().state, "running");
}

TEST_F(AdminTest, StatusClientsRevokeAndStop) {
  const data::Dataset& data = FashionMnistTest();
  ClientThread c1(pki_, "c1", server_->port(), Slice(data, 0, 50));
  ClientThread c2(pki_, "c2", server_->port(), Slice(data, 50, 50));
  c1.Start();
  c2.Start();
  auto stub = AdminStub();
  // Wait (bounded) until both clients are connected, as status reports it.
  v1::RunStatus status;
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(
        stub->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
    if (status.connected_clients() == 2) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(status.connected_clients(), 2u);
  EXPECT_EQ(status.run_id(), "test-run");
  EXPECT_EQ(status.state(), "running");
  EXPECT_EQ(status.round(), 1u);
  EXPECT_EQ(status.stage(), "selecting");
  EXPECT_EQ(status.total_rounds(), 3u);

  {
    grpc::ClientContext context;
    v1::RevokeClientRequest request;
    request.set_client_id("c2");
    request.set_reason("lost device");
    v1::RevokeClientResponse response;
    ASSERT_TRUE(stub->RevokeClient(&context, request, &response).ok());
    EXPECT_TRUE(response.was_connected());
  }
  // The revoked client's stream is closed with PERMISSION_DENIED, which a
  // client takes as final.
  absl::Status c2_status = c2.Join();
  EXPECT_EQ(c2_status.code(), absl::StatusCode::kPermissionDenied) << c2_status;
  EXPECT_THAT(std::string(c2_status.message()),
              HasSubstr("revoked by admin: lost device"));
  {
    grpc::ClientContext context;
    v1::ListClientsResponse response;
    ASSERT_TRUE(
        stub->ListClients(&context, v1::ListClientsRequest(), &response).ok());
    ASSERT_EQ(response.clients_size(), 2);
    EXPECT_EQ(response.clients(0).client_id(), "c1");
    EXPECT_TRUE(response.clients(0).connected());
    EXPECT_FALSE(response.clients(0).revoked());
    EXPECT_EQ(response.clients(1).client_id(), "c2");
    EXPECT_TRUE(response.clients(1).revoked());
    EXPECT_FALSE(response.clients(1).connected());
  }
  // A new connection of the revoked device fails the handshake.
  auto device =
      v1::Federation::NewStub(DeviceChannel(pki_, "c2", server_->port()));
  grpc::ClientContext join_context;
  v1::JoinResponse joined;
  EXPECT_EQ(
      device->Join(&join_context, v1::JoinRequest(), &joined).error_code(),
      grpc::StatusCode::UNAVAILABLE);

  {
    grpc::ClientContext context;
    v1::StopRunRequest request;
    request.set_reason("maintenance");
    v1::StopRunResponse response;
    ASSERT_TRUE(stub->StopRun(&context, request, &response).ok());
  }
  ASSERT_TRUE(server_->Wait().ok());
  EXPECT_TRUE(c1.Join().ok());  // told the run finished
  EXPECT_EQ(server_->run_state().summary().state, "finished");
  auto rounds = server_->store().ListRounds();
  ASSERT_EQ(rounds->size(), 1u);
  EXPECT_EQ((*rounds)[0].status, "abandoned");
  EXPECT_EQ((*rounds)[0].reason, "run stopped (stopped by admin: maintenance)");
}

}  // namespace
}  // namespace fedge::testing
