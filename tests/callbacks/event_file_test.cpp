#include "callbacks/event_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/crc32c.hpp"
#include "keras/error.hpp"

namespace keras::callbacks::internal {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static int n = 0;
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("keras_event_file_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(n++) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& s) const { return (path_ / s).string(); }

 private:
  fs::path path_;
};

// Hex digits to bytes; spaces are ignored.
std::string from_hex(std::string hex) {
  std::erase(hex, ' ');
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Event{<event_prefix>, summary{value{<value>}}}; `value` shorter than 126 bytes.
std::string summary_event_with(const std::string& event_prefix, const std::string& value) {
  return event_prefix + "\x2a" + static_cast<char>(value.size() + 2) + "\x0a" + static_cast<char>(value.size()) + value;
}

std::string to_hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ---- CRC-32C ----

TEST(Crc32c, CheckValues) {
  EXPECT_EQ(core::crc32c("123456789"), 0xE3069283u);
  const std::string zeros(32, '\0'), ones(32, '\xff');
  EXPECT_EQ(core::crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(core::crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(core::crc32c_portable("123456789", 9), 0xE3069283u);
  EXPECT_EQ(core::crc32c_portable(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(core::crc32c_portable(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(core::crc32c("", 0), 0u);
}

TEST(Crc32c, ExtendsAndMasks) {
  const std::string s = "123456789";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    const uint32_t head = core::crc32c(s.data(), cut);
    EXPECT_EQ(core::crc32c(s.data() + cut, s.size() - cut, head), 0xE3069283u) << cut;
    EXPECT_EQ(core::crc32c_portable(s.data() + cut, s.size() - cut, core::crc32c_portable(s.data(), cut)), 0xE3069283u);
  }
  const uint32_t c = 0xE3069283u;
  EXPECT_EQ(core::mask_crc32c(c), ((c >> 15) | (c << 17)) + 0xA282EAD8u);
  EXPECT_EQ(core::unmask_crc32c(core::mask_crc32c(c)), c);
  EXPECT_EQ(core::masked_crc32c(s), core::mask_crc32c(c));
}

TEST(Crc32c, HardwareAndTableAgreeOnAllLengthsAndAlignments) {
  std::mt19937 rng(42);
  std::string buf(600, '\0');
  for (char& ch : buf) ch = static_cast<char>(rng());
  for (size_t off = 0; off < 9; ++off)
    for (size_t n = 0; n + off <= buf.size(); n += (n < 80 ? 1 : 37))
      ASSERT_EQ(core::crc32c(buf.data() + off, n, 0x1234u), core::crc32c_portable(buf.data() + off, n, 0x1234u))
          << off << " " << n;
  std::printf("crc32c uses hardware: %s\n", core::crc32c_uses_hardware() ? "yes" : "no");
}

// ---- golden records (FORMATS.md 8.1) ----

TEST(EventFileEncoding, GoldenRecords) {
  EXPECT_EQ(to_hex(encode_record(encode_file_version_event(1700000000.0))),
            "1800000000000000a37f4b220900000040fc54d9411a0d627261696e2e4576656e743a32eced8f9d");
  EXPECT_EQ(to_hex(encode_record(encode_scalar_event(1700000001.5, 0, "epoch_loss", 0.5f))),
            "34000000000000005e33175c0900006040fc54d9412a290a270a0a65706f63685f6c6f7373420a0801120022040000003f4a0d0a09"
            "0a077363616c61727320015bab539e");
  EXPECT_EQ(to_hex(encode_record(encode_simple_value_event(1700000002.0, 1, "epoch_loss", 0.5f))),
            "200000000000000029eda9500900008040fc54d94110012a130a110a0a65706f63685f6c6f7373150000003f0c675ae9");
}

TEST(EventFileEncoding, NegativeStepAndSessionLogAndText) {
  // int64 -1 is a 10-byte varint; SessionLog START is field 7 {status 1}.
  EXPECT_EQ(to_hex(encode_session_start_event(0.0, -1)), "10ffffffffffffffffff013a020801");
  EXPECT_EQ(to_hex(encode_session_start_event(0.0, 5)), "10053a020801");
  // Event{step 0, summary{value{tag "k", tensor{dtype 7, shape{}, string_val "ab"}, metadata{plugin_data{"p", "1"}}}}}
  // (expected bytes checked with the protobuf package's own serializer)
  EXPECT_EQ(to_hex(encode_text_tensor_event(0.0, 0, "k", "ab", "p", "1")),
            "2a190a170a016b420808071200420261624a080a060a0170120131");
}

// ---- writer + reader ----

TEST(EventFileWriter, WritesAndReadsBack) {
  TempDir dir;
  std::string path;
  {
    EventFileWriter w(dir / "train");
    path = w.path();
    w.add_scalar("epoch_loss", 0.25, 0, 1700000001.0);
    w.add_scalar("epoch_loss", 0.1, 1, 1700000002.0);
    w.add_scalar("epoch_accuracy", 0.75, 1, 1700000002.5);
    w.add_scalar("big_step", -3.5, int64_t{1} << 40, 1700000003.0);
    w.add_text_tensor("keras", "{\"class_name\": \"Sequential\"}", 0, "graph_keras_model", "1", 1700000004.0);
    w.add_session_start(7, 1700000005.0);
    w.add_scalar("epoch_loss", 2.0, 7, 1700000006.0);
  }  // the destructor closes and flushes
  const ReadResult r = read_event_file(path);
  EXPECT_EQ(r.file_version, "brain.Event:2");
  EXPECT_EQ(r.records, 8u);
  EXPECT_EQ(r.trailing_bytes, 0u);
  ASSERT_EQ(r.scalars.size(), 5u);
  EXPECT_EQ(r.scalars[0].tag, "epoch_loss");
  EXPECT_EQ(r.scalars[0].step, 0);
  EXPECT_EQ(r.scalars[0].value, 0.25);
  EXPECT_EQ(r.scalars[0].wall_time, 1700000001.0);
  EXPECT_EQ(r.scalars[1].step, 1);
  EXPECT_EQ(r.scalars[1].value, static_cast<double>(0.1f));  // stored as float32
  EXPECT_EQ(r.scalars[2].tag, "epoch_accuracy");
  EXPECT_EQ(r.scalars[2].value, 0.75);
  EXPECT_EQ(r.scalars[2].wall_time, 1700000002.5);
  EXPECT_EQ(r.scalars[3].tag, "big_step");
  EXPECT_EQ(r.scalars[3].step, int64_t{1} << 40);
  EXPECT_EQ(r.scalars[3].value, -3.5);
  EXPECT_EQ(r.scalars[4].step, 7);
  EXPECT_EQ(r.scalars[4].value, 2.0);
  ASSERT_EQ(r.texts.size(), 1u);
  EXPECT_EQ(r.texts[0].tag, "keras");
  EXPECT_EQ(r.texts[0].value, "{\"class_name\": \"Sequential\"}");
  EXPECT_EQ(r.texts[0].plugin_name, "graph_keras_model");
  EXPECT_EQ(r.texts[0].plugin_content, "1");
  EXPECT_EQ(r.session_start_steps, std::vector<int64_t>{7});

  // The first record is the file_version event with the wall time of the file name.
  const std::string bytes = read_all(path);
  const std::string name = fs::path(path).filename().string();
  const long long secs = std::stoll(name.substr(std::string("events.out.tfevents.").size(), 10));
  const std::string first = bytes.substr(12, 24);
  ASSERT_EQ(first.size(), 24u);
  EXPECT_EQ(first.substr(9),
            "\x1a\x0d"
            "brain.Event:2");
  double wall = 0;
  std::memcpy(&wall, first.data() + 1, 8);
  EXPECT_EQ(static_cast<long long>(wall), secs);
}

TEST(EventFileWriter, ReadsLegacySimpleValuesAndTypedTensorValues) {
  TempDir dir;
  const std::string path = dir / "events.out.tfevents.legacy";
  std::string bytes =
      encode_record(encode_file_version_event(1.0)) + encode_record(encode_simple_value_event(2.0, 3, "loss", 1.5f));
  // A "scalars" DOUBLE tensor given as double_val (unpacked) with metadata, then a value of the same
  // tag without metadata (INT64 via int64_val, packed): the plugin is remembered per tag.
  // Value{tag "d", tensor{dtype 2, shape{}, double_val 0.5}, metadata{plugin_data{"scalars"}}}
  const std::string v1 = from_hex("0a0164 420d 0802 1200 31000000000000e03f 4a0b 0a09 0a07 7363616c617273");
  const std::string v2 = from_hex("0a0164 4207 0809 1200 520109");
  bytes += encode_record(summary_event_with(from_hex("1001"), v1));
  bytes += encode_record(summary_event_with(from_hex("1002"), v2));
  write_all(path, bytes);
  const ReadResult r = read_event_file(path);
  EXPECT_EQ(r.records, 4u);
  ASSERT_EQ(r.scalars.size(), 3u);
  EXPECT_EQ(r.scalars[0].tag, "loss");
  EXPECT_EQ(r.scalars[0].step, 3);
  EXPECT_EQ(r.scalars[0].value, 1.5);
  EXPECT_EQ(r.scalars[0].wall_time, 2.0);
  EXPECT_EQ(r.scalars[1].tag, "d");
  EXPECT_EQ(r.scalars[1].value, 0.5);
  EXPECT_EQ(r.scalars[2].step, 2);
  EXPECT_EQ(r.scalars[2].value, 9.0);
}

TEST(EventFileWriter, ShortTrailingRecordIsIgnored) {
  TempDir dir;
  std::string path;
  {
    EventFileWriter w(dir.str());
    path = w.path();
    w.add_scalar("a", 1.0, 1);
    w.add_scalar("a", 2.0, 2);
  }
  const std::string full = read_all(path);
  const size_t last_len = encode_record(encode_scalar_event(1.0, 2, "a", 2.0f)).size();
  ASSERT_GT(full.size(), last_len);
  const std::string cut_path = dir / "cut.tfevents";
  for (size_t keep = 0; keep < last_len; ++keep) {
    write_all(cut_path, full.substr(0, full.size() - last_len + keep));
    const ReadResult r = read_event_file(cut_path);
    EXPECT_EQ(r.records, 2u) << keep;
    EXPECT_EQ(r.trailing_bytes, keep);
    ASSERT_EQ(r.scalars.size(), 1u);
    EXPECT_EQ(r.scalars[0].value, 1.0);
  }
  write_all(cut_path, "");
  EXPECT_EQ(read_event_file(cut_path).records, 0u);
}

TEST(EventFileWriter, AnyFlippedByteIsAnError) {
  TempDir dir;
  std::string path;
  {
    EventFileWriter w(dir.str());
    path = w.path();
    w.add_scalar("epoch_loss", 0.5, 1);
    w.add_session_start(1);
  }
  const std::string full = read_all(path);
  const std::string bad = dir / "bad.tfevents";
  for (size_t i = 0; i < full.size(); ++i) {
    std::string b = full;
    b[i] = static_cast<char>(b[i] ^ 0x20);
    write_all(bad, b);
    try {
      read_event_file(bad);
      ADD_FAILURE() << "no error for a flipped byte at offset " << i;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("CRC mismatch"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(EventFileWriter, MalformedProtobufWithValidCrcIsAnError) {
  TempDir dir;
  const std::string bad = dir / "bad.tfevents";
  for (const char* hex : {"0a", "2a05", "09000000", "2a030a01ff", "0f00", "2a0a0a080a0164420308"}) {
    write_all(bad, encode_record(encode_file_version_event(1.0)) + encode_record(from_hex(hex)));
    try {
      read_event_file(bad);
      ADD_FAILURE() << "no error for " << hex;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("malformed Event protobuf"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("record 1"), std::string::npos) << e.what();
    }
  }
  // A "scalars" tensor that is not a numeric scalar.
  // Value{tag "s", tensor{dtype 7, shape{}}, metadata{plugin_data{"scalars"}}}
  const std::string v = from_hex("0a0173 4204 0807 1200 4a0b 0a09 0a07 7363616c617273");
  write_all(bad, encode_record(summary_event_with("", v)));
  EXPECT_THROW(read_event_file(bad), Error);
  EXPECT_THROW(read_event_file(dir / "missing"), NotFoundError);
}

TEST(EventFileWriter, FileNamePattern) {
  TempDir dir;
  EventFileWriter w(dir.str());
  const std::string name = fs::path(w.path()).filename().string();
  EXPECT_EQ(fs::path(w.path()).parent_path(), fs::path(dir.str()));
  // events.out.tfevents.<T>.<host>.<pid>.<counter>.v2; the host name may contain dots.
  const std::string prefix = "events.out.tfevents.", suffix = ".v2";
  ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
  ASSERT_TRUE(name.ends_with(suffix)) << name;
  std::string rest = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  auto take_last = [&rest]() {
    const size_t dot = rest.rfind('.');
    std::string field = dot == std::string::npos ? rest : rest.substr(dot + 1);
    rest = dot == std::string::npos ? "" : rest.substr(0, dot);
    return field;
  };
  const auto all_digits = [](const std::string& f) {
    return !f.empty() && f.find_first_not_of("0123456789") == std::string::npos;
  };
  const std::string counter = take_last(), pid = take_last();
  const size_t dot = rest.find('.');
  ASSERT_NE(dot, std::string::npos) << name;
  const std::string stamp = rest.substr(0, dot), host_part = rest.substr(dot + 1);
  EXPECT_TRUE(all_digits(counter)) << name;
  EXPECT_EQ(pid, std::to_string(::getpid()));
  EXPECT_TRUE(all_digits(stamp) && stamp.size() >= 10) << name;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(host_part, host);
  const double now = wall_time_now();
  EXPECT_LE(std::abs(std::stod(stamp) - now), 5.0);
}

TEST(EventFileWriter, WritersInOneDirectoryNeverCollide) {
  TempDir dir;
  std::vector<std::unique_ptr<EventFileWriter>> writers;
  std::set<std::string> paths;
  for (int i = 0; i < 20; ++i) {
    writers.push_back(std::make_unique<EventFileWriter>(dir.str()));
    writers.back()->add_scalar("w", i, i);
    paths.insert(writers.back()->path());
  }
  EXPECT_EQ(paths.size(), 20u);
  writers.clear();
  for (int i = 0; const std::string& p : paths) {
    const ReadResult r = read_event_file(p);
    EXPECT_EQ(r.records, 2u);
    ++i;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.str()), fs::directory_iterator()), 20);
}

TEST(EventFileWriter, QueuesUntilMaxQueueOrFlush) {
  TempDir dir;
  EventFileWriter w(dir.str(), /*max_queue=*/3, /*flush_secs=*/1e9);
  EXPECT_EQ(read_event_file(w.path()).records, 1u);  // the file_version event is flushed at once
  w.add_scalar("a", 1, 1);
  w.add_scalar("a", 2, 2);
  EXPECT_EQ(read_event_file(w.path()).records, 1u);
  w.add_scalar("a", 3, 3);
  EXPECT_EQ(read_event_file(w.path()).records, 4u);
  w.add_scalar("a", 4, 4);
  w.flush();
  EXPECT_EQ(read_event_file(w.path()).records, 5u);
  w.add_scalar("a", 5, 5);
  w.close();
  EXPECT_TRUE(w.closed());
  EXPECT_EQ(read_event_file(w.path()).records, 6u);
  EXPECT_THROW(w.add_scalar("a", 6, 6), RuntimeError);
  w.close();  // no-op
  EXPECT_THROW(EventFileWriter(dir.str(), 0), ValueError);

  EventFileWriter every(dir.str(), /*max_queue=*/100, /*flush_secs=*/0.0);  // time-based: flush on each add
  every.add_scalar("a", 1, 1);
  EXPECT_EQ(read_event_file(every.path()).records, 2u);
}

TEST(EventFileWriter, UnwritableLogDirIsAnError) {
  TempDir dir;
  write_all(dir / "afile", "x");
  for (const std::string& log_dir : {dir / "afile", dir / "afile/train"}) {
    try {
      EventFileWriter w(log_dir);
      ADD_FAILURE() << "no error for " << log_dir;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(log_dir), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("writable log_dir"), std::string::npos) << e.what();
    }
  }
  if (::geteuid() != 0) {  // root ignores directory permissions
    const std::string ro = dir / "readonly";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_THROW(EventFileWriter w(ro), Error);
    EXPECT_THROW(EventFileWriter w(ro + "/train"), Error);
    fs::permissions(ro, fs::perms::owner_all);
  }
}

// Writes event files for the TensorBoard interop check (tests/interop/read_events_with_tensorboard.py)
// when KERAS_EVENTS_OUT names a directory: runs train/ and validation/, and expected.json.
TEST(EventFileWriter, InteropOutputForTensorBoard) {
  const char* out = std::getenv("KERAS_EVENTS_OUT");
  if (out == nullptr || *out == '\0') GTEST_SKIP() << "KERAS_EVENTS_OUT not set";
  const std::string root = out;
  std::string json = "{\n  \"scalars\": [\n";
  bool first = true;
  auto expect = [&](const std::string& run, const std::string& tag, int64_t step, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(static_cast<float>(value)));
    json += std::string(first ? "" : ",\n") + "    {\"run\": \"" + run + "\", \"tag\": \"" + tag +
            "\", \"step\": " + std::to_string(step) + ", \"value\": " + buf + "}";
    first = false;
  };
  {
    EventFileWriter train(root + "/train");
    train.add_text_tensor("keras", "{\"class_name\": \"Sequential\", \"config\": {}}", 0, "graph_keras_model", "1");
    // Epochs 0..2, then a resume from the checkpoint of epoch 1: START at step 2 drops the stale step 2.
    // TensorBoard ignores the first START of a run, so a run begins with one (as the callback should).
    train.add_session_start(0);
    for (int e = 0; e < 3; ++e) {
      train.add_scalar("epoch_loss", 1.0 / (e + 1), e);
      train.add_scalar("epoch_learning_rate", 0.001, e);
    }
    train.add_session_start(2);
    for (int e = 2; e < 4; ++e) {
      train.add_scalar("epoch_loss", 0.3 / (e + 1), e);
      train.add_scalar("epoch_learning_rate", 0.001, e);
    }
    for (int e = 0; e < 4; ++e) expect("train", "epoch_loss", e, e < 2 ? 1.0 / (e + 1) : 0.3 / (e + 1));
    for (int e = 0; e < 4; ++e) expect("train", "epoch_learning_rate", e, 0.001);
    EventFileWriter val(root + "/validation");
    for (int e = 0; e < 4; ++e) {
      val.add_scalar("epoch_loss", 0.9 / (e + 1), e);
      expect("validation", "epoch_loss", e, 0.9 / (e + 1));
    }
    val.add_scalar("evaluation_loss_vs_iterations", 0.125, 4000);
    expect("validation", "evaluation_loss_vs_iterations", 4000, 0.125);
    val.add_event(encode_simple_value_event(wall_time_now(), 5, "legacy_simple_value", 0.625f));  // migrated by TB
    expect("validation", "legacy_simple_value", 5, 0.625);
    std::printf("wrote %s\n      %s\n", train.path().c_str(), val.path().c_str());
  }
  json +=
      "\n  ],\n  \"texts\": [\n    {\"run\": \"train\", \"tag\": \"keras\", \"step\": 0, \"plugin\": "
      "\"graph_keras_model\", \"value\": \"{\\\"class_name\\\": \\\"Sequential\\\", \\\"config\\\": {}}\"}\n  ]\n}\n";
  write_all(root + "/expected.json", json);
}

}  // namespace
}  // namespace keras::callbacks::internal
