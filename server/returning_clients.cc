#include "server/returning_clients.h"

#include "absl/strings/str_join.h"
#include "common/util/logging.h"

namespace fedge::server {

std::vector<std::string> AwaitReturningClients(Store& store,
                                               SessionRegistry& sessions,
                                               absl::Time deadline) {
  absl::StatusOr<std::vector<ClientRecord>> clients = store.ListClients();
  if (!clients.ok()) {
    FEDGE_LOG(Warning, "server")
        << "cannot list the run's clients to tell them it finished: "
        << clients.status();
    return {};
  }
  std::vector<std::string> ids;
  for (const ClientRecord& c : *clients) {
    if (c.joins > 0 && !c.revoked_at.has_value() && !c.withdrawn_at.has_value())
      ids.push_back(c.client_id);
  }
  if (ids.empty()) return {};
  FEDGE_LOG(Info, "server")
      << "the run's last round was committed before this server started; "
         "waiting until "
      << absl::FormatTime(deadline) << " for " << ids.size()
      << " clients to reconnect and be told the run finished";
  std::vector<std::string> untold = sessions.AwaitToldFinished(ids, deadline);
  if (!untold.empty()) {
    FEDGE_LOG(Warning, "server")
        << "not told that the run finished (they did not reconnect in time): "
        << absl::StrJoin(untold, ", ");
  }
  return untold;
}

}  // namespace fedge::server
