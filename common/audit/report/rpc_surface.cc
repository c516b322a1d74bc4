#include "common/audit/report/rpc_surface.h"

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::audit::report {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr char kService[] = "fedge.v1.Federation";
constexpr int kMaxDepth = 4;

std::string TypeName(const FieldDescriptor& field) {
  if (field.is_map()) {
    const Descriptor* entry = field.message_type();
    return absl::StrCat("map<", TypeName(*entry->map_key()), ",",
                        TypeName(*entry->map_value()), ">");
  }
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return field.message_type()->full_name();
    case FieldDescriptor::CPPTYPE_ENUM:
      return field.enum_type()->full_name();
    default:
      return field.type_name();
  }
}

// Appends "prefix.name:type" for each field of `message`, descending into
// message fields below `depth` unless they are well-known protobuf types.
void Flatten(const Descriptor& message, const std::string& prefix, int depth,
             std::vector<std::string>* out) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    const std::string name =
        prefix.empty() ? field.name() : absl::StrCat(prefix, ".", field.name());
    const bool repeated = field.is_repeated() && !field.is_map();
    out->push_back(
        absl::StrCat(name, ":", repeated ? "repeated " : "", TypeName(field)));
    if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field.is_map() || depth + 1 >= kMaxDepth ||
        absl::StartsWith(field.message_type()->full_name(),
                         "google.protobuf.")) {
      continue;
    }
    Flatten(*field.message_type(), name, depth + 1, out);
  }
}

}  // namespace

absl::StatusOr<std::vector<RpcFacts>> FederationRpcs() {
  // Naming a message of federation.proto keeps its descriptor linked in, so
  // the generated pool knows the service.
  const google::protobuf::FileDescriptor* file =
      v1::JoinRequest::descriptor()->file();
  const google::protobuf::ServiceDescriptor* service =
      file->pool()->FindServiceByName(kService);
  if (service == nullptr) {
    return absl::InternalError(
        absl::StrCat("the service ", kService, " is not compiled in"));
  }
  std::vector<RpcFacts> rpcs;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service->method(i);
    RpcFacts rpc;
    rpc.service = service->full_name();
    rpc.method = method.name();
    rpc.request = method.input_type()->full_name();
    rpc.response = method.output_type()->full_name();
    rpc.client_streaming = method.client_streaming();
    rpc.server_streaming = method.server_streaming();
    Flatten(*method.input_type(), "", 0, &rpc.fields);
    rpcs.push_back(std::move(rpc));
  }
  return rpcs;
}

}  // namespace fedge::audit::report
