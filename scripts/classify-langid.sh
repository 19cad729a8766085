#!/usr/bin/env bash
# The README's few-labels comparison: language identification from gettext messages (100 labelled
# messages per language), majority and n-gram baselines, an LSTM classifier from scratch, and the
# same LSTM fine-tuned from a character language model trained on the unlabelled messages of the
# same catalogues (ULMFiT), at equal classifier steps, evaluated on the same 1,200 test messages.
#   scripts/classify-langid.sh [work-dir] [seeds...]      (default: /tmp/seqlab-langid 1 2 3)
# The language model is trained once per work-dir (150 s, then 330 s more) and reused.
set -euo pipefail
W=${1:-/tmp/seqlab-langid}
shift || true
SEEDS=${*:-1 2 3}
S="node $(dirname "$0")/../bin/seqlab.js"
[ -d "$W/labelled" ] || node "$(dirname "$0")/build-langid-data.mjs" "$W"
SHAPE="--cell lstm --layers 1 --hidden 128 --embedding 32 --tokenizer char"
final() { grep -o '"checkpoint":"[^"]*"' | tail -1 | cut -d'"' -f4; }
# 1. The language model, on unlabelled messages only (no labelled message is among them).
if [ ! -f "$W/lm.ckpt" ]; then
  LM="--seq-len 64 --batch 32 --lr 4e-3 --eval-every 400"
  first=$($S train "$W/unlabelled/messages.txt" $SHAPE $LM --time 150 --out "$W/lm" --json | final)
  $S finetune "$first" "$W/unlabelled/messages.txt" $LM --time 330 --out "$W/lm" --json | final > "$W/lm.ckpt"
fi
# The accuracy and macro-F1 of a run's last evaluation (step 400, not the best one: no choosing on the test set).
last() {
  node -e 'const e=require("fs").readFileSync(0,"utf8").split("\n").filter((l)=>l.includes("\"classifyEval\"")).map(JSON.parse).pop();console.log(`accuracy ${e.accuracy.toFixed(4)} macro_f1 ${e.macro_f1.toFixed(4)} (step ${e.step})`)'
}
for SEED in $SEEDS; do
  CLS="--task classify --pooling mean --steps 400 --eval-every 100 --batch 16 --lr 3e-3 --seed $SEED"
  # 2. From scratch (the baselines come with it, in the log events).
  $S train "$W/labelled" $SHAPE $CLS --out "$W/scratch-$SEED" --json > "$W/scratch-$SEED.jsonl"
  echo "seed $SEED, from scratch: $(last < "$W/scratch-$SEED.jsonl")"
  # The control: from scratch with the head that fine-tuning gets (standardized pooled features).
  $S train "$W/labelled" $SHAPE $CLS --standardize --out "$W/scratch-std-$SEED" --json > "$W/scratch-std-$SEED.jsonl"
  echo "seed $SEED, from scratch, standardized head: $(last < "$W/scratch-std-$SEED.jsonl")"
  # 3. From the language model: every layer at one rate, then ULMFiT's schedule (one more layer
  #    each epoch, each lower layer at the rate of the one above / 2.6).
  $S finetune "$(cat "$W/lm.ckpt")" "$W/labelled" $CLS --out "$W/lm-$SEED" --json > "$W/lm-$SEED.jsonl"
  echo "seed $SEED, from the language model: $(last < "$W/lm-$SEED.jsonl")"
  $S finetune "$(cat "$W/lm.ckpt")" "$W/labelled" $CLS --gradual-unfreeze --discriminative-lr --out "$W/ulmfit-$SEED" --json > "$W/ulmfit-$SEED.jsonl"
  echo "seed $SEED, from the language model, gradual unfreezing and discriminative rates: $(last < "$W/ulmfit-$SEED.jsonl")"
done
grep -o '"message":"baseline[^"]*"' "$W/scratch-${SEEDS%% *}.jsonl" | cut -d'"' -f4
