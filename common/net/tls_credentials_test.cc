#include "common/net/tls_credentials.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/net/tls_policy.h"
#include "common/pki/authority.h"
#include "common/pki/revocation.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "fedge/v1/federation.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::net {
namespace {

using ::testing::HasSubstr;

// Join answers with the identity the server took from the certificate and
// remembers it, so a test can see the role too.
class IdentityEchoService final : public v1::Federation::Service {
 public:
  grpc::Status Join(grpc::ServerContext* context, const v1::JoinRequest*,
                    v1::JoinResponse* response) override {
    calls_.fetch_add(1);
    absl::StatusOr<pki::PeerIdentity> peer = PeerFromContext(*context);
    if (!peer.ok()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          std::string(peer.status().message()));
    }
    absl::MutexLock lock(&mu_);
    last_peer_ = *peer;
    response->set_client_id(peer->id);
    return grpc::Status::OK;
  }

  int calls() const { return calls_.load(); }
  pki::PeerIdentity last_peer() {
    absl::MutexLock lock(&mu_);
    return last_peer_;
  }

 private:
  std::atomic<int> calls_{0};
  absl::Mutex mu_;
  pki::PeerIdentity last_peer_ ABSL_GUARDED_BY(mu_);
};

class TlsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fedge::testing::MakeTempDir("tls");
    ASSERT_TRUE(pki::InitFederation(dir_, pki::InitOptions()).ok());
    ASSERT_TRUE(pki::IssueClient(dir_, "dev1").ok());
    ASSERT_TRUE(pki::IssueClient(dir_, "dev2").ok());
    pki::PkiPaths paths(dir_);
    absl::StatusOr<std::unique_ptr<pki::RevocationList>> revocations =
        pki::RevocationList::Load(paths.crl(), paths.ca_cert());
    ASSERT_TRUE(revocations.ok()) << revocations.status();
    revocations_ = std::move(*revocations);

    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(
            {paths.ca_cert(), paths.server_cert(), paths.server_key()},
            revocations_.get());
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  ClientTlsFiles DeviceFiles(const std::string& id) const {
    pki::PkiPaths paths(dir_);
    return {paths.ca_cert(), paths.client_cert(id), paths.client_key(id), ""};
  }

  // The TLS version a bare OpenSSL client (not gRPC) negotiates with the
  // server when it offers TLS 1.2 up to `max_version` and presents dev1's
  // certificate; "" if the handshake fails.
  std::string HandshakeVersion(int max_version) {
    pki::PkiPaths paths(dir_);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    // RequireTls13 switched TLS 1.2 off for this process's contexts too:
    // this client must really offer it.
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
    EXPECT_EQ(SSL_CTX_get_options(ctx) & SSL_OP_NO_TLSv1_2, 0u);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    EXPECT_EQ(SSL_CTX_use_certificate_file(
                  ctx, paths.client_cert("dev1").c_str(), SSL_FILETYPE_PEM),
              1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx, paths.client_key("dev1").c_str(),
                                          SSL_FILETYPE_PEM),
              1);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string version;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      if (SSL_connect(ssl) == 1) version = SSL_get_version(ssl);
      SSL_free(ssl);
    } else {
      ADD_FAILURE() << "cannot connect to the server";
    }
    close(fd);
    SSL_CTX_free(ctx);
    return version;
  }

  // Calls Join over a brand-new connection: a private subchannel pool and a
  // distinct argument keep gRPC from reusing an earlier connection.
  grpc::Status JoinOverNewChannel(
      const std::shared_ptr<grpc::ChannelCredentials>& credentials,
      grpc::ChannelArguments args, const std::string& host,
      v1::JoinResponse* response) {
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("fedge.test.channel", ++channel_count_);
    auto channel = grpc::CreateCustomChannel(absl::StrCat(host, ":", port_),
                                             credentials, args);
    auto stub = v1::Federation::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(20));
    return stub->Join(&context, v1::JoinRequest(), response);
  }

  grpc::Status Join(const ClientTlsFiles& files, v1::JoinResponse* response,
                    const std::string& host = "127.0.0.1") {
    absl::StatusOr<ClientCredentials> credentials =
        MakeClientCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    if (!credentials.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "");
    return JoinOverNewChannel(credentials->credentials, credentials->args, host,
                              response);
  }

  std::string dir_;
  std::unique_ptr<pki::RevocationList> revocations_;
  IdentityEchoService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int channel_count_ = 0;
};

TEST_F(TlsCredentialsTest, DeviceClientGetsItsOwnIdBack) {
  v1::JoinResponse response;
  grpc::Status status = Join(DeviceFiles("dev1"), &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
  EXPECT_EQ(response.client_id(), "dev1");
  EXPECT_EQ(service_.last_peer().role, pki::Role::kDevice);
  EXPECT_EQ(service_.last_peer().serial_hex,
            pki::IdentityFromPem(
                *util::ReadFile(pki::PkiPaths(dir_).client_cert("dev1")))
                ->serial_hex);
  EXPECT_EQ(service_.calls(), 1);
}

TEST_F(TlsCredentialsTest, ServerNameLocalhostMatchesTheDnsSan) {
  v1::JoinResponse response;
  grpc::Status status = Join(DeviceFiles("dev2"), &response, "localhost");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.client_id(), "dev2");

  ClientTlsFiles files = DeviceFiles("dev2");
  files.server_name = "localhost";
  status = Join(files, &response, "127.0.0.1");
  ASSERT_TRUE(status.ok()) << status.error_message();
}

TEST_F(TlsCredentialsTest, ServerNameNotInTheSansIsRefused) {
  ClientTlsFiles files = DeviceFiles("dev1");
  files.server_name = "elsewhere.example.org";
  v1::JoinResponse response;
  grpc::Status status = Join(files, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(TlsCredentialsTest, ClientOfAnotherFederationIsRefused) {
  std::string other = fedge::testing::MakeTempDir("tls");
  pki::InitOptions options;
  options.federation_name = "other";
  ASSERT_TRUE(pki::InitFederation(other, options).ok());
  ASSERT_TRUE(pki::IssueClient(other, "dev1").ok());
  pki::PkiPaths other_paths(other);
  // It trusts our CA (so the server is accepted) but holds a certificate
  // from its own CA, with the same id as one of ours.
  ClientTlsFiles files{pki::PkiPaths(dir_).ca_cert(),
                       other_paths.client_cert("dev1"),
                       other_paths.client_key("dev1"), ""};
  v1::JoinResponse response;
  grpc::Status status = Join(files, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(TlsCredentialsTest, ClientWithoutCertificateIsRefused) {
  std::string ca_pem = *util::ReadFile(pki::PkiPaths(dir_).ca_cert());
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
          ca_pem));
  options.watch_root_certs();
  auto credentials = grpc::experimental::TlsCredentials(options);
  ASSERT_NE(credentials, nullptr);
  v1::JoinResponse response;
  grpc::Status status = JoinOverNewChannel(
      credentials, grpc::ChannelArguments(), "127.0.0.1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(TlsCredentialsTest,
       ClientRevokedInTheCrlFileIsRefusedOnItsNextConnection) {
  v1::JoinResponse response;
  ASSERT_TRUE(Join(DeviceFiles("dev1"), &response).ok());
  ASSERT_EQ(service_.calls(), 1);

  // The operator revokes while the server runs; crl.pem is replaced.
  ASSERT_TRUE(pki::RevokeClient(dir_, "dev1").ok());
  grpc::Status status = Join(DeviceFiles("dev1"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_EQ(service_.calls(), 1);
  // Others are unaffected.
  ASSERT_TRUE(Join(DeviceFiles("dev2"), &response).ok());
  EXPECT_EQ(response.client_id(), "dev2");
}

TEST_F(TlsCredentialsTest, ClientRevokedByIdIsRefusedOnItsNextConnection) {
  v1::JoinResponse response;
  ASSERT_TRUE(Join(DeviceFiles("dev2"), &response).ok());
  revocations_->RevokeId("dev2");
  grpc::Status status = Join(DeviceFiles("dev2"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_EQ(service_.calls(), 1);
  ASSERT_TRUE(Join(DeviceFiles("dev1"), &response).ok());
}

TEST_F(TlsCredentialsTest, AdminCertificateHasRoleAdmin) {
  pki::PkiPaths paths(dir_);
  v1::JoinResponse response;
  grpc::Status status = Join(
      {paths.ca_cert(), paths.admin_cert(), paths.admin_key(), ""}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.client_id(), "admin");
  EXPECT_EQ(service_.last_peer().role, pki::Role::kAdmin);
}

TEST_F(TlsCredentialsTest, ServerCertificateCannotActAsAClient) {
  // Its extendedKeyUsage is serverAuth only; OpenSSL refuses it as a client.
  pki::PkiPaths paths(dir_);
  v1::JoinResponse response;
  grpc::Status status =
      Join({paths.ca_cert(), paths.server_cert(), paths.server_key(), ""},
           &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(TlsCredentialsTest, InsecureConnectionHasNoPeerIdentity) {
  IdentityEchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::Federation::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  v1::JoinResponse response;
  grpc::Status status = stub->Join(&context, v1::JoinRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("no"));
  EXPECT_EQ(service.calls(), 1);
  server->Shutdown();
}

TEST(TlsCredentialsFilesTest, ExposedKeyFileIsRefusedWithItsName) {
  std::string dir = fedge::testing::MakeTempDir("tls");
  ASSERT_TRUE(pki::InitFederation(dir, pki::InitOptions()).ok());
  pki::PkiPaths paths(dir);
  ASSERT_EQ(::chmod(paths.server_key().c_str(), 0644), 0);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server =
      MakeServerCredentials(
          {paths.ca_cert(), paths.server_cert(), paths.server_key()}, nullptr);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(server.status().message(), HasSubstr(paths.server_key()));
  EXPECT_THAT(server.status().message(), HasSubstr("chmod 600"));

  absl::StatusOr<ClientCredentials> client = MakeClientCredentials(
      {dir + "/missing.crt", paths.admin_cert(), paths.admin_key(), ""});
  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(client.status().message(), HasSubstr("missing.crt"));
}

TEST_F(TlsCredentialsTest, ServerSpeaksOnlyTls13) {
  ASSERT_TRUE(RequireTls13().ok());
  EXPECT_EQ(HandshakeVersion(TLS1_3_VERSION), "TLSv1.3");
  EXPECT_EQ(HandshakeVersion(TLS1_2_VERSION), "")
      << "a client offering only TLS 1.2 was accepted";
}

}  // namespace
}  // namespace fedge::net
