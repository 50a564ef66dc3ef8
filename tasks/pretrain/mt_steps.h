// The encoder-decoder steps of XLM's train.py, parsed from its flags:
// --mt_steps lists translation directions ("en-fr,fr-en"), --ae_steps the
// languages of the denoising auto-encoder ("en,fr"), --bt_steps
// back-translation cycles ("en-fr-en": encode en, generate fr, train fr->en,
// so the first and last languages must be the same and differ from the
// middle one). Every malformed item is a ConfigError naming its flag.
#pragma once

#include "objectives/schedule.h"

#include <string>
#include <vector>

namespace xlm::tasks {

// Directions lang1 -> lang2 (both in langs, different, no repeat).
std::vector<objectives::Step> parse_mt_steps(const std::string& text, const std::vector<std::string>& langs);

// Languages (monolingual items only).
std::vector<std::string> parse_ae_steps(const std::string& text, const std::vector<std::string>& langs);

// "l1-l2-l1" items as Step{lang1 = l1, lang2 = l2}: source l1, generated l2.
std::vector<objectives::Step> parse_bt_steps(const std::string& text, const std::vector<std::string>& langs);

// "ENC_PATH,DEC_PATH" (XLM's syntax for an encoder-decoder; either may be
// empty); ConfigError naming --reload_model without exactly one comma.
std::pair<std::string, std::string> split_reload_paths(const std::string& text);

}  // namespace xlm::tasks
