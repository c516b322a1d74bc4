// `fedge admin`: operates a running server through its Admin service.

#include <grpcpp/create_channel.h>

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "common/crypto/sha256.h"
#include "common/net/grpc_status.h"
#include "common/net/proto_time.h"
#include "common/net/tls_credentials.h"
#include "common/pki/authority.h"
#include "fedge/v1/admin.grpc.pb.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge admin";

constexpr char kUsage[] =
    "usage: fedge admin <command> --server HOST:PORT --pki DIR [flags]\n"
    "\n"
    "Operates a running server with the federation's admin certificate\n"
    "(DIR/admin.crt and admin.key, made by `fedge pki init`).\n"
    "\n"
    "commands:\n"
    "  status    run state, round, stage, cohort, connected clients\n"
    "  clients   every client the server knows, connected or not\n"
    "  stop      end the run cleanly (the round in progress is abandoned)\n"
    "  revoke    disconnect a client and refuse it from now on (--id)\n"
    "  erase     a data subject's erasure request (GDPR Art. 17) for a\n"
    "            client (--id): revoke it, log the request, and list the\n"
    "            model versions its updates went into\n"
    "\n"
    "flags:\n";

const std::vector<FlagDef>& Flags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"server", "HOST:PORT", "the server's gRPC address (required)"},
      {"pki", "DIR", "PKI directory holding ca.crt, admin.crt, admin.key"},
      {"server-name", "NAME",
       "name to check in the server certificate (default: the host)"},
      {"id", "ID", "client to revoke or erase"},
      {"reason", "TEXT", "reason recorded with stop, revoke or erase"},
      {"timeout", "SECONDS", "call timeout (default: 10)"},
      {"help", "", "show this help"},
  };
  return *flags;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", net::FromProtoTimestamp(t),
                          absl::UTCTimeZone());
}

}  // namespace

int RunAdmin(const Args& all_args) {
  if (all_args.empty() || all_args[0] == "--help") {
    (all_args.empty() ? std::cerr : std::cout) << kUsage << FlagsUsage(Flags());
    return all_args.empty() ? kExitUsage : kExitOk;
  }
  std::string command = all_args[0];
  Args args(all_args.begin() + 1, all_args.end());
  std::string name = "fedge admin " + command;
  if (command != "status" && command != "clients" && command != "stop" &&
      command != "revoke" && command != "erase") {
    return UsageError(
        absl::StrCat(kCommand, ": unknown command '", command, "'"),
        absl::StrCat(kUsage, FlagsUsage(Flags())));
  }
  auto flags = ParseFlags(Flags(), args, name);
  if (!flags.ok()) {
    std::cerr << flags.status().message() << "\n";
    return kExitUsage;
  }
  if (flags->Switch("help")) {
    std::cout << kUsage << FlagsUsage(Flags());
    return kExitOk;
  }
  for (const char* required : {"server", "pki"}) {
    if (absl::Status s = RequireFlag(*flags, required, name); !s.ok()) {
      return Fail(kCommand, s, kExitUsage);
    }
  }
  if (command == "revoke" || command == "erase") {
    if (absl::Status s = RequireFlag(*flags, "id", name); !s.ok()) {
      return Fail(kCommand, s, kExitUsage);
    }
  }
  int timeout_seconds = 10;
  if (flags->Has("timeout") &&
      (!absl::SimpleAtoi(flags->Get("timeout"), &timeout_seconds) ||
       timeout_seconds <= 0)) {
    return Fail(kCommand, "--timeout must be a positive number of seconds",
                kExitUsage);
  }

  pki::PkiPaths paths(flags->Get("pki"));
  auto creds = net::MakeClientCredentials({paths.ca_cert(), paths.admin_cert(),
                                           paths.admin_key(),
                                           flags->Get("server-name")});
  if (!creds.ok()) return Fail(kCommand, creds.status(), kExitFailure);
  auto channel = grpc::CreateCustomChannel(flags->Get("server"),
                                           creds->credentials, creds->args);
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(timeout_seconds)));

  if (command == "status") {
    v1::RunStatus status;
    absl::Status s = net::FromGrpcStatus(
        stub->GetStatus(&context, v1::GetStatusRequest(), &status));
    if (!s.ok()) return Fail(kCommand, s, kExitFailure);
    std::cout << absl::StrFormat(
        "run:        %s (%s)\n"
        "round:      %d of %d%s\n"
        "clients:    %d connected\n"
        "cohort:     %s\n"
        "model:      version %d, sha256 %s\n"
        "accuracy:   %.2f%% (loss %.4f)\n"
        "started:    %s\n",
        status.run_id(), status.state(), status.round(), status.total_rounds(),
        status.stage().empty() ? "" : absl::StrCat(", ", status.stage()),
        status.connected_clients(),
        status.cohort().empty() ? "-" : absl::StrJoin(status.cohort(), ", "),
        status.global_model().version(),
        crypto::ToHex(status.global_model().sha256()),
        100 * status.last_accuracy(), status.last_loss(),
        FormatTime(status.started_at()));
  } else if (command == "clients") {
    v1::ListClientsResponse response;
    absl::Status s = net::FromGrpcStatus(
        stub->ListClients(&context, v1::ListClientsRequest(), &response));
    if (!s.ok()) return Fail(kCommand, s, kExitFailure);
    std::cout << absl::StrFormat("%-24s %-14s %-10s %-8s %-7s %s\n", "CLIENT",
                                 "REGION", "STATE", "CONSENT", "ROUNDS",
                                 "LAST SEEN");
    for (const v1::ClientInfo& c : response.clients()) {
      std::string state = c.revoked()     ? "revoked"
                          : c.withdrawn() ? "withdrawn"
                          : c.connected() ? "connected"
                                          : "offline";
      std::cout << absl::StrFormat(
          "%-24s %-14s %-10s %-8s %-7d %s\n", c.client_id(), c.region(), state,
          c.consent_version(), c.rounds_completed(), FormatTime(c.last_seen()));
    }
  } else if (command == "stop") {
    v1::StopRunRequest request;
    request.set_reason(flags->Get("reason"));
    v1::StopRunResponse response;
    absl::Status s =
        net::FromGrpcStatus(stub->StopRun(&context, request, &response));
    if (!s.ok()) return Fail(kCommand, s, kExitFailure);
    std::cout << "stop requested; the server ends the run after the current "
                 "stage\n";
  } else if (command == "erase") {
    v1::EraseClientRequest request;
    request.set_client_id(flags->Get("id"));
    request.set_reason(flags->Get("reason"));
    v1::EraseClientResponse response;
    absl::Status s =
        net::FromGrpcStatus(stub->EraseClient(&context, request, &response));
    if (!s.ok()) return Fail(kCommand, s, kExitFailure);
    std::cout << "erasure of client " << request.client_id()
              << " recorded in the audit log\n";
    for (const std::string& action : response.actions()) {
      std::cout << "  - " << action << "\n";
    }
    std::cout << "model versions trained with its updates: "
              << (response.model_versions().empty()
                      ? std::string("none")
                      : absl::StrJoin(response.model_versions(), ", "))
              << "\n";
  } else {
    v1::RevokeClientRequest request;
    request.set_client_id(flags->Get("id"));
    request.set_reason(flags->Get("reason"));
    v1::RevokeClientResponse response;
    absl::Status s =
        net::FromGrpcStatus(stub->RevokeClient(&context, request, &response));
    if (!s.ok()) return Fail(kCommand, s, kExitFailure);
    std::cout << "client " << request.client_id() << " revoked"
              << (response.was_connected() ? " and disconnected" : "")
              << "; to refuse it on every server, also run `fedge pki revoke "
                 "--dir DIR --id "
              << request.client_id() << "`\n";
  }
  return kExitOk;
}

}  // namespace fedge::cli
