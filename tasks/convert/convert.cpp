// The conversions of convert.h. Each reader fills one Checkpoint (config,
// tensors under XLM's names, id-ordered vocabulary, codes text); one writer
// checks it against the released models' pitfalls, loads it into a
// TransformerModel (which checks every name and shape) and saves our model
// directory. The HF writer starts from load_model_dir for the same reason.
#include "tasks/convert/convert.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "nn/model_dir.h"
#include "tasks/convert/hf_layout.h"
#include "text/bpe_files.h"
#include "text/dictionary.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

struct Checkpoint {
  std::string source;                       // what error messages name
  nn::TransformerConfig config;             // max_positions -1: take it from the tensor
  std::map<std::string, Tensor> tensors;    // XLM names
  std::string tensors_source;               // the weights file
  std::vector<std::string> words;           // (n) id -> fastBPE word, specials first
  std::vector<int64_t> counts;              // (n) fastBPE counts (0 for the specials)
  std::string codes;                        // fastBPE codes text, "" when none
  bool counts_invented = false;             // HF vocab.json without our xlm_vocab beside it
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json(const std::string& path) {
  try {
    return nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
}

void write_text(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

// A private folder for the vocab/codes files save_model_dir copies; removed on scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / fmt::format("xlm-convert-{}-{}", ::getpid(), counter++);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void read_xlm_vocab(const std::string& path, Checkpoint& ck) {
  const text::Dictionary d = text::Dictionary::from_vocab_file(path);
  for (int64_t id = 0; id < d.size(); ++id) {
    ck.words.push_back(d.word(id));
    ck.counts.push_back(d.count(id));
  }
}

std::string vocab_file_text(const std::vector<std::string>& words, const std::vector<int64_t>& counts) {
  std::string out;
  for (size_t id = static_cast<size_t>(text::kFirstWordIndex); id < words.size(); ++id)
    out += fmt::format("{} {}\n", words[id], counts[id]);
  return out;
}

Checkpoint read_xlm_dir(const std::string& dir) {
  Checkpoint ck;
  ck.source = (fs::path(dir) / "params.json").string();
  ck.config = nn::TransformerConfig::from_json(read_json(ck.source), ck.source);
  ck.tensors_source = (fs::path(dir) / "model.safetensors").string();
  ck.tensors = load_safetensors(ck.tensors_source).tensors;
  read_xlm_vocab((fs::path(dir) / "vocab").string(), ck);
  const fs::path codes = fs::path(dir) / "codes";
  if (fs::is_regular_file(codes)) ck.codes = read_text(codes.string());
  return ck;
}

// merges.txt -> fastBPE codes: HF's XLM tokenizer reads the first two fields
// of each line, so merges.txt is fastBPE's codes file; a line without its
// count gets 0 (fastBPE only checks counts), a "#version" header is dropped.
std::string codes_from_merges(const std::string& merges, const std::string& source) {
  std::istringstream in(merges);
  std::string line, out;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    std::istringstream fields(line);
    std::string left, right, count, extra;
    fields >> left >> right >> count >> extra;
    XLM_CHECK(!right.empty() && extra.empty(), FormatError, "{}: line '{}' is not 'left right [count]'", source, line);
    out += fmt::format("{} {} {}\n", left, right, count.empty() ? "0" : count);
  }
  text::parse_bpe_codes(out, source);  // same checks as any codes file
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// Runs `$XLM_PYTHON HELPER ARGS...` (default python3) after checking that the
// interpreter has torch; `what` names the file being read in errors.
void run_torch_helper(const std::string& helper, const std::vector<std::string>& args, const std::string& what) {
  XLM_CHECK(fs::is_regular_file(helper), ConfigError, "{}: the torch helper script {} is missing (--pth_helper)", what,
            helper);
  const char* env_python = std::getenv("XLM_PYTHON");
  const std::string python = env_python != nullptr && *env_python != '\0' ? env_python : "python3";
  XLM_CHECK(std::system(fmt::format("{} -c 'import torch' >/dev/null 2>&1", shell_quote(python)).c_str()) == 0,
            ConfigError, "{}: reading a torch pickle needs {} with torch (apt-get install python3-torch, or set XLM_PYTHON)",
            what, python);
  std::string command = shell_quote(python) + " " + shell_quote(helper);
  for (const std::string& a : args) command += " " + shell_quote(a);
  const int rc = std::system(command.c_str());
  XLM_CHECK(rc == 0, FormatError, "{}: the torch helper failed (exit status {}); see its message above", what,
            WIFEXITED(rc) ? WEXITSTATUS(rc) : rc);
}

Checkpoint read_hf_dir(const std::string& dir, const std::string& helper) {
  Checkpoint ck;
  ck.source = (fs::path(dir) / "config.json").string();
  ck.config = config_from_hf_json(read_json(ck.source), ck.source);
  fs::path weights = fs::path(dir) / "model.safetensors";
  ScratchDir scratch;  // the safetensors copy of a pytorch_model.bin (the mapping outlives the file)
  if (!fs::is_regular_file(weights)) {
    const fs::path bin = fs::path(dir) / "pytorch_model.bin";
    XLM_CHECK(fs::is_regular_file(bin), FormatError,
              "{}: missing (a Hugging Face XLM directory holds its weights there or in pytorch_model.bin)",
              weights.string());
    XLM_CHECK(!helper.empty(), FormatError,
              "{}: holds only pytorch_model.bin (a torch pickle); convert with `xlm convert` (which runs the torch "
              "helper) or re-save it with save_pretrained(DIR, safe_serialization=True)",
              dir);
    weights = scratch.file("pytorch_model.safetensors");
    run_torch_helper(helper, {"--state_dict", bin.string(), weights.string()}, bin.string());
  }
  ck.tensors_source = weights.string();
  for (auto& [name, t] : load_safetensors(ck.tensors_source).tensors) {
    const std::string ours = xlm_param_name(name, ck.tensors_source);
    if (!ours.empty()) ck.tensors.emplace(ours, t);
  }
  const std::string vocab_json = (fs::path(dir) / "vocab.json").string();
  XLM_CHECK(fs::is_regular_file(vocab_json), FormatError, "{}: missing (the tokenizer's vocabulary)", vocab_json);
  ck.words = xlm_words_from_hf_vocab(read_json(vocab_json), vocab_json);
  // Counts: from our own export's xlm_vocab when it matches word for word,
  // else n_words - id (HF keeps none; this keeps fastBPE's decreasing order).
  const fs::path sidecar = fs::path(dir) / "xlm_vocab";
  bool counted = false;
  if (fs::is_regular_file(sidecar)) {
    Checkpoint side;
    read_xlm_vocab(sidecar.string(), side);
    if (side.words == ck.words) {
      ck.counts = side.counts;
      counted = true;
    }
  }
  if (!counted) {
    ck.counts_invented = true;
    const int64_t n = static_cast<int64_t>(ck.words.size());
    for (int64_t id = 0; id < n; ++id) ck.counts.push_back(id < text::kFirstWordIndex ? 0 : n - id);
  }
  const fs::path merges = fs::path(dir) / "merges.txt";
  if (fs::is_regular_file(merges)) ck.codes = codes_from_merges(read_text(merges.string()), merges.string());
  return ck;
}

// The released models' pitfalls, then the model itself; writes `dst`.
void write_xlm_dir(Checkpoint& ck, const std::string& dst, ConvertReport& report) {
  nn::TransformerConfig& c = ck.config;
  if (c.max_positions < 0) {
    auto it = ck.tensors.find("position_embeddings.weight");
    XLM_CHECK(it != ck.tensors.end() && it->second.shape().size() == 2, FormatError,
              "{}: no 2-D 'position_embeddings.weight' to take max_position_embeddings from", ck.tensors_source);
    c.max_positions = it->second.shape()[0];
  }
  const int64_t n_vocab = static_cast<int64_t>(ck.words.size());
  XLM_CHECK(n_vocab >= c.n_words, FormatError, "{}: the vocabulary has {} entries, fewer than n_words {}", ck.source,
            n_vocab, c.n_words);
  if (n_vocab > c.n_words) {
    ck.words.resize(static_cast<size_t>(c.n_words));
    ck.counts.resize(static_cast<size_t>(c.n_words));
    report.notes.push_back(fmt::format("vocabulary: {} entries for n_words {}; kept the first {} (as XLM's --max_vocab {})",
                                       n_vocab, c.n_words, c.n_words, c.n_words));
  }
  auto lang = ck.tensors.find("lang_embeddings.weight");
  if (lang != ck.tensors.end()) {
    XLM_CHECK(c.has_lang_embeddings(), FormatError,
              "{}: holds 'lang_embeddings.weight' but the params (use_lang_emb {}, n_langs {}) say the model has no "
              "language embeddings",
              ck.tensors_source, c.use_lang_emb, c.n_langs);
    XLM_CHECK(lang->second.shape().size() == 2 && lang->second.shape()[0] == c.n_langs, FormatError,
              "{}: 'lang_embeddings.weight' has shape {} but n_langs is {} (n_langs comes from the model's params, not "
              "from --lgs)",
              ck.tensors_source, shape_str(lang->second.shape()), c.n_langs);
  } else {
    XLM_CHECK(!c.has_lang_embeddings(), FormatError,
              "{}: no 'lang_embeddings.weight' but the params say use_lang_emb true with n_langs {}; a model trained "
              "without language embeddings needs use_lang_emb false",
              ck.tensors_source, c.n_langs);
  }
  c.validate();
  nn::check_config_fits_tensors(c, ck.tensors, ck.source, ck.tensors_source);
  nn::TransformerModel model(c, 0, Device::cpu());
  model.load_state_dict(ck.tensors, ck.tensors_source);
  ScratchDir scratch;
  write_text(scratch.file("vocab"), vocab_file_text(ck.words, ck.counts));
  std::string codes_path;
  if (!ck.codes.empty()) {
    codes_path = scratch.file("codes");
    write_text(codes_path, ck.codes);
  }
  nn::save_model_dir(dst, model, scratch.file("vocab"), codes_path);
}

}  // namespace

ModelLayout detect_model_layout(const std::string& src) {
  const fs::path p(src);
  if (fs::is_regular_file(p) && p.extension() == ".pth") return ModelLayout::pth;
  XLM_CHECK(fs::is_directory(p), FormatError,
            "{}: not a model (expected a directory with params.json or config.json, or a .pth file)", src);
  if (fs::is_regular_file(p / "params.json")) return ModelLayout::xlm_dir;
  if (fs::is_regular_file(p / "config.json")) return ModelLayout::hf_dir;
  throw FormatError(fmt::format("{}: neither params.json (our model directory) nor config.json (Hugging Face) found", src));
}

ConvertReport convert_to_xlm(const std::string& src, const std::string& dst, const std::string& helper) {
  ConvertReport report;
  Checkpoint ck;
  switch (detect_model_layout(src)) {
    case ModelLayout::xlm_dir: ck = read_xlm_dir(src); break;
    case ModelLayout::hf_dir:
      ck = read_hf_dir(src, helper);
      if (ck.counts_invented)
        report.notes.push_back("vocabulary: vocab.json holds no counts; wrote count n_words - id for each word");
      break;
    case ModelLayout::pth:
      throw ConfigError(fmt::format("{}: a .pth needs the Python helper (convert_pth_to_xlm)", src));
  }
  write_xlm_dir(ck, dst, report);
  return report;
}

ConvertReport convert_to_hf(const std::string& src, const std::string& dst) {
  XLM_CHECK(detect_model_layout(src) == ModelLayout::xlm_dir, FormatError,
            "{}: --to hf converts our model directory (params.json + model.safetensors); convert it --to xlm first", src);
  ConvertReport report;
  nn::LoadedModel loaded = nn::load_model_dir(src, Device::cpu());
  const nlohmann::json config = hf_config_json(loaded.config);
  Checkpoint vocab;
  read_xlm_vocab(loaded.vocab_path, vocab);
  const int64_t n_words = loaded.config.n_words;
  XLM_CHECK(static_cast<int64_t>(vocab.words.size()) >= n_words, FormatError,
            "{}: {} entries, fewer than n_words {}", loaded.vocab_path, vocab.words.size(), n_words);
  if (static_cast<int64_t>(vocab.words.size()) > n_words) {
    report.notes.push_back(fmt::format("vocabulary: {} entries for n_words {}; kept the first {}", vocab.words.size(),
                                       n_words, n_words));
    vocab.words.resize(static_cast<size_t>(n_words));
    vocab.counts.resize(static_cast<size_t>(n_words));
  }
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, t] : loaded.model->state_dict()) tensors.emplace_back(hf_param_name(name), t);

  std::error_code ec;
  fs::create_directories(dst, ec);
  XLM_CHECK(!ec, FormatError, "{}: cannot create directory ({})", dst, ec.message());
  const fs::path out(dst);
  save_safetensors((out / "model.safetensors").string(), tensors, {{"format", "pt"}});
  write_text((out / "config.json").string(), config.dump(2) + "\n");
  write_text((out / "vocab.json").string(), hf_vocab_json(vocab.words).dump(2) + "\n");
  write_text((out / "xlm_vocab").string(), vocab_file_text(vocab.words, vocab.counts));
  if (!loaded.codes_path.empty()) {
    write_text((out / "merges.txt").string(), read_text(loaded.codes_path));
  } else {
    fs::remove(out / "merges.txt", ec);
    report.notes.push_back("codes: the model directory has none; no merges.txt written");
  }
  return report;
}

ConvertReport convert_pth_to_xlm(const std::string& pth, const std::string& dst, const std::string& helper,
                                 const std::string& codes) {
  ScratchDir scratch;
  const std::string tmp = scratch.file("pth");
  std::vector<std::string> args = {pth, tmp};
  if (!codes.empty()) {
    XLM_CHECK(fs::is_regular_file(codes), ConfigError, "--codes {}: no such file", codes);
    args.insert(args.end(), {"--codes", codes});
  }
  run_torch_helper(helper, args, pth);
  return convert_to_xlm(tmp, dst);
}

}  // namespace xlm::tasks
