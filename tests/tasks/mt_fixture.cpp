// See mt_fixture.h. Pairs are taken in file order among those whose sides
// have 3 to 8 BPE tokens: long enough for 4-gram BLEU, short enough to learn fast.
#include "mt_fixture.h"

#include "pretrain_fixture.h"
#include "support.h"
#include "text/data_paths.h"
#include "text/dictionary.h"
#include "text/preprocess.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace xlm::test {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

size_t n_tokens(const std::string& line) {
  std::istringstream in(line);
  size_t n = 0;
  std::string w;
  while (in >> w) ++n;
  return n;
}

struct PreparedMtDir {
  MtFixture fixture;
  PreparedMtDir() {
    const std::string source = pretrain_data_dir();
    fixture.path = (fs::temp_directory_path() / ("xlm-mt-fixture-" + std::to_string(::getpid()))).string();
    fs::remove_all(fixture.path);
    fs::create_directories(fixture.path);
    for (const char* name : {"vocab", "codes"})
      fs::copy_file(source + "/" + name, fixture.path + "/" + name);
    const auto en = read_lines(source + "/" + text::para_file_name("train", "en", "fr", "en"));
    const auto fr = read_lines(source + "/" + text::para_file_name("train", "en", "fr", "fr"));
    for (size_t i = 0; i < en.size() && i < fr.size() && fixture.en.size() < 10; ++i) {
      const size_t a = n_tokens(en[i]), b = n_tokens(fr[i]);
      if (a < 3 || a > 8 || b < 3 || b > 8) continue;
      fixture.en.push_back(en[i]);
      fixture.fr.push_back(fr[i]);
    }
    const auto dictionary = text::Dictionary::from_vocab_file(fixture.path + "/vocab");
    auto write = [&](const std::string& name, const std::vector<std::string>& lines) {
      const std::string path = fixture.path + "/" + name;
      std::ofstream out(path);
      for (const auto& l : lines) out << l << "\n";
      out.close();
      text::binarize_text_file(dictionary, path, fixture.path + "/" + text::binarized_name(name));
    };
    for (const char* split : {"train", "valid", "test"}) {
      write(text::para_file_name(split, "en", "fr", "en"), fixture.en);
      write(text::para_file_name(split, "en", "fr", "fr"), fixture.fr);
      write(text::mono_file_name(split, "en"), fixture.en);
      write(text::mono_file_name(split, "fr"), fixture.fr);
    }
  }
  ~PreparedMtDir() {
    std::error_code ec;
    fs::remove_all(fixture.path, ec);
  }
};

}  // namespace

const MtFixture& mt_data_dir() {
  static PreparedMtDir dir;
  return dir.fixture;
}

tasks::TrainConfig mt_train_config(const std::string& dump_path) {
  tasks::TrainConfig c;
  c.dump_path = dump_path;
  c.exp_name = "mt";
  c.exp_id = "run";
  c.data_path = mt_data_dir().path;
  c.lgs = "en-fr";
  c.encoder_only = false;
  c.emb_dim = 32;
  c.n_layers = 1;
  c.n_heads = 4;
  c.batch_size = 10;
  c.optimizer = "adam,lr=0.005";
  c.device = task_device();
  c.log_every = 1000;
  return c;
}

}  // namespace xlm::test
