#ifndef FEDGE_SERVER_TORN_WRITES_H_
#define FEDGE_SERVER_TORN_WRITES_H_

// Run-directory files are written to PATH.tmp-PID, fsynced and renamed into
// place (util::WriteFileAtomically). A server killed in the middle of one
// leaves the temporary file behind; it is never referenced (the store
// records a file only after the rename) and the round is run again, so the
// next server removes it.

#include <string>
#include <vector>

namespace fedge::server {

// Removes the temporary files of interrupted atomic writes from the run
// directory's checkpoints/, models/, strategy/, privacy/, privacy-spent/ and
// audit/ folders, except this process's own. Returns the paths removed (each
// logged). One server uses a run directory at a time.
std::vector<std::string> RemoveTornWrites(const std::string& run_dir);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_TORN_WRITES_H_
