// `xlm train --encoder_only false`: a tiny encoder-decoder trained with
// --mt_steps en-fr overfits ten real pairs; the auto-encoder trains on noised
// input; a decoder starts from an encoder's directory with only its
// cross-attention random; checkpoints are MT model directories; a resumed
// MT + AE + BT run reproduces the uninterrupted one bit for bit; malformed step
// flags are refused with the flag named.
#include "core/error.h"
#include "support.h"
#include "mt_fixture.h"
#include "run_helpers.h"
#include "nn/model_dir.h"
#include "tasks/pretrain/mt_reload.h"
#include "tasks/pretrain/mt_steps.h"
#include "tasks/pretrain/trainer.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using xlm::test::run_xlm;
using xlm::test::slurp;
using xlm::test::last_checkpoint;
using xlm::test::train_records;

std::string scratch_dump(const std::string& name) { return xlm::test::scratch_dir("mt-train-" + name); }
using xlm::tasks::TrainConfig;

TrainConfig mt_config(const std::string& dump) { return xlm::test::mt_train_config(dump); }

}  // namespace

TEST_CASE("supervised MT overfits ten real pairs", "[tasks][train][mt]") {
  const std::string dump = scratch_dump("overfit");
  auto config = mt_config(dump);
  config.mt_steps = "en-fr";
  config.eval_bleu = true;
  config.epoch_size = 10 * 200;  // 200 steps of the ten pairs
  config.max_epoch = 1;
  xlm::tasks::Trainer trainer(config);
  const auto scores = trainer.run();
  const auto& losses = trainer.loss_history().at("mt_en-fr");
  REQUIRE(losses.size() == 200);
  CHECK(losses.front() > 5.0);  // about ln(vocabulary) at initialisation
  CHECK(losses.back() < 0.1);
  // Teacher-forced on the same pairs: every next word right.
  CHECK(scores.at("valid_en-fr_mt_acc") == 100.0);
  CHECK(scores.at("valid_en-fr_mt_ppl") < 1.1);
  CHECK(scores.count("test_en-fr_mt_ppl") == 1);
  // Greedy translations (no teacher forcing) against the references.
  CHECK(scores.at("valid_en-fr_mt_bleu") > 90.0);
  CHECK(scores.at("test_en-fr_mt_bleu") > 90.0);
  // And sentence by sentence, with beam search too.
  const auto& fixture = xlm::test::mt_data_dir();
  xlm::tasks::PretrainDataOptions data_options;
  data_options.data_path = fixture.path;
  data_options.para_pairs = {{"en", "fr"}};
  xlm::tasks::PretrainData data(data_options);
  xlm::tasks::LmBatchBuilder builder({"en", "fr"}, xlm::objectives::MaskingOptions{});
  auto& loader = *data.para("en", "fr").valid;
  const auto batch = xlm::tasks::direction_batch({"en", "fr"}, loader.make_batch(loader.kept_pairs()), builder);
  trainer.model().set_training(false);
  trainer.decoder()->set_training(false);
  for (int64_t beam : {1, 3}) {
    INFO("beam " << beam);
    xlm::tasks::MtEvalOptions options;
    options.beam_size = beam;
    const auto translated = xlm::tasks::translate_batch(trainer.model(), *trainer.decoder(), batch, options);
    const auto words = translated.words.to_vector<int64_t>(), want = batch.x2.to_vector<int64_t>();
    const auto lengths = translated.lengths.to_vector<int64_t>(), want_lengths = batch.len2.to_vector<int64_t>();
    int exact = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
      const auto L = static_cast<size_t>(translated.words.size(1)), W = static_cast<size_t>(batch.x2.size(1));
      if (lengths[r] == want_lengths[r] &&
          std::equal(words.begin() + r * L, words.begin() + r * L + lengths[r], want.begin() + r * W))
        ++exact;
    }
    CHECK(exact >= 9);  // of 10
  }  // The checkpoint's model/ is an MT model directory.
  const std::string model = last_checkpoint(dump + "/mt/run") + "/model";
  const auto encoder = xlm::nn::load_model_dir(model + "/encoder", xlm::Device::cpu());
  const auto decoder = xlm::nn::load_model_dir(model + "/decoder", xlm::Device::cpu());
  CHECK_FALSE(encoder.config.is_decoder);
  CHECK(decoder.config.is_decoder);
  fs::remove_all(dump);
}

TEST_CASE("the denoising auto-encoder trains on noised input", "[tasks][train][mt]") {
  const std::string dump = scratch_dump("ae");
  auto config = mt_config(dump);
  config.ae_steps = "en,fr";
  config.word_shuffle = 3;
  config.word_dropout = 0.1;
  config.word_blank = 0.1;
  config.epoch_size = 2 * 10 * 30;
  config.max_epoch = 1;
  xlm::tasks::Trainer trainer(config);
  const auto scores = trainer.run();
  for (const char* name : {"ae_en", "ae_fr"}) {
    INFO(name);
    const auto& losses = trainer.loss_history().at(name);
    REQUIRE(losses.size() == 30);
    CHECK(losses.back() < losses.front() - 2.0);
  }
  CHECK(scores.count("valid_en-fr_mt_ppl") == 0);  // AE has no MT metric, as XLM
  fs::remove_all(dump);
}

TEST_CASE("a decoder starts from an encoder's directory with random cross-attention", "[tasks][train][mt]") {
  xlm::nn::TransformerConfig c;
  c.n_words = 50;
  c.emb_dim = 16;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_langs = 2;
  xlm::nn::TransformerModel encoder(c, 1);
  c.is_decoder = true;
  xlm::nn::TransformerModel decoder(c, 2);
  std::map<std::string, xlm::Tensor> initial;
  for (const auto& [name, t] : decoder.state_dict()) initial[name] = t.clone();
  std::map<std::string, xlm::Tensor> weights;
  for (const auto& [name, t] : encoder.state_dict()) weights[name] = t;

  const auto fresh = xlm::tasks::load_decoder_weights(decoder, weights, "encoder-dir");
  CHECK(fresh.size() == 2 * (8 + 2));  // per layer: q, k, v, out (weight, bias) and layer_norm15 (weight, bias)
  for (const auto& name : fresh) CHECK(xlm::tasks::is_cross_attention_name(name));
  for (const auto& [name, t] : decoder.state_dict()) {
    INFO(name);
    const auto got = t.to_vector<float>();
    const bool cross = xlm::tasks::is_cross_attention_name(name);
    CHECK(got == (cross ? initial.at(name) : weights.at(name)).to_vector<float>());
  }
  weights.erase("position_embeddings.weight");
  CHECK_THROWS_WITH(xlm::tasks::load_decoder_weights(decoder, weights, "encoder-dir"),
                    Catch::Contains("encoder-dir") && Catch::Contains("position_embeddings.weight"));
  // An encoder is still loaded strictly.
  std::map<std::string, xlm::Tensor> decoder_weights;
  for (const auto& [name, t] : decoder.state_dict()) decoder_weights[name] = t;
  CHECK_THROWS_AS(encoder.load_state_dict(decoder_weights, "decoder-dir"), xlm::FormatError);
}

TEST_CASE("MT training reloads a pretrained encoder into both models", "[tasks][train][mt]") {
  const std::string dump = scratch_dump("reload");
  xlm::nn::TransformerConfig c;
  c.n_words = xlm::text::Dictionary::from_vocab_file(xlm::test::mt_data_dir().path + "/vocab").size();
  c.emb_dim = 32;
  c.n_layers = 1;
  c.n_heads = 4;
  c.n_langs = 2;
  c.id2lang = {"en", "fr"};
  xlm::nn::TransformerModel pretrained(c, 7);
  const std::string dir = dump + "-pretrained";
  xlm::nn::save_model_dir(dir, pretrained, xlm::test::mt_data_dir().path + "/vocab", "");
  auto config = mt_config(dump);
  config.mt_steps = "en-fr";
  config.reload_model = dir + "," + dir;
  config.max_epoch = 1;
  config.epoch_size = 10;
  xlm::tasks::Trainer trainer(config);
  const auto want = pretrained.state_dict();
  const auto enc = trainer.model().state_dict();
  const auto dec = trainer.decoder()->state_dict();
  REQUIRE(enc.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(enc[i].second.to_vector<float>() == want[i].second.to_vector<float>());
  auto find = [](const xlm::nn::NamedTensors& named, const std::string& name) {
    const auto it = std::find_if(named.begin(), named.end(), [&](const auto& p) { return p.first == name; });
    REQUIRE(it != named.end());
    return it->second.template to_vector<float>();
  };
  CHECK(find(dec, "embeddings.weight") == find(want, "embeddings.weight"));
  CHECK(find(dec, "attentions.0.q_lin.weight") == find(want, "attentions.0.q_lin.weight"));
  config.reload_model = dir;
  config.exp_id = "no-comma";
  CHECK_THROWS_WITH(xlm::tasks::Trainer(config), Catch::Contains("--reload_model") && Catch::Contains("ENC_PATH,DEC_PATH"));
  fs::remove_all(dump);
  fs::remove_all(dir);
}

TEST_CASE("malformed MT step flags are refused with the flag named", "[tasks][train][mt]") {
  const std::vector<std::string> langs{"en", "fr"};
  using xlm::ConfigError;
  CHECK_THROWS_WITH(xlm::tasks::parse_mt_steps("en", langs), Catch::Contains("--mt_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_mt_steps("en-de", langs), Catch::Contains("--mt_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_mt_steps("en-en", langs), Catch::Contains("--mt_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_ae_steps("en-fr", langs), Catch::Contains("--ae_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_bt_steps("en-fr", langs), Catch::Contains("--bt_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_bt_steps("en-fr-fr", langs), Catch::Contains("--bt_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_bt_steps("en-de-en", langs), Catch::Contains("--bt_steps"));
  CHECK_THROWS_WITH(xlm::tasks::parse_bt_steps("en-fr-en,en-fr-en", langs), Catch::Contains("twice"));
  CHECK_THROWS_WITH(xlm::tasks::parse_bt_steps("en-fr-en-", langs), Catch::Contains("--bt_steps"));
  const auto bt = xlm::tasks::parse_bt_steps("en-fr-en,fr-en-fr", langs);
  REQUIRE(bt.size() == 2);
  CHECK(bt[0] == xlm::objectives::Step{"en", "fr"});
  CHECK(bt[1] == xlm::objectives::Step{"fr", "en"});
  CHECK(xlm::tasks::parse_mt_steps("en-fr,fr-en", langs).size() == 2);
  CHECK(xlm::tasks::parse_ae_steps("fr,en", langs) == std::vector<std::string>{"fr", "en"});

  auto config = mt_config(scratch_dump("flags"));
  config.encoder_only = true;
  config.mt_steps = "en-fr";
  CHECK_THROWS_WITH(config.validate(), Catch::Contains("--mt_steps") && Catch::Contains("--encoder_only false"));
  config.encoder_only = false;
  config.word_shuffle = 0.5;
  CHECK_THROWS_WITH(config.validate(), Catch::Contains("--word_shuffle"));
  config.word_shuffle = 0;
  config.word_dropout = 1.0;
  CHECK_THROWS_WITH(config.validate(), Catch::Contains("--word_dropout"));
  config.word_dropout = 0;
  config.beam_size = 0;
  CHECK_THROWS_WITH(config.validate(), Catch::Contains("--beam_size"));
  config.beam_size = 1;
  config.mt_steps = "en-fr-en";
  CHECK_THROWS_WITH(xlm::tasks::Trainer(config), Catch::Contains("--mt_steps"));
}

TEST_CASE("a resumed MT + AE + BT run reproduces the uninterrupted one bit for bit", "[tasks][train][mt][resume]") {
  const std::string dump = scratch_dump("resume");
  const std::string common = fmt::format(
      "train --dump_path {} --exp_name resume --data_path {} --lgs en-fr --encoder_only false --mt_steps en-fr,fr-en "
      "--ae_steps en --bt_steps fr-en-fr --word_shuffle 3 --word_dropout 0.1 --word_blank 0.1 --emb_dim 16 --n_layers 1 --n_heads 2 "
      "--batch_size 4 --dropout 0.1 --attention_dropout 0.1 --optimizer adam_inverse_sqrt,lr=0.002,warmup_updates=10 "
      "--epoch_size 48 --log_every 1 --device cpu",
      dump, xlm::test::mt_data_dir().path);
  REQUIRE(run_xlm(common + " --exp_id straight --max_epoch 2", dump + "-straight.log") == 0);
  REQUIRE(run_xlm(common + " --exp_id split --max_epoch 1", dump + "-first.log") == 0);
  REQUIRE(run_xlm(common + " --exp_id split --max_epoch 2", dump + "-second.log") == 0);
  CHECK(slurp(dump + "-second.log").find("resumed at epoch 1") != std::string::npos);
  const auto a = train_records(dump + "/resume/straight");
  const auto b = train_records(dump + "/resume/split");
  REQUIRE(a.size() == 6);
  CHECK(a[0].count("ae_en") == 1);
  CHECK(a[0].count("mt_fr-en") == 1);
  CHECK(a[0].count("bt_fr-en-fr") == 1);
  REQUIRE(a == b);
  for (const char* side : {"/model/encoder/model.safetensors", "/model/decoder/model.safetensors"}) {
    const std::string wa = slurp(last_checkpoint(dump + "/resume/straight") + side);
    const std::string wb = slurp(last_checkpoint(dump + "/resume/split") + side);
    REQUIRE(!wa.empty());
    CHECK(wa == wb);
  }
  fs::remove_all(dump);
  for (const char* log : {"-straight.log", "-first.log", "-second.log"}) fs::remove(dump + log);
}
