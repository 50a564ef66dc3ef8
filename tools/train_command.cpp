// `xlm train`: XLM's train.py flags (same names, same defaults, XLM's
// `--flag true|false` booleans) bound to a TrainConfig, then the pretraining
// Trainer. Only flags whose feature exists are declared, so an unsupported
// one is rejected by the parser instead of being silently ignored.
#include "tasks/pretrain/train_config.h"
#include "tasks/pretrain/trainer.h"

#include <CLI/CLI.hpp>

#include <memory>

namespace xlm::tools {

void add_train_command(CLI::App& app) {
  auto cfg = std::make_shared<tasks::TrainConfig>();
  CLI::App* cmd = app.add_subcommand("train", "Pretrain an XLM (CLM / MLM / TLM) or train MT (MT / AE / BT) with XLM's train.py flags");
  auto& c = *cfg;
  // experiment
  cmd->add_option("--dump_path", c.dump_path, "where run folders are created")->capture_default_str();
  cmd->add_option("--exp_name", c.exp_name, "experiment name (run folder DUMP_PATH/EXP_NAME/EXP_ID)");
  cmd->add_option("--exp_id", c.exp_id, "run id (default: derived from the configuration, so a rerun resumes)");
  cmd->add_option("--save_periodic", c.save_periodic, "also keep the checkpoint of every N-th epoch (0 = off)")
      ->capture_default_str();
  // precision
  cmd->add_option("--precision", c.precision, "fp32, bf16 or fp16 (default: bf16 on a GPU, fp32 on the CPU)");
  cmd->add_option("--fp16", c.fp16, "XLM: half precision; with --amp 1 or 2 it means --precision fp16")
      ->capture_default_str();
  cmd->add_option("--amp", c.amp, "XLM: apex level (-1 off, 0 fp32, 1 and 2 fp16 with --fp16 true)")
      ->capture_default_str();
  cmd->add_option("--loss_scale", c.loss_scale, "fp16 loss scaling: dynamic (default), static or off");
  cmd->add_option("--init_loss_scale", c.init_loss_scale, "initial (or static) loss scale")->capture_default_str();
  cmd->add_option("--loss_scale_window", c.loss_scale_window, "good steps before the dynamic loss scale doubles")
      ->capture_default_str();
  // Hidden (group ""): the CPU test mode of the mixed-precision machinery, f32 model + f64 masters.
  cmd->add_option("--precision_test", c.precision_test, "tests only: f32_f64")->group("");
  // model
  cmd->add_option("--emb_dim", c.emb_dim, "embedding and hidden size")->capture_default_str();
  cmd->add_option("--n_layers", c.n_layers, "number of Transformer layers")->capture_default_str();
  cmd->add_option("--n_heads", c.n_heads, "number of attention heads")->capture_default_str();
  cmd->add_option("--dropout", c.dropout, "dropout")->capture_default_str();
  cmd->add_option("--attention_dropout", c.attention_dropout, "dropout on the attention weights")
      ->capture_default_str();
  cmd->add_option("--gelu_activation", c.gelu_activation, "GELU in the FFN (false: ReLU)")->capture_default_str();
  cmd->add_option("--share_inout_emb", c.share_inout_emb, "tie the output layer to the embeddings (must be true)")
      ->capture_default_str();
  cmd->add_option("--sinusoidal_embeddings", c.sinusoidal_embeddings, "fixed sinusoidal position embeddings")
      ->capture_default_str();
  cmd->add_option("--use_lang_emb", c.use_lang_emb, "add language embeddings")->capture_default_str();
  // masking
  cmd->add_option("--word_pred", c.word_pred, "fraction of words to predict (MLM/TLM)")->capture_default_str();
  cmd->add_option("--sample_alpha", c.sample_alpha, "frequency smoothing of the masked words (0 = uniform)")
      ->capture_default_str();
  cmd->add_option("--word_mask_keep_rand", c.word_mask_keep_rand,
                  "probabilities of masking, keeping, randomizing a predicted word")
      ->capture_default_str();
  // data
  cmd->add_option("--data_path", c.data_path, "folder with vocab, [codes] and binarized {train,valid,test} files");
  cmd->add_option("--lgs", c.lgs, "languages, separated by '-' (e.g. en-fr)");
  cmd->add_option("--lg_sampling_factor", c.lg_sampling_factor, "language sampling exponent (-1 = off)")
      ->capture_default_str();
  cmd->add_option("--bptt", c.bptt, "tokens per stream per batch (CLM / MLM)")->capture_default_str();
  cmd->add_option("--max_len", c.max_len, "longest sentence kept in parallel training data (-1 = any)")
      ->capture_default_str();
  cmd->add_option("--group_by_size", c.group_by_size, "sort parallel sentences by length before batching")
      ->capture_default_str();
  cmd->add_option("--batch_size", c.batch_size, "streams (CLM/MLM) or sentence pairs (TLM) per batch")
      ->capture_default_str();
  cmd->add_option("--tokens_per_batch", c.tokens_per_batch, "parallel batches of about N tokens (-1 = off)")
      ->capture_default_str();
  // training
  cmd->add_option("--optimizer", c.optimizer, "optimizer and schedule, XLM syntax")->capture_default_str();
  cmd->add_option("--clip_grad_norm", c.clip_grad_norm, "clip gradients to this global norm (0 = off)")
      ->capture_default_str();
  cmd->add_option("--epoch_size", c.epoch_size, "sentences per epoch")->capture_default_str();
  cmd->add_option("--max_epoch", c.max_epoch, "number of epochs")->capture_default_str();
  cmd->add_option("--stopping_criterion", c.stopping_criterion, "METRIC,PATIENCE ('_' prefix = lower is better)");
  cmd->add_option("--validation_metrics", c.validation_metrics, "metrics whose best value saves a model, comma-separated");
  cmd->add_option("--accumulate_gradients", c.accumulate_gradients, "backward passes per optimizer update")
      ->capture_default_str();
  cmd->add_option("--lambda_mlm", c.lambda_mlm, "MLM/TLM loss weight or schedule (e.g. 0:1,1000:0.1)")
      ->capture_default_str();
  cmd->add_option("--lambda_clm", c.lambda_clm, "CLM loss weight or schedule")->capture_default_str();
  cmd->add_option("--clm_steps", c.clm_steps, "CLM steps: languages, comma-separated (e.g. en,fr)");
  cmd->add_option("--mlm_steps", c.mlm_steps, "MLM steps (en) and TLM steps (en-fr), comma-separated");
  // machine translation (encoder-decoder)
  cmd->add_option("--encoder_only", c.encoder_only, "false: train an encoder and a decoder (MT, AE, BT steps)")
      ->capture_default_str();
  cmd->add_option("--mt_steps", c.mt_steps, "supervised MT directions, comma-separated (e.g. en-fr,fr-en)");
  cmd->add_option("--ae_steps", c.ae_steps, "denoising auto-encoder languages, comma-separated (e.g. en,fr)");
  cmd->add_option("--bt_steps", c.bt_steps, "back-translation cycles, comma-separated (e.g. en-fr-en,fr-en-fr)");
  cmd->add_option("--lambda_mt", c.lambda_mt, "MT loss weight or schedule")->capture_default_str();
  cmd->add_option("--lambda_ae", c.lambda_ae, "auto-encoder loss weight or schedule")->capture_default_str();
  cmd->add_option("--lambda_bt", c.lambda_bt, "back-translation loss weight or schedule")->capture_default_str();
  cmd->add_option("--word_shuffle", c.word_shuffle, "auto-encoder noise: maximum word shift (0 = off)")
      ->capture_default_str();
  cmd->add_option("--word_dropout", c.word_dropout, "auto-encoder noise: word drop probability")
      ->capture_default_str();
  cmd->add_option("--word_blank", c.word_blank, "auto-encoder noise: word blank probability")->capture_default_str();
  cmd->add_option("--eval_bleu", c.eval_bleu, "add BLEU of translated valid/test sets to the MT metrics")
      ->capture_default_str();
  cmd->add_option("--beam_size", c.beam_size, "beam size of --eval_bleu translations (1 = greedy)")
      ->capture_default_str();
  cmd->add_option("--length_penalty", c.length_penalty, "beam search length penalty")->capture_default_str();
  cmd->add_option("--early_stopping", c.early_stopping, "beam search early stopping")->capture_default_str();
  // reload
  cmd->add_option("--reload_model", c.reload_model,
                  "start from this model directory (encoder-decoder: ENC_PATH,DEC_PATH, either may be empty)");
  cmd->add_option("--reload_checkpoint", c.reload_checkpoint, "resume from this checkpoint folder");
  cmd->add_option("--eval_only", c.eval_only, "only evaluate the reloaded model")->capture_default_str();
  // ours
  cmd->add_option("--device", c.device, "cpu or cuda (default: cuda when a GPU is visible)");
  cmd->add_option("--seed", c.seed, "seed of initialisation, data order, masking and dropout")->capture_default_str();
  cmd->add_option("--log_every", c.log_every, "iterations between two training log lines")->capture_default_str();
  // data parallelism (docs/distributed.md)
  cmd->add_option("--bucket_mb", c.bucket_mb, "gradient all-reduce bucket size in MB (several ranks)")
      ->capture_default_str();
  cmd->add_option("--zero1", c.zero1, "shard the optimizer state over the ranks (ZeRO-1)")->capture_default_str();
  cmd->add_option("--comm_timeout", c.comm_timeout,
                  "seconds a rank waits for the others before it stops with an error (0 = forever)")
      ->capture_default_str();
  cmd->add_option("--check_weights_every", c.check_weights_every,
                  "compare the ranks' weight hashes every K updates and stop on a mismatch (0 = off)")
      ->capture_default_str();
  cmd->callback([cfg] {
    cfg->validate();
    tasks::Trainer trainer(*cfg);
    trainer.run();
  });
}

}  // namespace xlm::tools
