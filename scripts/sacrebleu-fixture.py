"""Writes test/fixtures/sacrebleu-cases.json: corpus BLEU and chrF from sacreBLEU itself on
reference cases, which test/unit/seq2seqMetrics.test.ts compares SeqLab's TypeScript versions with.

  python3 -m venv /tmp/sacrebleu-venv && /tmp/sacrebleu-venv/bin/pip install sacrebleu
  /tmp/sacrebleu-venv/bin/python scripts/sacrebleu-fixture.py
"""
import json
import os

import sacrebleu

CASES = [
    ("identical", ["the cat sat on the mat ."], ["the cat sat on the mat ."]),
    ("short-no-4grams", ["the cat sat"], ["the cat sat on"]),
    ("no-match", ["a b c d"], ["e f g h"]),
    ("empty-hypothesis", ["", "the dog barks"], ["a cat", "the dog barks loudly"]),
    (
        "punctuation-and-numbers",
        ["It costs $3.50, or 3,000 yen-ish (roughly).", "Call 555-1234 now!"],
        ["It costs $3.50 , about 3,000 yen (roughly).", "Call 555-1234 today!"],
    ),
    (
        "entities-and-dashes",
        ["Tom &amp; Jerry &quot;run&quot; -- fast", "x&lt;y and y&gt;z"],
        ["Tom & Jerry \"run\" - fast", "x<y and y>z"],
    ),
    (
        "french",
        ["Le chat est sur la table.", "Où est la gare ?", "Je ne sais pas."],
        ["Le chat est sur la table.", "Où se trouve la gare ?", "Je ne le sais pas."],
    ),
    (
        "brevity",
        ["the the the", "quick brown fox"],
        ["the quick brown fox jumps over the lazy dog", "a quick brown fox jumped"],
    ),
    (
        "longer-than-reference",
        ["there is a cat on the mat and there is a dog too"],
        ["a cat is on the mat"],
    ),
    (
        "unicode",
        ["Größe: 5 m² — naïve café 🙂", "日本語 の 文"],
        ["Größe: 5 m2 — naive café 🙂", "日本語 の 文 です"],
    ),
    (
        "whitespace",
        ["  spaced   out\ttext  ", "trailing space   "],
        ["spaced out text", "trailing space"],
    ),
    (
        "msgid-style",
        ["Cannot open file %s: %s", "_Open", "Save changes before closing?"],
        ["Cannot open the file %s: %s", "_Open…", "Save the changes before closing?"],
    ),
]

out = []
for name, hyps, refs in CASES:
    bleu = sacrebleu.corpus_bleu(hyps, [refs])
    chrf = sacrebleu.corpus_chrf(hyps, [refs])
    out.append(
        {
            "name": name,
            "hypotheses": hyps,
            "references": refs,
            "bleu": bleu.score,
            "precisions": bleu.precisions,
            "bp": bleu.bp,
            "sysLen": bleu.sys_len,
            "refLen": bleu.ref_len,
            "chrf": chrf.score,
        }
    )
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "test", "fixtures", "sacrebleu-cases.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump({"sacrebleu": sacrebleu.__version__, "cases": out}, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(f"wrote {len(out)} cases to {os.path.normpath(path)}")
