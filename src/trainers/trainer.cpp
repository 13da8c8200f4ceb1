// The one training loop: fit, evaluate and predict (keras/src/trainers/
// trainer.py and keras/src/backend/tensorflow/trainer.py), the epoch
// iterator (keras/src/trainers/epoch_iterator.py) and the array data adapter
// (keras/src/trainers/data_adapters/array_data_adapter.py).
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/warnings.hpp"
#include "keras/data/dataset.hpp"
#include "keras/models/model.hpp"
#include "keras/ops.hpp"
#include "keras/random.hpp"
#include "models/compiled_state.hpp"
#include "trainers/fit_state.hpp"

namespace keras {
namespace detail {

namespace {

int64_t rows(const Tensor& t) { return t.ndim() == 0 ? 1 : t.shape()[0]; }

// Copies rows idx[0..k) of x (contiguous along axis 0) into a new tensor.
Tensor gather_rows(const Tensor& x, const int32_t* idx, int64_t k) {
  Shape s = x.shape();
  s[0] = k;
  Tensor out = Tensor::empty(s, x.dtype());
  const Tensor src = x.is_contiguous() ? x : x.contiguous();
  const size_t row_bytes =
      static_cast<size_t>(x.shape().numel() / std::max<int64_t>(1, x.shape()[0])) * dtype_size(x.dtype());
  const auto* in = static_cast<const char*>(src.raw_data());
  auto* o = static_cast<char*>(out.raw_mutable_data());
  for (int64_t i = 0; i < k; ++i) std::memcpy(o + i * row_bytes, in + idx[i] * row_bytes, row_bytes);
  return out;
}

Tensor row_slice(const Tensor& x, int64_t begin, int64_t end) {
  std::vector<int64_t> start(static_cast<size_t>(x.ndim()), 0);
  start[0] = begin;
  Shape s = x.shape();
  s[0] = end - begin;
  return ops::slice(x, start, s);
}

void check_finite(const Tensor& t, const char* what) {
  if (!t.defined() || !is_floating(t.dtype()) || t.size() == 0) return;
  Tensor c = t.dtype() == DType::float32 ? t.contiguous() : ops::cast(t, DType::float32).contiguous();
  const float* p = c.data<float>();
  const int64_t n = c.size();
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(p[i]))
      throw ValueError(std::string("`") + what + "` contains NaN (first at flat index " + std::to_string(i) +
                       "). Remove or impute the missing values before passing the data to the model.");
  }
}

void check_inputs(const Tensor& x, const Tensor& y, const Tensor& sw, const char* where);

// Lists of inputs and targets: each checked as check_inputs does, all with one sample count.
void check_input_lists(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const Tensor& sw,
                       const char* where) {
  if (xs.empty()) throw ValueError(std::string(where) + ": `x` is an empty list; give one array per model input");
  for (size_t i = 0; i < xs.size(); ++i) {
    check_inputs(xs[i], Tensor(), i == 0 ? sw : Tensor(), where);
    if (rows(xs[i]) != rows(xs[0]))
      throw ValueError(std::string(where) + ": every input must have the same number of samples; x[0] has " +
                       std::to_string(rows(xs[0])) + " and x[" + std::to_string(i) + "] has " +
                       std::to_string(rows(xs[i])));
  }
  for (size_t i = 0; i < ys.size(); ++i) {
    if (!ys[i].defined()) throw ValueError(std::string(where) + ": y[" + std::to_string(i) + "] is undefined");
    if (ys[i].ndim() == 0 || rows(ys[i]) != rows(xs[0]))
      throw ValueError(std::string(where) + ": y[" + std::to_string(i) + "] must have " + std::to_string(rows(xs[0])) +
                       " samples, as x; received shape " + ys[i].shape().str());
  }
}

void check_inputs(const Tensor& x, const Tensor& y, const Tensor& sw, const char* where) {
  if (!x.defined()) throw ValueError(std::string(where) + ": `x` is an undefined tensor");
  if (x.is_symbolic()) throw ValueError(std::string(where) + ": `x` must hold data, not be a symbolic tensor");
  if (x.ndim() == 0) throw ValueError(std::string(where) + ": `x` must have a batch axis; received a 0-d tensor");
  if (rows(x) == 0) throw ValueError(std::string(where) + ": Expected input data to be non-empty; `x` has 0 samples.");
  std::vector<std::pair<std::string, int64_t>> sizes{{"x", rows(x)}};
  if (y.defined()) {
    if (y.ndim() == 0) throw ValueError(std::string(where) + ": `y` must have a batch axis; received a 0-d tensor");
    sizes.emplace_back("y", rows(y));
  }
  if (sw.defined()) {
    if (sw.ndim() == 0)
      throw ValueError(std::string(where) + ": `sample_weight` must have one value per sample; received a 0-d tensor");
    sizes.emplace_back("sample_weight", rows(sw));
  }
  for (const auto& [name, n] : sizes)
    if (n != sizes[0].second) {
      std::string msg = "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples.";
      for (const auto& [nm, k] : sizes) msg += "\n'" + nm + "' sizes: " + std::to_string(k);
      throw ValueError(msg);
    }
  check_finite(x, "x");
  check_finite(y, "y");
  check_finite(sw, "sample_weight");
}

// Keras' class_weight: each sample's weight is the weight of its class (argmax of a one-hot row).
Tensor class_weight_to_sample_weight(const Tensor& y, const std::map<int64_t, double>& class_weight) {
  if (!y.defined()) throw ValueError("class_weight needs targets `y`");
  Tensor labels;
  if (y.ndim() == 2 && y.shape()[1] > 1)
    labels = ops::argmax(y, -1);
  else if (y.ndim() == 2 && y.shape()[1] == 1)
    labels = ops::reshape(y, Shape{y.shape()[0]});
  else if (y.ndim() == 1)
    labels = y;
  else
    throw ValueError("`class_weight` is only supported for targets of rank 1 or 2; received y of shape " +
                     y.shape().str());
  std::vector<double> l = ops::cast(labels, DType::float64).to_vector<double>();
  std::vector<float> w(l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    const auto cls = static_cast<int64_t>(std::llround(l[i]));
    auto it = class_weight.find(cls);
    w[i] = it == class_weight.end() ? 1.0f : static_cast<float>(it->second);
  }
  return Tensor(w, Shape{static_cast<int64_t>(w.size())});
}

}  // namespace

// Where batches come from: arrays (ArrayAdapter) or a Dataset (DatasetAdapter).
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Batches per pass; nullopt when unknown, -1 when infinite.
  virtual std::optional<int64_t> num_batches() const = 0;
  virtual void start_pass() = 0;
  virtual std::optional<Batch> next() = 0;
  // Passes started and batches taken from the current one; restore() puts a fresh source there.
  virtual SourceState state() const = 0;
  virtual void restore(const SourceState& s) = 0;
};

namespace {

// Batches of arrays, reshuffled at each pass (ArrayDataAdapter with shuffle=True).
class ArrayAdapter : public BatchSource {
 public:
  ArrayAdapter(Tensor x, Tensor y, Tensor sw, int64_t batch_size, bool shuffle)
      : ArrayAdapter({std::move(x)}, false, y.defined() ? std::vector<Tensor>{std::move(y)} : std::vector<Tensor>{},
                     false, std::move(sw), batch_size, shuffle) {}
  // Lists of inputs / targets (list_x / list_y: batches carry xs / ys instead of x / y).
  ArrayAdapter(std::vector<Tensor> xs, bool list_x, std::vector<Tensor> ys, bool list_y, Tensor sw, int64_t batch_size,
               bool shuffle)
      : list_x_(list_x),
        list_y_(list_y),
        sw_(!sw.defined() || sw.is_contiguous() ? sw : sw.contiguous()),
        n_(rows(xs.at(0))),
        batch_size_(batch_size),
        shuffle_(shuffle) {
    for (auto& x : xs) xs_.push_back(x.is_contiguous() ? x : x.contiguous());
    for (auto& y : ys) ys_.push_back(y.is_contiguous() ? y : y.contiguous());
    if (shuffle_) seed_.emplace(std::nullopt);
  }
  std::optional<int64_t> num_batches() const override { return (n_ + batch_size_ - 1) / batch_size_; }
  void start_pass() override {
    cursor_ = 0;
    ++passes_;
    if (shuffle_) perm_ = random::permutation(n_, random::Seed(*seed_)).to_vector<int32_t>();
  }
  SourceState state() const override { return {passes_, (cursor_ + batch_size_ - 1) / batch_size_}; }
  void restore(const SourceState& s) override {
    if (s.passes <= 0) return;
    // Each pass draws its permutation once: the generator's state before the pass is passes - 1.
    if (shuffle_) seed_->set_state(static_cast<uint64_t>(s.passes - 1));
    passes_ = s.passes - 1;
    start_pass();
    cursor_ = std::min(n_, s.consumed * batch_size_);
  }
  std::optional<Batch> next() override {
    if (cursor_ >= n_) return std::nullopt;
    const int64_t end = std::min(n_, cursor_ + batch_size_);
    auto take = [&](const Tensor& t) {
      return shuffle_ ? gather_rows(t, perm_.data() + cursor_, end - cursor_) : row_slice(t, cursor_, end);
    };
    Batch b;
    for (const auto& x : xs_) b.xs.push_back(take(x));
    for (const auto& y : ys_) b.ys.push_back(take(y));
    if (sw_.defined()) b.sample_weight = take(sw_);
    if (!list_x_) {
      b.x = b.xs[0];
      b.xs.clear();
    }
    if (!list_y_ && !b.ys.empty()) {
      b.y = b.ys[0];
      b.ys.clear();
    }
    cursor_ = end;
    return b;
  }

 private:
  std::vector<Tensor> xs_, ys_;
  bool list_x_ = false, list_y_ = false;
  Tensor sw_;
  int64_t n_;
  int64_t batch_size_;
  bool shuffle_;
  std::optional<random::SeedGenerator> seed_;
  std::vector<int32_t> perm_;
  int64_t cursor_ = 0;
  int64_t passes_ = 0;
};

// Elements of a batched Dataset: (x), (x, y) or (x, y, sample_weight).
class DatasetAdapter : public BatchSource {
 public:
  explicit DatasetAdapter(data::Dataset ds) : ds_(std::move(ds)) {}
  std::optional<int64_t> num_batches() const override {
    const int64_t c = ds_.cardinality();
    if (c == data::kUnknownCardinality) return std::nullopt;
    return c;
  }
  void start_pass() override {
    it_.emplace(ds_.make_iterator());
    ++passes_;
    consumed_ = 0;
  }
  SourceState state() const override { return {passes_, consumed_}; }
  void restore(const SourceState& s) override {
    // A pass's order may depend on how many passes came before it (shuffle's reshuffling), so
    // earlier passes are started again, then the current one is replayed up to where it was.
    for (int64_t p = 1; p < s.passes; ++p) ds_.make_iterator();
    if (s.passes <= 0) return;
    passes_ = s.passes - 1;
    start_pass();
    for (int64_t i = 0; i < s.consumed; ++i)
      if (!next()) break;
  }
  std::optional<Batch> next() override {
    auto e = it_->next();
    if (!e) return std::nullopt;
    ++consumed_;
    if (e->empty() || e->size() > 3)
      throw ValueError("A dataset given to the model must yield (x), (x, y) or (x, y, sample_weight); received " +
                       std::to_string(e->size()) + " components");
    Batch b;
    b.x = (*e)[0];
    if (e->size() > 1) b.y = (*e)[1];
    if (e->size() > 2) b.sample_weight = (*e)[2];
    if (b.x.ndim() == 0)
      throw ValueError("The dataset's elements must be batches (call .batch(n) on it); received x of shape ()");
    return b;
  }

 private:
  data::Dataset ds_;
  std::optional<data::Dataset::Iterator> it_;
  int64_t passes_ = 0;
  int64_t consumed_ = 0;
};

// EpochIterator: yields executions of up to steps_per_execution steps. With steps_per_epoch set,
// the pass over the data continues across epochs and restarts when it is used up.
class EpochIterator {
 public:
  EpochIterator(std::unique_ptr<BatchSource> source, std::optional<int64_t> steps_per_epoch,
                int64_t steps_per_execution)
      : source_(std::move(source)), steps_per_epoch_(steps_per_epoch), spe_(steps_per_execution) {
    const auto nb = source_->num_batches();
    if (nb && *nb == data::kInfiniteCardinality && !steps_per_epoch_)
      throw ValueError(
          "When passing an infinitely repeating dataset, please specify a `steps_per_epoch` value so that epoch "
          "level callbacks continue to work. The value should be the number of steps in one epoch.");
    if (nb && *nb == 0) throw ValueError("Expected input data to be non-empty; the dataset has no batches.");
  }

  // Steps per epoch when known.
  std::optional<int64_t> steps() const {
    if (steps_per_epoch_) return steps_per_epoch_;
    const auto nb = source_->num_batches();
    if (nb && *nb >= 0) return nb;
    return std::nullopt;
  }

  void begin_epoch() {
    if (!started_ || !steps_per_epoch_ || exhausted_) {
      source_->start_pass();
      exhausted_ = false;
      started_ = true;
    }
    step_ = 0;
  }
  // Puts a fresh iterator at a saved position (instead of begin_epoch for that epoch when the
  // position is inside it).
  void restore(const FitPosition& p) {
    source_->restore(p.source);
    started_ = p.pass_started;
    exhausted_ = p.pass_exhausted;
    step_ = p.step;
  }
  void save(FitPosition& p) const {
    p.source = source_->state();
    p.pass_started = started_;
    p.pass_exhausted = exhausted_;
    p.step = step_;
  }
  // Whether another execution starts; its first step index.
  bool next_execution(int64_t& begin_step) {
    const auto total = steps();
    if ((total && step_ >= *total) || exhausted_) return false;
    begin_step = step_;
    return true;
  }
  // The next batch of the current execution (nullopt when it is complete or the data ran out).
  std::optional<Batch> next_batch(int64_t executed_in_this_call) {
    const auto total = steps();
    if (executed_in_this_call >= spe_ || (total && step_ >= *total) || exhausted_) return std::nullopt;
    auto b = source_->next();
    if (!b) {
      exhausted_ = true;
      if (steps_per_epoch_ && step_ < *steps_per_epoch_ && !warned_) {
        user_warning(
            "Your input ran out of data; interrupting training. Make sure that your dataset or generator can "
            "generate at least `steps_per_epoch * epochs` batches.");
        warned_ = true;
      }
      return std::nullopt;
    }
    ++step_;
    return b;
  }

 private:
  std::unique_ptr<BatchSource> source_;
  std::optional<int64_t> steps_per_epoch_;
  int64_t spe_;
  int64_t step_ = 0;
  bool started_ = false;
  bool exhausted_ = false;
  bool warned_ = false;
};

callbacks::Logs to_numbers(const Logs& logs) {
  callbacks::Logs out;
  for (const auto& [k, v] : logs) {
    if (!v.defined()) continue;
    if (v.size() == 1) {
      out[k] = ops::cast(v, DType::float64).contiguous().data<double>()[0];
    } else {
      std::vector<double> vals = ops::cast(v, DType::float64).to_vector<double>();
      for (size_t i = 0; i < vals.size(); ++i) out[k + "_" + std::to_string(i)] = vals[i];
    }
  }
  return out;
}

std::vector<std::shared_ptr<callbacks::Callback>> unwrap(const std::vector<callbacks::CallbackArg>& args) {
  std::vector<std::shared_ptr<callbacks::Callback>> out;
  for (const auto& a : args) out.push_back(a.get());
  return out;
}

}  // namespace

class Trainer {
 public:
  static void require_compiled(const Model& m) {
    if (!m.compiled()) throw ValueError("You must call `compile()` before using the model.");
  }

  // Runs up to steps_per_execution train steps; returns how many ran.
  static int64_t train_function(Model& m, EpochIterator& it, Logs& logs) {
    int64_t ran = 0;
    while (auto batch = it.next_batch(ran)) {
      if (m.state_->pending_metrics) apply_pending_metrics(m, *batch);
      m.distribute_strategy().run([&] { logs = m.train_step(*batch); });
      ++ran;
    }
    return ran;
  }
  // Puts saved metric state back, building the compiled metrics first if this process has not
  // (an inference-mode forward pass on the batch gives their shapes and changes nothing).
  static void apply_pending_metrics(Model& m, const Batch& batch) {
    auto values = std::move(*m.state_->pending_metrics);
    m.state_->pending_metrics.reset();
    if (!m.state_->metrics_built && batch.y.defined()) m.state_->build_metrics(batch.y, m(batch.x, false));
    auto ms = m.metrics();
    if (ms.size() != values.size()) return;  // a custom train_step with other metrics: they start over
    for (size_t i = 0; i < ms.size(); ++i) {
      auto vars = ms[i]->variables();
      size_t k = 0;
      for (auto& v : vars) k += static_cast<size_t>(v.shape().numel());
      if (k != values[i].size()) return;
    }
    for (size_t i = 0; i < ms.size(); ++i) {
      size_t k = 0;
      for (auto v : ms[i]->variables()) {
        const auto n = static_cast<size_t>(v.shape().numel());
        std::vector<double> part(values[i].begin() + static_cast<std::ptrdiff_t>(k),
                                 values[i].begin() + static_cast<std::ptrdiff_t>(k + n));
        v.assign(ops::cast(Tensor::from_bytes(part.data(), DType::float64, v.shape()), v.dtype()));
        k += n;
      }
    }
  }

  static std::vector<random::SeedGenerator*> seed_generators(Model& m) {
    std::vector<random::SeedGenerator*> out;
    std::function<void(Layer&)> walk = [&](Layer& l) {
      for (auto* g : l.own_seed_generators()) out.push_back(g);
      for (auto& sub : l.sublayers()) walk(*sub);
    };
    walk(m);
    return out;
  }

  static FitPosition position(Model& m, const EpochIterator& it, int64_t epoch, bool epoch_done,
                              const Logs& last_logs) {
    FitPosition p;
    it.save(p);
    p.epoch = epoch;
    if (epoch_done) {
      p.epoch = epoch + 1;
      p.step = 0;
    } else {
      for (auto& metric : m.metrics()) {
        std::vector<double> flat;
        for (auto& v : metric->variables()) {
          auto part = ops::cast(v.value(), DType::float64).to_vector<double>();
          flat.insert(flat.end(), part.begin(), part.end());
        }
        p.metrics.push_back(std::move(flat));
      }
      p.last_logs = to_numbers(last_logs);
    }
    for (auto* g : seed_generators(m)) p.seed_generators.push_back(g->state());
    std::tie(p.global_seed, p.global_draws) = random::global_generator_state();
    return p;
  }

  static FitPosition live_position(Model& m) {
    if (!m.state_->live_position) throw RuntimeError("The model is not training: there is no fit() position to save");
    return m.state_->live_position();
  }
  static void resume_at(Model& m, const FitPosition& p) {
    auto gens = seed_generators(m);
    if (gens.size() != p.seed_generators.size())
      throw ValueError("The backup holds " + std::to_string(p.seed_generators.size()) +
                       " random seed generator states but the model has " + std::to_string(gens.size()) +
                       " (layers such as Dropout): the backup comes from another model");
    m.state_->resume = p;
  }

  static int64_t test_function(Model& m, EpochIterator& it, Logs& logs) {
    int64_t ran = 0;
    while (auto batch = it.next_batch(ran)) {
      m.distribute_strategy().run([&] { logs = m.test_step(*batch); });
      ++ran;
    }
    return ran;
  }

  static std::map<std::string, double> evaluate_loop(Model& m, std::unique_ptr<BatchSource> source,
                                                     std::optional<int64_t> steps, callbacks::CallbackList& cbs) {
    EpochIterator it(std::move(source), steps, m.steps_per_execution());
    m.reset_metrics();
    cbs.on_test_begin({});
    it.begin_epoch();
    Logs logs;
    int64_t begin = 0;
    bool any = false;
    while (it.next_execution(begin)) {
      cbs.on_test_batch_begin(begin, {});
      const int64_t ran = test_function(m, it, logs);
      if (ran == 0) break;
      any = true;
      cbs.on_test_batch_end(begin + ran - 1, to_numbers(logs));
    }
    if (!any) throw ValueError("evaluate: no batch was run; the data is empty");
    callbacks::Logs result = to_numbers(m.get_metrics_result_or(logs));
    cbs.on_test_end(result);
    return result;
  }
};

}  // namespace detail

namespace {
int64_t check_batch_size(std::optional<int64_t> b, const char* what) {
  const int64_t v = b.value_or(32);
  if (v <= 0) throw ValueError(std::string(what) + " must be a positive integer; received " + std::to_string(v));
  return v;
}
}  // namespace

Logs Model::get_metrics_result_or(const Logs& logs) {
  // Keras' _get_metrics_result_or_logs: the metrics' results when the step returned exactly them.
  Logs results = get_metrics_result();
  if (results.size() != logs.size()) return logs;
  for (const auto& [k, v] : logs)
    if (!results.count(k)) return logs;
  return results;
}

History Model::fit(const Tensor& x, FitOptions options) { return fit(x, Tensor(), std::move(options)); }

History Model::fit(const Tensor& x_in, const Tensor& y_in, FitOptions o) {
  detail::Trainer::require_compiled(*this);
  detail::check_inputs(x_in, y_in, o.sample_weight, "fit");
  const int64_t batch_size = check_batch_size(o.batch_size, "batch_size");
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw ValueError("validation_split must be in [0, 1); received " + std::to_string(o.validation_split));
  Tensor x = x_in, y = y_in, sw = o.sample_weight;
  if (!o.class_weight.empty()) {
    Tensor cw = detail::class_weight_to_sample_weight(y, o.class_weight);
    sw = sw.defined() ? ops::multiply(ops::reshape(ops::cast(sw, DType::float32), cw.shape()), cw) : cw;
  }
  ValidationData val = o.validation_data;
  if (o.validation_split > 0.0 && !val.defined()) {
    const int64_t n = detail::rows(x);
    const auto split_at = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - o.validation_split)));
    if (split_at == 0 || split_at == n)
      throw ValueError("Training data contains " + std::to_string(split_at) + " samples, which is not sufficient to " +
                       "split it into a validation and training set as specified by `validation_split=" +
                       std::to_string(o.validation_split) + "`. Either provide more data, or a different value for " +
                       "the `validation_split` argument.");
    val.x = detail::row_slice(x, split_at, n);
    if (y.defined()) val.y = detail::row_slice(y, split_at, n);
    if (sw.defined()) val.sample_weight = detail::row_slice(sw, split_at, n);
    x = detail::row_slice(x, 0, split_at);
    if (y.defined()) y = detail::row_slice(y, 0, split_at);
    if (sw.defined()) sw = detail::row_slice(sw, 0, split_at);
  }
  return fit_loop(std::make_unique<detail::ArrayAdapter>(x, y, sw, batch_size, o.shuffle), val, o);
}

History Model::fit(const Tensors& x, const Tensors& y, FitOptions o) {
  detail::Trainer::require_compiled(*this);
  detail::check_input_lists(x, y, o.sample_weight, "fit");
  const int64_t batch_size = check_batch_size(o.batch_size, "batch_size");
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw ValueError("validation_split must be in [0, 1); received " + std::to_string(o.validation_split));
  if (!o.class_weight.empty())
    throw ValueError("`class_weight` is only supported for Models with a single output, given as one array.");
  std::vector<Tensor> xs = x, ys = y;
  Tensor sw = o.sample_weight;
  ValidationData val = o.validation_data;
  if (o.validation_split > 0.0 && !val.defined()) {
    const int64_t n = detail::rows(xs[0]);
    const auto split_at = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - o.validation_split)));
    if (split_at == 0 || split_at == n)
      throw ValueError("Training data contains " + std::to_string(split_at) + " samples, which is not sufficient to " +
                       "split it into a validation and training set as specified by `validation_split=" +
                       std::to_string(o.validation_split) + "`. Either provide more data, or a different value for " +
                       "the `validation_split` argument.");
    std::vector<Tensor> vx, vy;
    for (auto& t : xs) {
      vx.push_back(detail::row_slice(t, split_at, n));
      t = detail::row_slice(t, 0, split_at);
    }
    for (auto& t : ys) {
      vy.push_back(detail::row_slice(t, split_at, n));
      t = detail::row_slice(t, 0, split_at);
    }
    val = ValidationData(std::move(vx), std::move(vy), sw.defined() ? detail::row_slice(sw, split_at, n) : Tensor());
    if (sw.defined()) sw = detail::row_slice(sw, 0, split_at);
  }
  return fit_loop(std::make_unique<detail::ArrayAdapter>(xs, true, ys, true, sw, batch_size, o.shuffle), val, o);
}

History Model::fit(const data::Dataset& dataset, FitOptions o) {
  detail::Trainer::require_compiled(*this);
  if (o.validation_split > 0.0)
    throw ValueError("`validation_split` is only supported for tensors, not for a Dataset; pass `validation_data`.");
  if (!o.class_weight.empty() || o.sample_weight.defined())
    throw ValueError(
        "`class_weight` and `sample_weight` apply to tensors; a Dataset carries its own sample weights "
        "as the third component of its elements.");
  return fit_loop(std::make_unique<detail::DatasetAdapter>(dataset), o.validation_data, o);
}

namespace detail {
FitPosition fit_position(Model& model) { return Trainer::live_position(model); }
void resume_fit_at(Model& model, const FitPosition& position) { Trainer::resume_at(model, position); }
FitPosition epoch_start_position(Model& model, int64_t epoch) {
  FitPosition p;
  p.epoch = epoch;
  for (auto* g : Trainer::seed_generators(model)) p.seed_generators.push_back(g->state());
  std::tie(p.global_seed, p.global_draws) = random::global_generator_state();
  return p;
}

nlohmann::json to_json(const FitPosition& p) {
  return {{"epoch", p.epoch},
          {"step", p.step},
          {"pass_started", p.pass_started},
          {"pass_exhausted", p.pass_exhausted},
          {"source_passes", p.source.passes},
          {"source_consumed", p.source.consumed},
          {"seed_generators", p.seed_generators},
          {"global_seed", p.global_seed},
          {"global_draws", p.global_draws},
          {"metrics", p.metrics},
          {"last_logs", p.last_logs}};
}

FitPosition fit_position_from_json(const nlohmann::json& j) {
  FitPosition p;
  auto get = [&](const char* key, auto& out) {
    if (!j.is_object() || !j.contains(key))
      throw ValueError(std::string("The training position has no field '") + key + "'");
    try {
      j.at(key).get_to(out);
    } catch (const nlohmann::json::exception&) {
      throw ValueError(std::string("The training position's field '") + key + "' has the wrong type");
    }
  };
  get("epoch", p.epoch);
  get("step", p.step);
  get("pass_started", p.pass_started);
  get("pass_exhausted", p.pass_exhausted);
  get("source_passes", p.source.passes);
  get("source_consumed", p.source.consumed);
  get("seed_generators", p.seed_generators);
  get("global_seed", p.global_seed);
  get("global_draws", p.global_draws);
  get("metrics", p.metrics);
  get("last_logs", p.last_logs);
  if (p.epoch < 0 || p.step < 0 || p.source.passes < 0 || p.source.consumed < 0)
    throw ValueError("The training position has negative counts");
  return p;
}
}  // namespace detail

History Model::fit_loop(std::unique_ptr<detail::BatchSource> train, const ValidationData& val, const FitOptions& o) {
  if (o.epochs < 0) throw ValueError("epochs must be non-negative; received " + std::to_string(o.epochs));
  if (o.initial_epoch < 0)
    throw ValueError("initial_epoch must be non-negative; received " + std::to_string(o.initial_epoch));
  if (o.steps_per_epoch && *o.steps_per_epoch <= 0)
    throw ValueError("steps_per_epoch must be a positive integer; received " + std::to_string(*o.steps_per_epoch));
  if (o.validation_freq < 1)
    throw ValueError("validation_freq must be a positive integer; received " + std::to_string(o.validation_freq));
  if (val.x.defined()) detail::check_inputs(val.x, val.y, val.sample_weight, "fit (validation_data)");
  if (!val.xs.empty()) detail::check_input_lists(val.xs, val.ys, val.sample_weight, "fit (validation_data)");
  const int64_t val_batch_size =
      check_batch_size(o.validation_batch_size ? o.validation_batch_size : o.batch_size, "validation_batch_size");
  auto make_val = [&]() -> std::unique_ptr<detail::BatchSource> {
    if (val.dataset) return std::make_unique<detail::DatasetAdapter>(*val.dataset);
    if (!val.xs.empty())
      return std::make_unique<detail::ArrayAdapter>(val.xs, true, val.ys, true, val.sample_weight, val_batch_size,
                                                    false);
    return std::make_unique<detail::ArrayAdapter>(val.x, val.y, val.sample_weight, val_batch_size, false);
  };

  detail::EpochIterator it(std::move(train), o.steps_per_epoch, steps_per_execution());
  const int verbose = o.verbose.resolve();
  callbacks::CallbackList cbs(detail::unwrap(o.callbacks),
                              {.add_history = true,
                               .add_progbar = verbose != 0,
                               .model = this,
                               .params = {.epochs = o.epochs, .steps = it.steps(), .verbose = verbose}});
  stop_training = false;
  Logs logs;
  int64_t current_epoch = o.initial_epoch;
  bool epoch_done = false;
  state_->live_position = [&] { return detail::Trainer::position(*this, it, current_epoch, epoch_done, logs); };
  struct Cleanup {
    detail::CompiledState& st;
    ~Cleanup() {
      st.live_position = nullptr;
      st.resume.reset();
      st.pending_metrics.reset();
    }
  } cleanup{*state_};
  cbs.on_train_begin({});
  // BackupAndRestore may have asked (in on_train_begin) to continue from a saved position.
  std::optional<detail::FitPosition> resume = std::move(state_->resume);
  state_->resume.reset();
  int64_t first_epoch = o.initial_epoch;
  if (resume) {
    first_epoch = resume->epoch;
    auto gens = detail::Trainer::seed_generators(*this);
    for (size_t i = 0; i < gens.size(); ++i) gens[i]->set_state(resume->seed_generators[i]);
    random::set_global_generator_state(resume->global_seed, resume->global_draws);
  }
  callbacks::Logs training_logs;
  for (int64_t epoch = first_epoch; epoch < o.epochs; ++epoch) {
    current_epoch = epoch;
    epoch_done = false;
    reset_metrics();
    cbs.on_epoch_begin(epoch, {});
    logs.clear();
    bool any = false;
    std::optional<callbacks::Logs> resumed_logs;
    if (resume && resume->epoch == epoch) {
      it.restore(*resume);
      if (resume->step == 0) {
        it.begin_epoch();
      } else {
        any = true;
        state_->pending_metrics = resume->metrics;
        resumed_logs = resume->last_logs;
      }
      resume.reset();
    } else {
      it.begin_epoch();
    }
    int64_t begin = 0;
    while (it.next_execution(begin)) {
      resumed_logs.reset();
      cbs.on_train_batch_begin(begin, {});
      const int64_t ran = detail::Trainer::train_function(*this, it, logs);
      if (ran == 0) break;
      any = true;
      cbs.on_train_batch_end(begin + ran - 1, detail::to_numbers(logs));
      if (stop_training) break;
    }
    if (!any)
      throw ValueError(
          "Unexpected result of `train_function` (Empty logs). This could be due to issues in input pipeline that "
          "resulted in an empty dataset. Otherwise, please use `Model.compile(..., run_eagerly=True)` for more "
          "information of where went wrong, or file a issue/bug to `keras`.");
    // A run resumed after its epoch's last step has no new logs: the saved ones are the epoch's.
    callbacks::Logs epoch_logs = resumed_logs ? *resumed_logs : detail::to_numbers(get_metrics_result_or(logs));
    epoch_done = true;
    state_->pending_metrics.reset();  // a resumed epoch with no step left never applied them
    if (val.defined() && (epoch + 1) % o.validation_freq == 0) {
      auto val_logs = detail::Trainer::evaluate_loop(*this, make_val(), o.validation_steps, cbs);
      for (const auto& [k, v] : val_logs) epoch_logs["val_" + k] = v;
    }
    cbs.on_epoch_end_shared(epoch, epoch_logs);
    training_logs = epoch_logs;
    if (stop_training) break;
  }
  if (state_->optimizer) state_->optimizer->finalize_variable_values(trainable_weights());
  cbs.on_train_end(training_logs);
  history_ = cbs.history();
  return *history_;
}

std::map<std::string, double> Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
  detail::Trainer::require_compiled(*this);
  detail::check_inputs(x, y, o.sample_weight, "evaluate");
  const int64_t batch_size = check_batch_size(o.batch_size, "batch_size");
  return evaluate_source(std::make_unique<detail::ArrayAdapter>(x, y, o.sample_weight, batch_size, false), o);
}

std::map<std::string, double> Model::evaluate(const Tensors& x, const Tensors& y, EvaluateOptions o) {
  detail::Trainer::require_compiled(*this);
  detail::check_input_lists(x, y, o.sample_weight, "evaluate");
  const int64_t batch_size = check_batch_size(o.batch_size, "batch_size");
  return evaluate_source(std::make_unique<detail::ArrayAdapter>(x, true, y, true, o.sample_weight, batch_size, false),
                         o);
}

std::map<std::string, double> Model::evaluate(const data::Dataset& dataset, EvaluateOptions o) {
  detail::Trainer::require_compiled(*this);
  return evaluate_source(std::make_unique<detail::DatasetAdapter>(dataset), o);
}

std::map<std::string, double> Model::evaluate_source(std::unique_ptr<detail::BatchSource> source,
                                                     const EvaluateOptions& o) {
  if (o.steps && *o.steps <= 0)
    throw ValueError("steps must be a positive integer; received " + std::to_string(*o.steps));
  const int verbose = o.verbose.resolve();
  std::optional<int64_t> steps = o.steps;
  if (!steps) {
    const auto nb = source->num_batches();
    if (nb && *nb >= 0) steps = nb;
  }
  callbacks::CallbackList cbs(
      detail::unwrap(o.callbacks),
      {.add_progbar = verbose != 0, .model = this, .params = {.epochs = 1, .steps = steps, .verbose = verbose}});
  return detail::Trainer::evaluate_loop(*this, std::move(source), o.steps, cbs);
}

Tensor Model::predict(const Tensor& x, PredictOptions o) {
  detail::check_inputs(x, Tensor(), Tensor(), "predict");
  const int64_t batch_size = check_batch_size(o.batch_size, "batch_size");
  return predict_source(std::make_unique<detail::ArrayAdapter>(x, Tensor(), Tensor(), batch_size, false), o);
}

Tensor Model::predict(const data::Dataset& dataset, PredictOptions o) {
  return predict_source(std::make_unique<detail::DatasetAdapter>(dataset), o);
}

Tensors Model::predict(const Tensors& x, PredictOptions o) {
  detail::check_input_lists(x, {}, Tensor(), "predict");
  const int64_t batch_size = check_batch_size(o.batch_size, "batch_size");
  return Tensors(predict_lists(
      std::make_unique<detail::ArrayAdapter>(x, true, std::vector<Tensor>{}, true, Tensor(), batch_size, false), o));
}

std::vector<Tensor> Model::predict_lists(std::unique_ptr<detail::BatchSource> source, const PredictOptions& o) {
  if (o.steps && *o.steps <= 0)
    throw ValueError("steps must be a positive integer; received " + std::to_string(*o.steps));
  const int verbose = o.verbose.resolve();
  detail::EpochIterator it(std::move(source), o.steps, compiled() ? steps_per_execution() : 1);
  callbacks::CallbackList cbs(
      detail::unwrap(o.callbacks),
      {.add_progbar = verbose != 0, .model = this, .params = {.epochs = 1, .steps = it.steps(), .verbose = verbose}});
  std::vector<std::vector<Tensor>> outputs;  // per output, per batch
  cbs.on_predict_begin({});
  it.begin_epoch();
  int64_t begin = 0;
  while (it.next_execution(begin)) {
    cbs.on_predict_batch_begin(begin, {});
    int64_t ran = 0;
    while (auto batch = it.next_batch(ran)) {
      // One input: the overridable predict_step; lists of inputs: every output of the model.
      std::vector<Tensor> out;
      distribute_strategy().run([&] {
        out = batch->xs.empty() ? std::vector<Tensor>{predict_step(*batch)}
                                : std::vector<Tensor>((*this)(batch->xs, false));
      });
      outputs.resize(out.size());
      for (size_t i = 0; i < out.size(); ++i) outputs[i].push_back(out[i]);
      ++ran;
    }
    if (ran == 0) break;
    cbs.on_predict_batch_end(begin + ran - 1, {});
  }
  cbs.on_predict_end({});
  if (outputs.empty()) throw ValueError("predict: no batch was run; the data is empty");
  std::vector<Tensor> result;
  for (auto& parts : outputs) result.push_back(parts.size() == 1 ? parts[0] : ops::concatenate(parts, 0));
  return result;
}

Tensor Model::predict_source(std::unique_ptr<detail::BatchSource> source, const PredictOptions& o) {
  return predict_lists(std::move(source), o)[0];
}

std::map<std::string, double> Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight,
                                                    const std::map<int64_t, double>& class_weight) {
  detail::Trainer::require_compiled(*this);
  detail::check_inputs(x, y, sample_weight, "train_on_batch");
  Tensor sw = sample_weight;
  if (!class_weight.empty()) {
    Tensor cw = detail::class_weight_to_sample_weight(y, class_weight);
    sw = sw.defined() ? ops::multiply(ops::reshape(ops::cast(sw, DType::float32), cw.shape()), cw) : cw;
  }
  reset_metrics();
  Logs logs;
  Batch b{x, y, sw};
  distribute_strategy().run([&] { logs = train_step(b); });
  return detail::to_numbers(logs);
}

std::map<std::string, double> Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  detail::Trainer::require_compiled(*this);
  detail::check_inputs(x, y, sample_weight, "test_on_batch");
  reset_metrics();
  Logs logs;
  Batch b{x, y, sample_weight};
  distribute_strategy().run([&] { logs = test_step(b); });
  return detail::to_numbers(logs);
}

Tensor Model::predict_on_batch(const Tensor& x) {
  detail::check_inputs(x, Tensor(), Tensor(), "predict_on_batch");
  Tensor out;
  Batch b{x, Tensor(), Tensor()};
  distribute_strategy().run([&] { out = predict_step(b); });
  return out;
}

}  // namespace keras
