// From a pair step as the user wrote it ("fr-en") to the data and layout it
// needs: pair datasets are named and stored with their languages sorted
// (text/data_paths.h: l1 < l2, so x1 is l1), while the step's order decides
// which sentence comes first in the row. Keeping this mapping in one place
// is what makes `--mlm_steps en-fr,fr-en` train both directions on one dataset.
#pragma once

#include "objectives/pair_layout.h"
#include "objectives/schedule.h"
#include "text/data_paths.h"

#include <string>
#include <vector>

namespace xlm::objectives {

// The dataset the step reads: its two languages in sorted order.
text::LanguagePair dataset_pair(const Step& step);

// swap = (step.lang1 > step.lang2); first_lang / second_lang = the ids (index
// in id2lang, XLM's params.id2lang) of step.lang1 / step.lang2. ConfigError
// for a monolingual step or a language missing from id2lang.
PairSides pair_sides(const Step& step, const std::vector<std::string>& id2lang);

}  // namespace xlm::objectives
