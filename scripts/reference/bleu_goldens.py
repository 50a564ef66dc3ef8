#!/usr/bin/env python3
# Writes tests/fixtures/bleu/: small hypothesis/reference files for the cases `xlm
# bleu` must agree with sacreBLEU 2.x on, and expected.json with sacreBLEU's own
# numbers for each (score, counts, totals, lengths, bp, the printed line, and the
# 13a tokenization of every line). The C++ tests read these, so they need neither
# Python nor the network; regenerate after changing a case:
#   python3 -m pip install --target DIR sacrebleu && PYTHONPATH=DIR python3 scripts/reference/bleu_goldens.py
import json
import os

import sacrebleu
from sacrebleu.metrics import BLEU
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

# name -> (hypotheses, [reference set, ...], {"tokenize": ..., "lowercase": ...})
CASES = {
    "identical": (
        ["The cat sat on the mat.", "A quick brown fox jumps over the lazy dog!"],
        [["The cat sat on the mat.", "A quick brown fox jumps over the lazy dog!"]],
        {},
    ),
    "partial": (
        ["the cat is on the mat", "there is a dog in the garden, isn't there?"],
        [["the cat sat on the mat", "a dog is in the garden, isn't it?"]],
        {},
    ),
    "empty_hypothesis": (
        ["", "It rains."],
        [["Nothing here at all.", "It rains today."]],
        {},
    ),
    "all_empty_hypotheses": (
        ["", ""],
        [["One two three.", "Four five."]],
        {},
    ),
    "no_4gram_match": (
        ["the black cat sat down quietly", "a small red house by the river"],
        [["the black dog sat down loudly", "a small blue house near the river"]],
        {},
    ),
    "no_match_at_all": (
        ["alpha beta gamma delta"],
        [["one two three four five"]],
        {},
    ),
    "short_no_4grams": (
        ["hello world", "yes"],
        [["hello world", "yes"]],
        {},
    ),
    "multiple_refs": (
        ["It is a guide to action which ensures that the military always obeys the commands of the party.",
         "he read the book because he was interested in world history"],
        [["It is a guide to action that ensures that the military will forever heed Party commands.",
          "he was interested in world history because he read the book"],
         ["It is the guiding principle which guarantees the military forces always being under the command of the Party.",
          "he read the book because he is interested in the history of the world"],
         ["It is the practical guide for the army always to heed the directions of the party.",
          "because he was interested in world history he read that book"]],
        {},
    ),
    "closest_ref_tie": (
        ["a b c d e f"],
        [["a b c d e"], ["a b c d e f g"]],
        {},
    ),
    "mixed_case": (
        ["The QUICK Brown fox.", "ΣΊΣΥΦΟΣ ΚΑΙ ΟΔΥΣΣΕΑΣ", "İSTANBUL Straße"],
        [["the quick brown Fox.", "σίσυφος και οδυσσεας", "i̇stanbul straße"]],
        {},
    ),
    "lowercase": (
        ["The QUICK Brown fox.", "ΣΊΣΥΦΟΣ ΚΑΙ ΟΔΥΣΣΕΑΣ", "İSTANBUL Straße", "ΑΣ'Σ ΣΑ.Σ"],
        [["the quick brown Fox.", "σίσυφος και οδυσσεας", "i̇stanbul straße", "ας'ς σα.ς"]],
        {"lowercase": True},
    ),
    "unicode_punctuation": (
        ["«Bonjour», dit-il — c’est l’été… 3,5 kg; 10-20 km.", "Price: $1,000.50 (approx.) & more&amp;less"],
        [["« Bonjour », dit-il – c'est l'été... 3,5 kg ; 10 - 20 km .", "Price: $1,000.50 (approx.) &amp; more & less"]],
        {},
    ),
    "whitespace_and_entities": (
        ["a\u00a0b\u3000c  d\t", "x &quot;y&quot; &lt;z&gt; <skipped>w"],
        [["a b c d", "x \"y\" <z> w"]],
        {},
    ),
    "tokenize_none": (
        ["the cat , sat on the mat .", "Hello , World !"],
        [["the cat sat on the mat .", "hello , world !"]],
        {"tokenize": "none"},
    ),
    "tokenize_none_lowercase": (
        ["the cat , sat on the mat .", "Hello , World !"],
        [["the cat sat on the mat .", "hello , world !"]],
        {"tokenize": "none", "lowercase": True},
    ),
}


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            assert "\n" not in line and "\r" not in line
            f.write(line + "\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out_dir = os.path.join(root, "tests", "fixtures", "bleu")
    os.makedirs(out_dir, exist_ok=True)
    tok = Tokenizer13a()
    expected = {"sacrebleu_version": sacrebleu.__version__, "cases": {}}
    for name, (hyps, refs, opts) in CASES.items():
        write_lines(os.path.join(out_dir, f"{name}.hyp"), hyps)
        ref_files = []
        for k, ref in enumerate(refs):
            assert len(ref) == len(hyps)
            fname = f"{name}.ref{k}"
            write_lines(os.path.join(out_dir, fname), ref)
            ref_files.append(fname)
        tokenize = opts.get("tokenize", "13a")
        lowercase = opts.get("lowercase", False)
        bleu = BLEU(tokenize=tokenize, lowercase=lowercase)
        s = bleu.corpus_score(hyps, refs)
        expected["cases"][name] = {
            "hyp": f"{name}.hyp",
            "refs": ref_files,
            "tokenize": tokenize,
            "lowercase": lowercase,
            "score": s.score,
            "precisions": s.precisions,
            "bp": s.bp,
            "ratio": s.ratio,
            "hyp_len": s.sys_len,
            "ref_len": s.ref_len,
            "correct": s.counts,
            "total": s.totals,
            "line": str(s),
            "tokenized_13a": [tok(x) for x in hyps + [r for ref in refs for r in ref]],
            "sources_13a": hyps + [r for ref in refs for r in ref],
            "lowered": [x.lower() for x in hyps + [r for ref in refs for r in ref]],
        }
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(CASES)} cases to tests/fixtures/bleu (sacreBLEU {sacrebleu.__version__})")


if __name__ == "__main__":
    main()
