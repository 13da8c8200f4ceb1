// Mirrors keras/src/utils/summary_utils.py (print_summary) for Sequential and
// subclassed models: one row per layer, then the parameter totals.
#include <iostream>
#include <set>

#include "keras/models/model.hpp"
#include "keras/models/sequential.hpp"
#include "models/compiled_state.hpp"
#include "models/functional.hpp"
#include "utils/summary_utils.hpp"

namespace keras {

namespace {
std::string format_shape(const Shape& s) {
  std::string out = "(";
  for (int i = 0; i < s.rank(); ++i) {
    if (i) out += ", ";
    out += s[i] < 0 ? "None" : std::to_string(s[i]);
  }
  if (s.rank() == 1) out += ",";
  return out + ")";
}

int64_t bytes_of(const Variable& v) { return v.shape().numel() * static_cast<int64_t>(dtype_size(v.dtype())); }
}  // namespace

std::string Model::summary_string(SummaryOptions options) {
  std::vector<detail::SummaryRow> rows;
  const auto layers = functional_ ? functional_->layers : summary_layers();
  const auto* seq = dynamic_cast<const Sequential*>(this);
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    detail::SummaryRow r;
    r.name = l->name();
    r.class_name = l->class_name();
    std::optional<Shape> out;
    std::vector<Shape> node_shapes;  // a Functional model: the layer's last call in the graph
    if (functional_) {
      for (const auto& node : functional_->nodes) {
        if (node->layer != l) continue;
        node_shapes = node->output_shapes;
        for (const auto& x : node->inputs) {
          const auto& h = x.impl()->keras_history;
          r.connected_to.push_back(h->layer->name() + "[" + std::to_string(h->node_index) + "][" +
                                   std::to_string(x.impl()->keras_history_index) + "]");
        }
      }
    }
    if (node_shapes.size() == 1)
      out = node_shapes[0];
    else if (seq && i < seq->output_shapes().size())
      out = seq->output_shapes()[i];
    else if (!functional_)
      out = l->last_output_shape();
    // Plain assignments (a conditional between std::string and a literal trips GCC 12's -Wrestrict).
    if (node_shapes.size() > 1) {
      r.output_shape = "[";
      for (size_t k = 0; k < node_shapes.size(); ++k) r.output_shape += (k ? ", " : "") + format_shape(node_shapes[k]);
      r.output_shape += "]";
    } else if (out) {
      r.output_shape = format_shape(*out);
    } else {
      r.output_shape.assign(1, '?');
    }
    if (l->built())
      r.params = detail::format_param_count(l->count_params());
    else
      r.params.assign("0 (unbuilt)");
    r.trainable.assign(1, l->weights().empty() ? '-' : (l->trainable() ? 'Y' : 'N'));
    rows.push_back(std::move(r));
  }
  detail::SummaryTotals t;
  std::set<uint64_t> seen;
  for (const auto& v : trainable_weights())
    if (seen.insert(v.id()).second) {
      t.trainable_count += v.shape().numel();
      t.trainable_bytes += bytes_of(v);
    }
  for (const auto& v : non_trainable_weights())
    if (seen.insert(v.id()).second) {
      t.non_trainable_count += v.shape().numel();
      t.non_trainable_bytes += bytes_of(v);
    }
  t.total_count = t.trainable_count + t.non_trainable_count;
  t.total_bytes = t.trainable_bytes + t.non_trainable_bytes;
  if (state_->optimizer && state_->optimizer->built()) {
    int64_t n = 0, b = 0;
    for (const auto& v : state_->optimizer->variables()) {
      n += v.shape().numel();
      b += bytes_of(v);
    }
    t.optimizer = std::make_pair(n, b);
    t.total_count += n;
    t.total_bytes += b;
  }
  const bool sequential_like = !functional_ || functional_->sequential_like;
  const int width = detail::summary_line_length(sequential_like, options.line_length, options.show_trainable);
  return detail::render_summary(name(), rows, t, sequential_like, options.show_trainable, width);
}

void Model::summary(SummaryOptions options) {
  auto print_fn = options.print_fn;
  const std::string text = summary_string(std::move(options));
  if (print_fn) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      print_fn(text.substr(start, end - start));
      start = end + 1;
    }
  } else {
    std::cout << text;
    std::cout.flush();
  }
}

}  // namespace keras
