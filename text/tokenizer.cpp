// See text/tokenizer.h: the UTF-8 boundary around the UTF-32 passes.
#include "text/tokenizer.h"

#include "text/accents.h"
#include "text/moses_detokenizer.h"
#include "text/moses_tokenizer.h"
#include "text/punctuation_normalizer.h"
#include "text/utf8.h"

namespace xlm::text {

std::string tokenize(std::string_view line, Language lang, const TokenizeOptions& options) {
  std::u32string text = utf8_decode(line);
  if (options.normalize_punctuation) text = normalize_punctuation(text, lang);
  MosesOptions moses;
  moses.protect_urls = options.protect_urls;
  moses.escape = options.escape;
  text = moses_tokenize(text, lang, moses);
  if (options.lowercase_and_remove_accent) text = lowercase_and_remove_accent(text);
  return utf8_encode(text);
}

std::string detokenize(std::string_view line, Language lang) {
  return utf8_encode(moses_detokenize(utf8_decode(line), lang));
}

std::string lowercase_and_remove_accent(std::string_view line) {
  return utf8_encode(lowercase_and_remove_accent(utf8_decode(line)));
}

}  // namespace xlm::text
