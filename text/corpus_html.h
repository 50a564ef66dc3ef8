// Plain text out of LibreOffice's generated help pages. The pages of every
// language come from the same sources, so a paragraph keeps its `id` across
// translations: extracting (id, text) per element is all the alignment needs.
// Small pure functions over strings (no HTML library): the pages are
// machine-written and regular, and these functions are unit-tested on inline
// snippets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

// Replaces character references: &amp; &lt; &gt; &quot; &apos; &nbsp; (as a
// space), &#NNN; and &#xHH; (as UTF-8). Unknown or malformed references are
// left as written.
std::string decode_entities(std::string_view s);

// Text content of an HTML fragment: tags removed (a tag boundary never glues
// two words: <br> and block tags become spaces, inline tags vanish), the content
// of elements carrying a `hidden` attribute and of <script>/<style> dropped,
// entities decoded, whitespace runs collapsed to one space, ends trimmed.
std::string strip_markup(std::string_view html);

struct HtmlSegment {
  std::string id;    // the element's id attribute
  std::string text;  // strip_markup of its content
};

// Elements <p>, <h1>..<h6>, <li>, <td> that carry an id, in document order,
// with their text. Nested matches are not extracted separately (the outer
// element wins). Segments whose text is empty or has no letter are dropped;
// an id that occurs more than once in the page is ambiguous and dropped.
std::vector<HtmlSegment> extract_segments(std::string_view html);

}  // namespace xlm::text
