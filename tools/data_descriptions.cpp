// See data_descriptions.h.
#include "tools/data_descriptions.h"

#include "text/corpus_split.h"
#include "text/debian_index.h"
#include "text/topic_set.h"
#include "tools/debian_indexes.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace xlm::tools {

namespace {

std::vector<std::string> sentences_of(const text::Description& d) {
  std::vector<std::string> out = {d.synopsis};
  for (const auto& p : d.paragraphs) {
    for (auto& s : text::split_sentences(p)) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

DescriptionCorpus build_description_corpus(const std::vector<std::string>& langs, const std::string& cache_dir,
                                           size_t max_per_source) {
  DescriptionCorpus out;
  const auto indexes = fetch_indexes(langs, cache_dir);
  for (const auto& f : indexes) {
    out.sources.push_back({{"index", f.label},
                           {"sha256", f.sha256},
                           {"bytes", f.text.size()},
                           {"licence", "package descriptions: each package's own licence (DFSG-free for main); "
                                       "translations: Debian Description Translation Project"},
                           {"used_for", f.label.find("Translation") != std::string::npos
                                            ? "package descriptions: parallel, mono, topics"
                                            : "Description-md5 -> section for topics"}});
  }
  const auto sections = text::parse_package_sections(indexes[0].text);
  std::map<std::string, std::vector<text::Description>> descs;
  for (size_t i = 0; i < langs.size(); ++i) descs[langs[i]] = text::parse_translation_index(indexes[i + 1].text, langs[i]);

  text::TopicSetConfig cfg;
  if (max_per_source > 0) {  // a sample: about max_per_source / 2 lines per topic file
    const size_t per_class = std::max<size_t>(1, max_per_source / (2 * text::topic_labels().size()));
    cfg.train_cap = cfg.valid_cap = cfg.test_cap = per_class;
  }
  const text::TopicSet topics = text::build_topic_set(descs, sections, cfg);
  out.topics = topics.files;
  out.topic_test_lines = topics.test_lines;

  std::unordered_map<std::string, const text::Description*> en_by_md5;
  for (const auto& d : descs.at("en")) en_by_md5.emplace(d.md5, &d);
  for (const auto& lg : langs) {
    std::vector<text::MonoLine> mono;
    std::vector<text::AlignedPair> pairs;
    for (const auto& d : descs.at(lg)) {
      if (topics.heldout_md5.count(d.md5)) continue;
      std::unordered_map<std::string, std::string> english_of;  // xx sentence -> en counterpart
      if (lg != "en") {
        const auto it = en_by_md5.find(d.md5);
        if (it != en_by_md5.end()) {
          for (auto& p : text::align_descriptions(*it->second, d)) {
            english_of.emplace(p.xx, p.en);
            pairs.push_back(std::move(p));
          }
        }
      }
      for (auto& s : sentences_of(d)) {
        const auto en = english_of.find(s);
        std::string key = en == english_of.end() ? s : en->second;
        mono.push_back({std::move(s), std::move(key)});
      }
    }
    out.mono[lg] = text::keep_sample(text::dedup_mono(std::move(mono)), max_per_source, 2, [](const text::MonoLine& m) { return m.text; });
    if (lg != "en")
      out.para[lg] = text::keep_sample(text::dedup_pairs(std::move(pairs)), max_per_source, 1, [](const text::AlignedPair& p) { return p.en + "\t" + p.xx; });
  }
  return out;
}

}  // namespace xlm::tools
