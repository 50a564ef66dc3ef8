// Plain text out of man pages (roff with the man macros), for the translated
// man page source of `xlm data debian`. The translations (manpages-l10n,
// po4a) keep the English page's macro structure, so a page reduced to
// sections of text blocks is all the alignment needs: no typesetting, only the
// block structure (.SH/.SS/.PP/.TP/.IP...) and the visible words. Verbatim
// text (.nf/.EX), tables (.TS) and macro definitions are dropped because they
// are code, not prose. Pure functions over strings, unit-tested on inline
// roff.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

// Text of one roff text line or macro argument: font escapes (\fB \fI \fR \fP
// \f(XX \f[..]) removed, \- \e \\ \. \~ \<space> \0 \(xx \[xx] \[uXXXX]
// \*(xx and friends turned into characters (composed letters such as \('e
// \(^o \(:u included; DocBook's \*(Aq is an apostrophe; unknown names are
// dropped), zero-width escapes (\& \c \| \^
// \% \: \/ \,) removed, size/motion/register escapes (\s \h \v \w \n \m \M
// \N \D \X \o \z \k) dropped with their argument, and \" comments cut.
// Whitespace is not collapsed.
std::string roff_inline(std::string_view line);

struct ManSection {
  std::string heading;              // the .SH title, e.g. "DESCRIPTION"
  std::vector<std::string> blocks;  // paragraphs, .TP/.IP tags and bodies, .SS titles; whitespace-collapsed
};

struct ManPage {
  std::string so_target;  // non-empty if the page is only a `.so` link (no sections then)
  std::vector<ManSection> sections;
};

// Parses a man page. Blocks break at .PP/.P/.LP, .TP/.TQ (the next line is a
// block of its own: the tag), .IP (its tag argument is a block), .HP, .SS
// (its title is a block), .RS/.RE, .sp, blank lines, .nf/.EX (verbatim: the
// text up to .fi/.EE is dropped), .TS/.TE and .EQ/.EN (dropped), .de/.ig up to
// "..". Font macros (.B .I .SM .SB: arguments joined by spaces; .BR .BI .IR
// .IB .RB .RI: joined without spaces) add text to the current block; other
// requests are ignored. Text before the first .SH is dropped. Empty blocks
// are not kept.
ManPage parse_man(std::string_view roff);

}  // namespace xlm::text
