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

std::vector<AlignedPair> dedup_pairs(std::vector<AlignedPair> pairs) {
  std::unordered_set<std::string> seen;
  std::vector<AlignedPair> out;
  for (auto& p : pairs) {
    if (seen.insert(p.en + '\n' + p.xx).second) out.push_back(std::move(p));
  }
  return out;
}

std::vector<MonoLine> dedup_mono(std::vector<MonoLine> lines) {
  std::unordered_set<std::string> seen;
  std::vector<MonoLine> out;
  for (auto& l : lines) {
    if (seen.insert(l.text).second) out.push_back(std::move(l));
  }
  return out;
}

std::string para_name(std::string_view a, std::string_view b) {
  return a < b ? std::string(a) + "-" + std::string(b) : std::string(b) + "-" + std::string(a);
}

std::map<std::string, std::vector<std::string>> layout_corpus(
    const std::map<std::string, std::vector<AlignedPair>>& para,
    const std::map<std::string, std::vector<MonoLine>>& mono, double heldout_fraction) {
  // Union-find over (language, text) nodes: a pair links its two sides, a mono
  // line links to its English split key. A component goes to one split, chosen
  // by hashing its smallest node, so a text is never both held out and trained on.
  std::unordered_map<std::string, size_t> node_id;
  std::vector<size_t> parent;
  std::vector<const std::string*> name;
  auto node = [&](const std::string& lang, const std::string& text) {
    const auto [it, fresh] = node_id.emplace(lang + '\x1f' + text, parent.size());
    if (fresh) {
      parent.push_back(parent.size());
      name.push_back(&it->first);
    }
    return it->second;
  };
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto unite = [&](size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[a] = b;
  };
  for (const auto& [xx, pairs] : para) {
    for (const auto& p : pairs) unite(node("en", p.en), node(xx, p.xx));
  }
  for (const auto& [lang, lines] : mono) {
    for (const auto& l : lines) {
      const size_t n = node(lang, l.text);
      if (l.split_key != l.text || lang == "en") unite(n, node("en", l.split_key));
    }
  }
  std::vector<const std::string*> smallest(parent.size(), nullptr);
  for (size_t i = 0; i < parent.size(); ++i) {
    const size_t r = find(i);
    if (!smallest[r] || *name[i] < *smallest[r]) smallest[r] = name[i];
  }
  auto split_for = [&](const std::string& lang, const std::string& text) {
    return split_name(split_of(*smallest[find(node_id.at(lang + '\x1f' + text))], heldout_fraction));
  };

  std::map<std::string, std::vector<std::string>> files;
  for (const auto& [xx, pairs] : para) {
    const std::string name_ = para_name("en", xx);
    for (Split sp : kSplits) {
      files["para/" + std::string(split_name(sp)) + "." + name_ + ".en"];
      files["para/" + std::string(split_name(sp)) + "." + name_ + "." + xx];
    }
    std::unordered_set<std::string> seen;
    for (const auto& p : pairs) {
      if (!seen.insert(p.en + '\n' + p.xx).second) continue;
      const std::string stem = "para/" + std::string(split_for("en", p.en)) + "." + name_;
      files[stem + ".en"].push_back(p.en);
      files[stem + "." + xx].push_back(p.xx);
    }
  }
  for (const auto& [lang, lines] : mono) {
    for (Split sp : kSplits) files["mono/" + std::string(split_name(sp)) + "." + lang];
    std::unordered_set<std::string_view> seen;
    for (const auto& l : lines) {
      if (!seen.insert(l.text).second) continue;
      files["mono/" + std::string(split_for(lang, l.text)) + "." + lang].push_back(l.text);
    }
  }
  return files;
}

}  // namespace xlm::text
