#!/usr/bin/env bash
# The README's few-labels comparison: language identification from gettext messages (100 labelled
# messages per language), majority and n-gram baselines, an LSTM classifier from scratch, and the
# same LSTM fine-tuned from a character language model trained on unlabelled messages (ULMFiT),
# at equal classifier steps. Usage: scripts/classify-langid.sh [work-dir] [seed]
set -euo pipefail
W=${1:-/tmp/seqlab-langid}
SEED=${2:-1}
S="node $(dirname "$0")/../bin/seqlab.js"
[ -d "$W/labelled" ] || node "$(dirname "$0")/build-langid-data.mjs" "$W"
SHAPE="--cell lstm --layers 1 --hidden 128 --embedding 32 --tokenizer char"
CLS="--task classify --pooling mean --steps 400 --eval-every 100 --batch 16 --lr 3e-3 --seed $SEED"
final() { grep -o '"checkpoint":"[^"]*"' | tail -1 | cut -d'"' -f4; }
# 1. The language model, on unlabelled messages only (the test messages are not among them).
if [ ! -f "$W/lm.ckpt" ]; then
  $S train "$W/unlabelled/messages.txt" $SHAPE --seq-len 64 --batch 32 --lr 4e-3 --time 150 --eval-every 200 --out "$W/lm" --json | final > "$W/lm.ckpt"
fi
acc() { $S eval "$1" "$W/labelled" --json | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(`accuracy ${r.accuracy.toFixed(4)} macro_f1 ${r.macro_f1.toFixed(4)}`)'; }
# 2. From scratch (the baselines come with it, in the log events).
$S train "$W/labelled" $SHAPE $CLS --out "$W/scratch-$SEED" --json > "$W/scratch-$SEED.jsonl"
echo "scratch seed $SEED: $(acc "$(final < "$W/scratch-$SEED.jsonl")")"
# 3. From the language model: every layer at one rate, then ULMFiT's schedule.
$S finetune "$(cat "$W/lm.ckpt")" "$W/labelled" $CLS --out "$W/plain-$SEED" --json > "$W/plain-$SEED.jsonl"
echo "from the language model seed $SEED: $(acc "$(final < "$W/plain-$SEED.jsonl")")"
$S finetune "$(cat "$W/lm.ckpt")" "$W/labelled" $CLS --gradual-unfreeze --unfreeze-every 10 --discriminative-lr --out "$W/gu10-$SEED" --json > "$W/gu10-$SEED.jsonl"
echo "from the language model, gradual unfreezing and discriminative rates, seed $SEED: $(acc "$(final < "$W/gu10-$SEED.jsonl")")"
grep -o '"message":"baseline[^"]*"' "$W/scratch-$SEED.jsonl" | cut -d'"' -f4
