#pragma once
// TensorBoard event files: an append-only log of TFRecord-framed, hand-encoded `tensorflow.Event`
// protobuf messages (see FORMATS.md section 3). EventFileWriter is what the TensorBoard callback
// writes through; read_event_file is a strict reader for tests and for resume logic.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace keras::callbacks::internal {

/// Seconds since the Unix epoch, as the `wall_time` of an Event.
double wall_time_now();

// ---- Serialization (byte-exact with FORMATS.md 8.1; exposed for tests) ----

/// Frames one serialized Event as a TFRecord: u64 length, masked CRC of the length, the data,
/// masked CRC of the data (all little-endian).
std::string encode_record(std::string_view event_bytes);

// The encode_*_event functions return the serialized Event message (not yet framed).

/// Event{wall_time, file_version: "brain.Event:2"}: the first record of every file.
std::string encode_file_version_event(double wall_time);
/// Event{wall_time, step, summary{value{tag, tensor{DT_FLOAT, shape {}, tensor_content: 4 bytes},
/// metadata{plugin_data{plugin_name: "scalars"}, data_class: SCALAR}}}}, as TF2 writes a scalar.
std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value);
/// The legacy form Event{wall_time, step, summary{value{tag, simple_value}}} (TensorBoard still
/// reads it; the writer does not produce it).
std::string encode_simple_value_event(double wall_time, int64_t step, const std::string& tag, float value);
/// A rank-0 DT_STRING tensor (string_val) with plugin metadata (plugin_name, content; no
/// data_class), e.g. the "keras" summary of the graph_keras_model plugin holding model JSON.
std::string encode_text_tensor_event(double wall_time, int64_t step, const std::string& tag, const std::string& value,
                                     const std::string& plugin_name, const std::string& plugin_content);
/// Event{wall_time, step, session_log{status: START}}. TensorBoard's Python loader (the multiplexer)
/// takes the first START of a run (a directory, all its files) as the session start and drops
/// nothing; every later START drops the points loaded before it with step >= its step. So a run
/// should begin with a START, and a resume from a checkpoint writes another at the resumed step.
std::string encode_session_start_event(double wall_time, int64_t step);

// ---- Writer ----

/// Writes one event file in `log_dir`. Events are queued in memory and appended to the file with
/// write(2) when `max_queue` events are pending, when `flush_secs` have passed since the last
/// flush (checked when an event is added), on flush(), and on close(). The file is a log, not
/// replaced atomically: a crash can leave a short trailing record, which readers ignore.
/// All member functions are safe to call from several threads. Errors throw keras::Error.
class EventFileWriter {
 public:
  /// Creates `log_dir` (and its parents) if missing, and a new file in it named
  /// `events.out.tfevents.<%010lld unix seconds>.<hostname>.<pid>.<counter>.v2`, unique per
  /// process and per writer. Writes and flushes the file_version event at once.
  explicit EventFileWriter(const std::string& log_dir, int max_queue = 10, double flush_secs = 120.0);
  ~EventFileWriter();  // close(); errors are swallowed (call close() to see them)
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  /// A scalar in the TF2 tensor form; `value` is stored as float32, as TensorFlow does.
  void add_scalar(const std::string& tag, double value, int64_t step, double wall_time = wall_time_now());
  /// A rank-0 string tensor with the given plugin metadata (see encode_text_tensor_event).
  void add_text_tensor(const std::string& tag, const std::string& value, int64_t step, const std::string& plugin_name,
                       const std::string& plugin_content, double wall_time = wall_time_now());
  /// SessionLog{status: START} at `step`.
  void add_session_start(int64_t step, double wall_time = wall_time_now());
  /// Appends an already serialized Event (framing it as a record).
  void add_event(std::string_view event_bytes);

  /// Writes the queued events to the file.
  void flush();
  /// flush(), fsync, close. Further add_* calls throw keras::RuntimeError; close() again is a no-op.
  void close();
  bool closed() const;

  /// Full path of the event file.
  const std::string& path() const { return path_; }

 private:
  void flush_locked();

  std::string path_;
  int fd_ = -1;
  int max_queue_;
  double flush_secs_;
  std::string pending_;  // framed records not yet written
  int pending_events_ = 0;
  std::chrono::steady_clock::time_point last_flush_;
  mutable std::mutex mu_;
};

// ---- Reader ----

struct ScalarEvent {
  double wall_time;
  int64_t step;
  std::string tag;
  double value;
};

/// A rank-0 DT_STRING tensor value (for example the "keras" model-JSON summary).
struct TextEvent {
  double wall_time;
  int64_t step;
  std::string tag;
  std::string value;
  std::string plugin_name;
  std::string plugin_content;
};

struct ReadResult {
  std::string file_version;                  // of the first file_version event ("" if none)
  std::vector<ScalarEvent> scalars;          // in file order
  std::vector<TextEvent> texts;              // in file order
  std::vector<int64_t> session_start_steps;  // steps of SessionLog START events, in file order
  size_t records = 0;                        // complete records, all kinds
  size_t trailing_bytes = 0;                 // bytes of an incomplete last record (ignored)
};

/// Reads an event file. Checks both CRCs of every record and parses the Events. A short trailing
/// record (a writer that crashed or has not flushed yet) is ignored and counted in trailing_bytes.
/// Throws keras::NotFoundError if the file cannot be opened, and keras::Error naming the file and
/// byte offset on a CRC mismatch, malformed protobuf, or a "scalars" value that is not a numeric
/// scalar. Scalars are accepted in both the tensor form and the legacy simple_value form; other
/// summaries are skipped unless they are rank-0 DT_STRING tensors (reported in `texts`).
ReadResult read_event_file(const std::string& path);

}  // namespace keras::callbacks::internal
