// See corpus_layout.h.
#include "text/corpus_layout.h"

#include "text/corpus_split.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>

namespace xlm::text {

namespace {

std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) continue;
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

const Split kSplits[] = {Split::kTrain, Split::kValid, Split::kTest};

}  // namespace

bool is_untranslated(std::string_view en, std::string_view xx) { return fold(en) == fold(xx); }

std::vector<AlignedPair> align_by_key(const std::vector<KeyedText>& en, const std::vector<KeyedText>& xx) {
  std::unordered_map<std::string_view, std::string_view> by_key;
  for (const auto& s : en) by_key.emplace(s.key, s.text);
  std::vector<AlignedPair> out;
  for (const auto& s : xx) {
    const auto it = by_key.find(s.key);
    if (it == by_key.end() || is_untranslated(it->second, s.text)) continue;
    out.push_back({std::string(it->second), s.text});
  }
  return out;
}

std::vector<MonoLine> mono_lines(const std::vector<KeyedText>& segs, const std::vector<KeyedText>* english) {
  std::unordered_map<std::string_view, std::string_view> by_key;
  if (english) {
    for (const auto& s : *english) by_key.emplace(s.key, s.text);
  }
  std::vector<MonoLine> out;
  out.reserve(segs.size());
  for (const auto& s : segs) {
    const auto it = by_key.find(s.key);
    if (it == by_key.end()) {
      out.push_back({s.text, s.text});
    } else if (!is_untranslated(it->second, s.text)) {
      out.push_back({s.text, std::string(it->second)});
    }
  }
  return out;
}

std::string para_name(std::string_view a, std::string_view b) {
  return a < b ? std::string(a) + "-" + std::string(b) : std::string(b) + "-" + std::string(a);
}

std::map<std::string, std::vector<std::string>> layout_corpus(
    const std::map<std::string, std::vector<AlignedPair>>& para,
    const std::map<std::string, std::vector<MonoLine>>& mono, double heldout_fraction) {
  std::map<std::string, std::vector<std::string>> files;
  for (const auto& [xx, pairs] : para) {
    const std::string name = para_name("en", xx);
    for (Split sp : kSplits) {
      files["para/" + std::string(split_name(sp)) + "." + name + ".en"];
      files["para/" + std::string(split_name(sp)) + "." + name + "." + xx];
    }
    std::unordered_set<std::string> seen;
    for (const auto& p : pairs) {
      if (!seen.insert(p.en + '\n' + p.xx).second) continue;
      const std::string stem = "para/" + std::string(split_name(split_of(p.en, heldout_fraction))) + "." + name;
      files[stem + ".en"].push_back(p.en);
      files[stem + "." + xx].push_back(p.xx);
    }
  }
  for (const auto& [lang, lines] : mono) {
    for (Split sp : kSplits) files["mono/" + std::string(split_name(sp)) + "." + lang];
    std::unordered_set<std::string_view> seen;
    for (const auto& l : lines) {
      if (!seen.insert(l.text).second) continue;
      files["mono/" + std::string(split_name(split_of(l.split_key, heldout_fraction))) + "." + lang].push_back(l.text);
    }
  }
  return files;
}

}  // namespace xlm::text
