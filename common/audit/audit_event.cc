#include "common/audit/audit_event.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace fedge::audit {

std::string EncodeEvent(const v1::AuditEvent& event) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::StatusOr<v1::AuditEvent> DecodeEvent(absl::string_view entry) {
  v1::AuditEvent event;
  if (!event.ParseFromArray(entry.data(), static_cast<int>(entry.size())) ||
      event.event_case() == v1::AuditEvent::EVENT_NOT_SET) {
    return absl::DataLossError("the entry is not an audit event");
  }
  return event;
}

}  // namespace fedge::audit
