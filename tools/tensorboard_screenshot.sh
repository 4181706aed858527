#!/usr/bin/env bash
# Check `latte train --tensorboard` as a user would: train a tiny run, start TensorBoard on a
# local port, open its Scalars page in headless Chromium and save a screenshot to look at.
#
#   bash tools/tensorboard_screenshot.sh [OUT.png]
#
# Needs the test environment (make test), TensorBoard (pip install tensorboard) and Debian's
# chromium package. Everything stays on 127.0.0.1; the server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-tensorboard_check.png}
WORK=$(mktemp -d)
PORT=${PORT:-6123}
cleanup() { [ -n "${TB_PID:-}" ] && kill "$TB_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

"$PY" -m latte.cli train --dataset mnist-sample --epochs 3 --limit-batches 20 --no-progress \
    --no-plots --tensorboard --out "$WORK" --name tiny >/dev/null
"$(dirname "$PY")/tensorboard" --logdir "$WORK" --host 127.0.0.1 --port "$PORT" \
    >"$WORK/tb.log" 2>&1 &
TB_PID=$!
for _ in $(seq 60); do  # wait for the server, at most 30 s
    if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" \
        2>/dev/null; then break; fi
    sleep 0.5
done
chromium --headless --no-sandbox --disable-gpu --window-size=1400,1000 \
    --virtual-time-budget=15000 --screenshot="$OUT" "http://127.0.0.1:$PORT/#timeseries" \
    >/dev/null 2>&1
echo "screenshot: $OUT (TensorBoard's Time Series page of a 3-epoch run: loss, accuracy, lr)"
