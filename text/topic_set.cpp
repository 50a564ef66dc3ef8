// See topic_set.h.
#include "text/topic_set.h"

#include "text/corpus_split.h"

#include <algorithm>
#include <unordered_set>

namespace xlm::text {

namespace {

constexpr uint64_t kTopicSalt = 3;
constexpr uint64_t kCapSalt = 5;

double unit_hash(const std::string& key, uint64_t salt) {
  return static_cast<double>(keyed_hash(key, salt) >> 11) * (1.0 / 9007199254740992.0);
}

struct Item {
  std::string md5, line, label;
};

// Caps each label at `cap` items (chosen by hash of md5) and writes text + label files.
void emit(std::vector<Item> items, size_t cap, const std::string& stem,
          std::map<std::string, std::vector<std::string>>& files) {
  std::map<std::string, std::vector<Item>> by_label;
  for (auto& it : items) by_label[it.label].push_back(std::move(it));
  auto& text = files[stem];
  auto& labels = files[stem + ".label"];
  std::vector<const Item*> chosen;
  for (auto& [label, group] : by_label) {
    std::vector<std::string> keys;
    for (const auto& it : group) keys.push_back(it.md5);
    for (size_t i : sample_indices(keys, cap, kCapSalt)) chosen.push_back(&group[i]);
  }
  // Interleave classes deterministically: order by hash of md5.
  std::sort(chosen.begin(), chosen.end(), [](const Item* a, const Item* b) {
    const uint64_t ha = keyed_hash(a->md5, kCapSalt + 1), hb = keyed_hash(b->md5, kCapSalt + 1);
    return ha != hb ? ha < hb : a->md5 < b->md5;
  });
  for (const Item* it : chosen) {
    text.push_back(it->line);
    labels.push_back(it->label);
  }
}

}  // namespace

TopicSet build_topic_set(const std::map<std::string, std::vector<Description>>& descs,
                         const std::map<std::string, std::string>& sections, const TopicSetConfig& cfg) {
  TopicSet out;
  std::vector<Item> train, valid;
  std::map<std::string, std::vector<Item>> test;  // lang -> items
  std::unordered_set<std::string> train_lines;
  for (const auto& [lang, list] : descs) {
    std::unordered_set<std::string> seen;
    for (const auto& d : list) {
      const auto sec = sections.find(d.md5);
      if (sec == sections.end()) continue;
      const std::string label = coarse_topic(sec->second);
      if (label.empty()) continue;
      Item it{d.md5, description_line(d), label};
      if (!seen.insert(it.line).second) continue;
      const double u = unit_hash(d.md5, kTopicSalt);
      if (u < cfg.test_fraction) {
        out.heldout_md5.insert(d.md5);
        test[lang].push_back(std::move(it));
      } else if (lang == "en") {
        train_lines.insert(it.line);
        (u < cfg.test_fraction + cfg.valid_fraction ? valid : train).push_back(std::move(it));
      }
    }
  }
  emit(std::move(train), cfg.train_cap, "topics/train.en", out.files);
  emit(std::move(valid), cfg.valid_cap, "topics/valid.en", out.files);
  for (auto& [lang, items] : test) {
    std::vector<Item> clean;
    for (auto& it : items) {
      if (!train_lines.count(it.line)) clean.push_back(std::move(it));
    }
    emit(std::move(clean), cfg.test_cap, "topics/test." + lang, out.files);
    for (const auto& l : out.files["topics/test." + lang]) out.test_lines.insert(l);
  }
  return out;
}

}  // namespace xlm::text
