#ifndef FEDGE_SERVER_RETURNING_CLIENTS_H_
#define FEDGE_SERVER_RETURNING_CLIENTS_H_

// A run whose last round was committed by a server that was then killed,
// before it could tell anyone, is finished at once by the next server. Its
// clients, reconnecting with backoff, would find no server and retry for
// ever; so that server waits for them to come back and hear the end.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/session_registry.h"
#include "server/store.h"

namespace fedge::server {

// Waits until every client of the run that may still take part (neither
// revoked nor withdrawn) has been sent the RunFinished task queued by
// SessionRegistry::FinishRun (call it first), until `deadline` or until the
// registry is interrupted. Returns the clients not told (logged as a warning).
std::vector<std::string> AwaitReturningClients(Store& store,
                                               SessionRegistry& sessions,
                                               absl::Time deadline);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_RETURNING_CLIENTS_H_
