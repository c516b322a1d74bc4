#include "common/config/client_config.h"

#include "absl/strings/str_cat.h"
#include "common/config/common_schema.h"
#include "common/config/value_checks.h"
#include "common/config/yaml_reader.h"
#include "common/util/status_macros.h"

namespace fedge::config {
namespace {

void ReadConsent(MapReader consent, ConsentConfig* c) {
  consent.Optional("purpose", &c->purpose_id, NonEmpty());
  consent.Optional("version", &c->version, NonEmpty());
  consent.Optional("given_at", &c->given_at);
}

}  // namespace

void ReadClientTls(MapReader tls, ClientTlsFiles* t) {
  tls.RequiredPath("ca", &t->ca_cert);
  tls.RequiredPath("cert", &t->cert);
  tls.RequiredPath("key", &t->key);
  tls.Optional("server_name", &t->server_name);
}

void ReadReconnect(MapReader reconnect, BackoffConfig* b) {
  const Check<absl::Duration> positive = GreaterThan(absl::ZeroDuration());
  const bool initial_ok = reconnect.Optional("initial", &b->initial, positive);
  const bool max_ok = reconnect.Optional("max", &b->max, positive);
  reconnect.Optional("multiplier", &b->multiplier, AtLeast(1.0));
  reconnect.Optional("jitter", &b->jitter, AtLeastLessThan(0.0, 1.0));
  reconnect.Optional("give_up_after", &b->give_up_after,
                     AtLeast(absl::ZeroDuration()));
  if (initial_ok && max_ok && b->max < b->initial) {
    reconnect.Fail("max",
                   absl::StrCat(absl::FormatDuration(b->max), " is less than ",
                                reconnect.KeyPath("initial"), " (",
                                absl::FormatDuration(b->initial), ")"));
  }
}

absl::StatusOr<ClientConfig> ParseClientConfig(const std::string& yaml,
                                               const std::string& origin,
                                               const std::string& base_dir) {
  FEDGE_ASSIGN_OR_RETURN(YamlDocument doc,
                         YamlDocument::Parse(yaml, origin, base_dir));
  ClientConfig c;
  c.source_path = origin;
  MapReader root = doc.root();
  root.Optional("server", &c.server_address, NonEmpty());
  ReadClientTls(root.Child("tls"), &c.tls);
  root.Optional("region", &c.region, NonEmpty());
  ReadConsent(root.Child("consent"), &c.consent);
  ReadDataSource(root.Child("data"), &c.data);
  root.Child("model").OptionalPath("torchscript", &c.torchscript_path);
  root.Optional("threads", &c.threads);
  root.OptionalPath("state_dir", &c.state_dir, NonEmpty());
  ReadReconnect(root.Child("reconnect"), &c.reconnect);
  MapReader serve = root.Child("serve");
  serve.Optional("listen", &c.serve.listen, HostPort(/*allow_empty=*/true));
  serve.Optional("grpc", &c.serve.grpc, HostPort(/*allow_empty=*/true));
  FEDGE_RETURN_IF_ERROR(doc.Finish());
  return c;
}

absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path) {
  FEDGE_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseClientConfig(text, path, ConfigBaseDir(path));
}

}  // namespace fedge::config
