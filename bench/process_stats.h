#ifndef FEDGE_BENCH_PROCESS_STATS_H_
#define FEDGE_BENCH_PROCESS_STATS_H_

// Memory and CPU of a running process, read from /proc, for end-to-end
// scenarios that run the server in a child process and measure it apart from
// the load generator (bench/load_scenario.cc).

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace fedge::bench {

struct ProcessSample {
  double seconds = 0;      // monotonic clock when taken
  double rss_kib = 0;      // VmRSS: resident now
  double hwm_kib = 0;      // VmHWM: peak resident since start or last reset
  double cpu_seconds = 0;  // utime + stime, all threads
  int threads = 0;
};

// Reads /proc/PID/status and /proc/PID/stat; nullopt if the process is gone.
std::optional<ProcessSample> SampleProcess(pid_t pid);

// Resets VmHWM to the current RSS (writes 5 to /proc/PID/clear_refs); false
// if not permitted.
bool ResetPeakRss(pid_t pid);

// CPU use between two samples, in percent of one core.
double CpuPercent(const ProcessSample& a, const ProcessSample& b);

// Least-squares slope of y against x (0 for fewer than two points).
double LeastSquaresSlope(const std::vector<double>& x,
                         const std::vector<double>& y);

// The 1-, 5- and 15-minute load averages of the machine ("2.10 1.85 1.47"),
// from /proc/loadavg: on a shared machine, how busy the others kept it.
std::string LoadAverage();

// Raises the soft limit of open files to the hard limit; returns the limit
// now in force.
long RaiseOpenFileLimit();

}  // namespace fedge::bench

#endif  // FEDGE_BENCH_PROCESS_STATS_H_
