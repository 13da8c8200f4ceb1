// BackupAndRestore: a training process killed with SIGKILL and started again resumes from its last
// backup and ends with the same weights, bit for bit, and the same final logs as a run that was
// never interrupted.
//
// The training program is this test binary itself, re-run with --gtest_filter on
// BackupAndRestoreChild.Train and the environment variable KERAS_BACKUP_CHILD="<dir>;<kill step>;
// <where>": it trains (shuffled data, Dropout, Adam, an accuracy metric) with BackupAndRestore
// saving every 3 steps, and kills itself with SIGKILL at the end of the given optimizer step,
// before or after BackupAndRestore has seen it. Other runs are killed by this process after a
// random delay, wherever they happen to be (a save included).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/temp_dir.hpp"
#include "keras/keras.hpp"

extern char** environ;

namespace fs = std::filesystem;
namespace cb = keras::callbacks;
namespace layers = keras::layers;

namespace {

constexpr int kEpochs = 4;  // 60 samples in batches of 8: 8 steps per epoch, 32 in all
constexpr int kSaveFreq = 3;

struct ChildArgs {
  std::string dir;
  int64_t kill_step = -1;
  bool kill_after_backup = false;
};

std::optional<ChildArgs> child_args() {
  const char* env = std::getenv("KERAS_BACKUP_CHILD");
  if (!env) return std::nullopt;
  std::string s = env;
  ChildArgs a;
  const size_t p1 = s.find(';'), p2 = s.find(';', p1 + 1);
  a.dir = s.substr(0, p1);
  a.kill_step = std::stoll(s.substr(p1 + 1, p2 - p1 - 1));
  a.kill_after_backup = s.substr(p2 + 1) == "after";
  return a;
}

class KillAtStep : public cb::Callback {
 public:
  explicit KillAtStep(int64_t step) : step_(step) {}
  void on_train_batch_end(int64_t, const cb::Logs&) override {
    if (model()->optimizer().iterations() == step_) ::raise(SIGKILL);
  }

 private:
  int64_t step_;
};

// Runs the child; returns how it ended: 0..255 exit code, or 1000 + signal.
int run_child(const std::string& dir, int64_t kill_step, const char* where, int kill_after_ms = -1) {
  const std::string filter = "--gtest_filter=BackupAndRestoreChild.Train";
  const std::string env_var = "KERAS_BACKUP_CHILD=" + dir + ";" + std::to_string(kill_step) + ";" + where;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "KERAS_BACKUP_CHILD=", 19) != 0 && std::strncmp(*e, "GTEST_", 6) != 0)
      env_strings.emplace_back(*e);
  env_strings.push_back(env_var);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::string quiet = "--gtest_brief=1";
  char* argv[] = {self.data(), const_cast<char*>(filter.c_str()), quiet.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn failed: " << std::strerror(rc);
    return -1;
  }
  if (kill_after_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// The training program (does nothing unless run as a child by the tests below).
TEST(BackupAndRestoreChild, Train) {
  const auto args = child_args();
  if (!args) GTEST_SKIP() << "run by BackupAndRestore.* as a child process";
  keras::utils::set_random_seed(3);
  keras::Sequential model({layers::Input({6}), layers::Dense(16, "relu"), layers::Dropout(0.3), layers::Dense(3)});
  model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 0.01}),
                 .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  keras::Tensor x = keras::random::normal({60, 6}, {.seed = 5});
  keras::Tensor y = keras::ops::cast(keras::ops::argmax(keras::ops::slice(x, {0, 0}, {60, 3}), 1), keras::int32);
  std::vector<cb::CallbackArg> callbacks;
  auto backup = cb::BackupAndRestore({.backup_dir = (fs::path(args->dir) / "backup").string(), .save_freq = kSaveFreq});
  if (args->kill_after_backup) {
    callbacks = {backup, KillAtStep(args->kill_step)};
  } else {
    callbacks = {KillAtStep(args->kill_step), backup};
  }
  auto h = model.fit(x, y, {.batch_size = 8, .epochs = kEpochs, .verbose = 0, .callbacks = callbacks});
  model.save_weights((fs::path(args->dir) / "final.weights.h5").string());
  std::ofstream logs(fs::path(args->dir) / "final_logs.txt");
  logs.precision(17);
  for (const auto& [k, v] : h.history) logs << k << " " << v.back() << "\n";
}

TEST(BackupAndRestore, KilledAtAnyStepResumesBitForBit) {
  TempDir ref("reference");
  ASSERT_EQ(run_child(ref.path.string(), -1, "before"), 0);
  const std::string want_weights = read_file(ref.path / "final.weights.h5");
  const std::string want_logs = read_file(ref.path / "final_logs.txt");
  ASSERT_FALSE(want_weights.empty());
  EXPECT_FALSE(fs::exists(ref.path / "backup"));  // delete_checkpoint

  // Kill schedules (optimizer steps, 1-based; an epoch is 8 steps, backups every 3): mid-epoch,
  // at epoch ends (8, 16), right before and right after a backup (6 / 9), twice in one run, and
  // the very last step.
  struct Schedule {
    std::vector<int64_t> steps;
    const char* where;
  };
  const std::vector<Schedule> schedules = {
      {{1}, "before"}, {{5}, "after"},   {{6}, "before"},     {{6}, "after"},   {{8}, "after"},   {{9, 17}, "before"},
      {{13}, "after"}, {{16}, "before"}, {{22, 23}, "after"}, {{27}, "before"}, {{32}, "before"}, {{32}, "after"},
  };
  std::set<std::string> kill_points;
  for (const auto& s : schedules) {
    TempDir d("schedule");
    for (int64_t step : s.steps) {
      EXPECT_EQ(run_child(d.path.string(), step, s.where), 1000 + SIGKILL) << "kill at step " << step;
      kill_points.insert(std::to_string(step) + s.where);
    }
    ASSERT_EQ(run_child(d.path.string(), -1, "before"), 0);
    EXPECT_EQ(read_file(d.path / "final.weights.h5"), want_weights) << "killed at " << s.steps[0] << " " << s.where;
    EXPECT_EQ(read_file(d.path / "final_logs.txt"), want_logs) << "killed at " << s.steps[0] << " " << s.where;
  }
  EXPECT_GE(kill_points.size(), 10u);
}

TEST(BackupAndRestore, KilledAtRandomMomentsResumesBitForBit) {
  TempDir ref("reference_random");
  ASSERT_EQ(run_child(ref.path.string(), -1, "before"), 0);
  const std::string want = read_file(ref.path / "final.weights.h5");
  // Time a full run, then kill runs at random moments within it, several times over.
  const auto t0 = std::chrono::steady_clock::now();
  TempDir timing("timing");
  ASSERT_EQ(run_child(timing.path.string(), -1, "before"), 0);
  const int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  std::mt19937 rng(2026);
  for (int trial = 0; trial < 3; ++trial) {
    TempDir d("random");
    for (int k = 0; k < 3; ++k) {
      const int delay = std::uniform_int_distribution<int>(run_ms / 4, run_ms)(rng);
      run_child(d.path.string(), -1, "before", delay);  // killed, or finished first
    }
    // Debris a kill mid-save can leave (a temporary file) must not matter.
    fs::create_directories(d.path / "backup");
    std::ofstream(d.path / "backup" / "latest.weights.h5.tmp999.0") << "partial";
    ASSERT_EQ(run_child(d.path.string(), -1, "before"), 0);
    EXPECT_EQ(read_file(d.path / "final.weights.h5"), want) << "trial " << trial;
  }
}
