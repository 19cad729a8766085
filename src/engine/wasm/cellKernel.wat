;; The training kernel, in 128-bit WebAssembly SIMD: gate math forward and backward (one
;; timestep of a batch per call), whole time loops of a layer, the products (gemm.wat), the
;; embedding fold, the softmax cross-entropy head, column sums, transposes and Adam. Built into
;; cellKernelWasm.ts by scripts/build-kernel.mjs.
;;
;; This module imports the TF.js wasm backend's own memory, so its pointers are the byte offsets
;; of TF.js tensors (fusedLayers.ts): no copies. Per-op overhead was half of a training step with
;; TF.js ops when first profiled, and XNNPACK's products ran at about half of what gemm.wat
;; reaches here.
;;
;; Layouts are row-major: B rows; pre-activations and gates are G blocks of H floats per row, in
;; the layer's gate order; states are H floats per row. H is a multiple of 4 (the caller falls
;; back to plain TF.js ops otherwise). A pointer of 0 means "no second copy".
(module
  (import "env" "memory" (memory 1))

  ;; @include simdMath.wat

  ;; @include gemm.wat

  (func $one_minus (param $x v128) (result v128)
    (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $x)))

  ;; sigmoid'(y) from y = sigmoid(x): y (1 - y)
  (func $dsig (param $y v128) (result v128)
    (f32x4.mul (local.get $y) (call $one_minus (local.get $y))))

  ;; tanh'(y) from y = tanh(x): 1 - y^2
  (func $dtanh (param $y v128) (result v128)
    (call $one_minus (f32x4.mul (local.get $y) (local.get $y))))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; LSTM forward, gates i, f, g, o. xw: x W + b for this step [B, 4H]; hr: h_{t-1} U [B, 4H];
  ;; c0: c_{t-1} [B, H]. Writes the activated gates [B, 4H], c_t [B, H] and h_t to h and h2.
  (func $lstm_fwd (export "lstm_fwd")
    (param $xw i32) (param $hr i32) (param $c0 i32) (param $gates i32) (param $c i32)
    (param $h i32) (param $h2 i32) (param $B i32) (param $H i32)
    (local $gb i32) (local $row4 i32) (local $rowb i32) (local $o i32) (local $b i32)
    (local $z i32) (local $s i32) (local $e i32)
    (local $i v128) (local $f v128) (local $g v128) (local $og v128) (local $cv v128) (local $hv v128)
    (local.set $gb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $row4 (i32.shl (local.get $gb) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $rowb (i32.mul (local.get $b) (local.get $gb)))
      (local.set $o (i32.const 0))
      (block $done (loop $cols
        (br_if $done (i32.ge_u (local.get $o) (local.get $gb)))
        (local.set $z (i32.add (i32.mul (local.get $b) (local.get $row4)) (local.get $o)))
        (local.set $i (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (local.get $xw) (local.get $z)))
          (v128.load (i32.add (local.get $hr) (local.get $z))))))
        (local.set $z (i32.add (local.get $z) (local.get $gb)))
        (local.set $f (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (local.get $xw) (local.get $z)))
          (v128.load (i32.add (local.get $hr) (local.get $z))))))
        (local.set $z (i32.add (local.get $z) (local.get $gb)))
        (local.set $g (call $tanh4 (f32x4.add
          (v128.load (i32.add (local.get $xw) (local.get $z)))
          (v128.load (i32.add (local.get $hr) (local.get $z))))))
        (local.set $z (i32.add (local.get $z) (local.get $gb)))
        (local.set $og (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (local.get $xw) (local.get $z)))
          (v128.load (i32.add (local.get $hr) (local.get $z))))))
        (local.set $z (i32.add (i32.mul (local.get $b) (local.get $row4)) (local.get $o)))
        (v128.store (i32.add (local.get $gates) (local.get $z)) (local.get $i))
        (local.set $z (i32.add (local.get $z) (local.get $gb)))
        (v128.store (i32.add (local.get $gates) (local.get $z)) (local.get $f))
        (local.set $z (i32.add (local.get $z) (local.get $gb)))
        (v128.store (i32.add (local.get $gates) (local.get $z)) (local.get $g))
        (local.set $z (i32.add (local.get $z) (local.get $gb)))
        (v128.store (i32.add (local.get $gates) (local.get $z)) (local.get $og))
        (local.set $s (i32.add (local.get $rowb) (local.get $o)))
        (local.set $cv (f32x4.add
          (f32x4.mul (local.get $f) (v128.load (i32.add (local.get $c0) (local.get $s))))
          (f32x4.mul (local.get $i) (local.get $g))))
        (v128.store (i32.add (local.get $c) (local.get $s)) (local.get $cv))
        (local.set $hv (f32x4.mul (local.get $og) (call $tanh4 (local.get $cv))))
        (v128.store (i32.add (local.get $h) (local.get $s)) (local.get $hv))
        (if (local.get $h2) (then (v128.store (i32.add (local.get $h2) (local.get $s)) (local.get $hv))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $cols)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

  ;; LSTM backward for one step. dh = dy + dhm (the loss's gradient and the one from step t+1
  ;; through U); dc carries dL/dc from step t+1 in and dL/dc_{t-1} out (in place).
  ;; Writes dL/dz [B, 4H] to dz and dz2. Returns sum(dh^2), for the vanishing-gradient profile.
  (func $lstm_bwd (export "lstm_bwd")
    (param $gates i32) (param $c0 i32) (param $c i32) (param $dy i32) (param $dhm i32)
    (param $dc i32) (param $dz i32) (param $dz2 i32) (param $B i32) (param $H i32) (result f32)
    (local $gb i32) (local $row4 i32) (local $o i32) (local $b i32) (local $z i32) (local $s i32)
    (local $i v128) (local $f v128) (local $g v128) (local $og v128) (local $tc v128)
    (local $dh v128) (local $dcv v128) (local $sq v128)
    (local $dzi v128) (local $dzf v128) (local $dzg v128) (local $dzo v128)
    (local.set $gb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $row4 (i32.shl (local.get $gb) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $o (i32.const 0))
      (block $done (loop $cols
        (br_if $done (i32.ge_u (local.get $o) (local.get $gb)))
        (local.set $z (i32.add (i32.mul (local.get $b) (local.get $row4)) (local.get $o)))
        (local.set $s (i32.add (i32.mul (local.get $b) (local.get $gb)) (local.get $o)))
        (local.set $i (v128.load (i32.add (local.get $gates) (local.get $z))))
        (local.set $f (v128.load (i32.add (i32.add (local.get $gates) (local.get $z)) (local.get $gb))))
        (local.set $g (v128.load (i32.add (i32.add (local.get $gates) (local.get $z)) (i32.shl (local.get $gb) (i32.const 1)))))
        (local.set $og (v128.load (i32.add (i32.add (local.get $gates) (local.get $z)) (i32.mul (local.get $gb) (i32.const 3)))))
        (local.set $dh (f32x4.add
          (v128.load (i32.add (local.get $dy) (local.get $s)))
          (v128.load (i32.add (local.get $dhm) (local.get $s)))))
        (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $dh) (local.get $dh))))
        (local.set $tc (call $tanh4 (v128.load (i32.add (local.get $c) (local.get $s)))))
        (local.set $dcv (f32x4.add
          (f32x4.mul (f32x4.mul (local.get $dh) (local.get $og)) (call $dtanh (local.get $tc)))
          (v128.load (i32.add (local.get $dc) (local.get $s)))))
        (local.set $dzi (f32x4.mul (f32x4.mul (local.get $dcv) (local.get $g)) (call $dsig (local.get $i))))
        (local.set $dzf (f32x4.mul
          (f32x4.mul (local.get $dcv) (v128.load (i32.add (local.get $c0) (local.get $s))))
          (call $dsig (local.get $f))))
        (local.set $dzg (f32x4.mul (f32x4.mul (local.get $dcv) (local.get $i)) (call $dtanh (local.get $g))))
        (local.set $dzo (f32x4.mul (f32x4.mul (local.get $dh) (local.get $tc)) (call $dsig (local.get $og))))
        (v128.store (i32.add (local.get $dc) (local.get $s)) (f32x4.mul (local.get $dcv) (local.get $f)))
        (call $store4 (local.get $dz) (local.get $z) (local.get $gb)
          (local.get $dzi) (local.get $dzf) (local.get $dzg) (local.get $dzo))
        (if (local.get $dz2) (then
          (call $store4 (local.get $dz2) (local.get $z) (local.get $gb)
            (local.get $dzi) (local.get $dzf) (local.get $dzg) (local.get $dzo))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $cols)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows)))
    (call $hsum (local.get $sq)))

  (func $store4 (param $base i32) (param $z i32) (param $gb i32)
    (param $a v128) (param $b v128) (param $c v128) (param $d v128)
    (local $p i32)
    (local.set $p (i32.add (local.get $base) (local.get $z)))
    (v128.store (local.get $p) (local.get $a))
    (local.set $p (i32.add (local.get $p) (local.get $gb)))
    (v128.store (local.get $p) (local.get $b))
    (local.set $p (i32.add (local.get $p) (local.get $gb)))
    (v128.store (local.get $p) (local.get $c))
    (local.set $p (i32.add (local.get $p) (local.get $gb)))
    (v128.store (local.get $p) (local.get $d)))

  (func $store3 (param $base i32) (param $z i32) (param $gb i32)
    (param $a v128) (param $b v128) (param $c v128)
    (local $p i32)
    (local.set $p (i32.add (local.get $base) (local.get $z)))
    (v128.store (local.get $p) (local.get $a))
    (local.set $p (i32.add (local.get $p) (local.get $gb)))
    (v128.store (local.get $p) (local.get $b))
    (local.set $p (i32.add (local.get $p) (local.get $gb)))
    (v128.store (local.get $p) (local.get $c)))

  ;; GRU forward (reset_after; gates z, r, n). xw: x W + b_in [B, 3H]; hr: h_{t-1} U [B, 3H];
  ;; brec: the recurrent bias [3H]; h0: h_{t-1} [B, H]. Writes z, r, n and (h U + c)_n as
  ;; gates [B, 4H], and h_t to h and h2.
  (func $gru_fwd (export "gru_fwd")
    (param $xw i32) (param $hr i32) (param $brec i32) (param $h0 i32) (param $gates i32)
    (param $h i32) (param $h2 i32) (param $B i32) (param $H i32)
    (local $gb i32) (local $row3 i32) (local $row4 i32) (local $o i32) (local $b i32)
    (local $x i32) (local $s i32) (local $q i32)
    (local $z v128) (local $r v128) (local $n v128) (local $un v128) (local $hv v128)
    (local.set $gb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $row3 (i32.mul (local.get $gb) (i32.const 3)))
    (local.set $row4 (i32.shl (local.get $gb) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $o (i32.const 0))
      (block $done (loop $cols
        (br_if $done (i32.ge_u (local.get $o) (local.get $gb)))
        (local.set $x (i32.add (i32.mul (local.get $b) (local.get $row3)) (local.get $o)))
        (local.set $z (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (local.get $xw) (local.get $x)))
          (f32x4.add (v128.load (i32.add (local.get $hr) (local.get $x)))
            (v128.load (i32.add (local.get $brec) (local.get $o)))))))
        (local.set $r (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (i32.add (local.get $xw) (local.get $x)) (local.get $gb)))
          (f32x4.add (v128.load (i32.add (i32.add (local.get $hr) (local.get $x)) (local.get $gb)))
            (v128.load (i32.add (i32.add (local.get $brec) (local.get $o)) (local.get $gb)))))))
        (local.set $q (i32.shl (local.get $gb) (i32.const 1)))
        (local.set $un (f32x4.add
          (v128.load (i32.add (i32.add (local.get $hr) (local.get $x)) (local.get $q)))
          (v128.load (i32.add (i32.add (local.get $brec) (local.get $o)) (local.get $q)))))
        (local.set $n (call $tanh4 (f32x4.add
          (v128.load (i32.add (i32.add (local.get $xw) (local.get $x)) (local.get $q)))
          (f32x4.mul (local.get $r) (local.get $un)))))
        (local.set $s (i32.add (i32.mul (local.get $b) (local.get $gb)) (local.get $o)))
        (local.set $hv (f32x4.add (local.get $n) (f32x4.mul (local.get $z)
          (f32x4.sub (v128.load (i32.add (local.get $h0) (local.get $s))) (local.get $n)))))
        (call $store4 (local.get $gates) (i32.add (i32.mul (local.get $b) (local.get $row4)) (local.get $o))
          (local.get $gb) (local.get $z) (local.get $r) (local.get $n) (local.get $un))
        (v128.store (i32.add (local.get $h) (local.get $s)) (local.get $hv))
        (if (local.get $h2) (then (v128.store (i32.add (local.get $h2) (local.get $s)) (local.get $hv))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $cols)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

  ;; GRU backward for one step. dh = dy + dhm + carry, where carry (in place) holds dh_{t+1} z_{t+1}
  ;; in and dh_t z_t out. Writes dL/d(x W) [B, 3H] to dxw and dL/d(h U) [B, 3H] to du and du2.
  ;; Returns sum(dh^2).
  (func $gru_bwd (export "gru_bwd")
    (param $gates i32) (param $h0 i32) (param $dy i32) (param $dhm i32) (param $carry i32)
    (param $dxw i32) (param $du i32) (param $du2 i32) (param $B i32) (param $H i32) (result f32)
    (local $gb i32) (local $row3 i32) (local $row4 i32) (local $o i32) (local $b i32)
    (local $x i32) (local $s i32) (local $g i32)
    (local $z v128) (local $r v128) (local $n v128) (local $un v128) (local $dh v128) (local $sq v128)
    (local $daz v128) (local $dar v128) (local $dan v128)
    (local.set $gb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $row3 (i32.mul (local.get $gb) (i32.const 3)))
    (local.set $row4 (i32.shl (local.get $gb) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $o (i32.const 0))
      (block $done (loop $cols
        (br_if $done (i32.ge_u (local.get $o) (local.get $gb)))
        (local.set $g (i32.add (i32.add (local.get $gates) (i32.mul (local.get $b) (local.get $row4))) (local.get $o)))
        (local.set $z (v128.load (local.get $g)))
        (local.set $r (v128.load (i32.add (local.get $g) (local.get $gb))))
        (local.set $n (v128.load (i32.add (local.get $g) (i32.shl (local.get $gb) (i32.const 1)))))
        (local.set $un (v128.load (i32.add (local.get $g) (i32.mul (local.get $gb) (i32.const 3)))))
        (local.set $s (i32.add (i32.mul (local.get $b) (local.get $gb)) (local.get $o)))
        (local.set $dh (f32x4.add
          (f32x4.add (v128.load (i32.add (local.get $dy) (local.get $s)))
            (v128.load (i32.add (local.get $dhm) (local.get $s))))
          (v128.load (i32.add (local.get $carry) (local.get $s)))))
        (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $dh) (local.get $dh))))
        (v128.store (i32.add (local.get $carry) (local.get $s)) (f32x4.mul (local.get $dh) (local.get $z)))
        (local.set $dan (f32x4.mul (f32x4.mul (local.get $dh) (call $one_minus (local.get $z)))
          (call $dtanh (local.get $n))))
        (local.set $daz (f32x4.mul
          (f32x4.mul (local.get $dh)
            (f32x4.sub (v128.load (i32.add (local.get $h0) (local.get $s))) (local.get $n)))
          (call $dsig (local.get $z))))
        (local.set $dar (f32x4.mul (f32x4.mul (local.get $dan) (local.get $un)) (call $dsig (local.get $r))))
        (local.set $x (i32.add (i32.mul (local.get $b) (local.get $row3)) (local.get $o)))
        (if (local.get $dxw) (then
          (call $store3 (local.get $dxw) (local.get $x) (local.get $gb)
            (local.get $daz) (local.get $dar) (local.get $dan))))
        (call $store3 (local.get $du) (local.get $x) (local.get $gb)
          (local.get $daz) (local.get $dar) (f32x4.mul (local.get $dan) (local.get $r)))
        (if (local.get $du2) (then
          (call $store3 (local.get $du2) (local.get $x) (local.get $gb)
            (local.get $daz) (local.get $dar) (f32x4.mul (local.get $dan) (local.get $r)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $cols)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows)))
    (call $hsum (local.get $sq)))

  ;; Vanilla RNN forward: h = tanh(xw + hr), or relu when $relu is 1; n = B H values.
  (func $rnn_fwd (export "rnn_fwd")
    (param $xw i32) (param $hr i32) (param $h i32) (param $h2 i32) (param $n i32) (param $relu i32)
    (local $o i32) (local $end i32) (local $a v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $a (f32x4.add (v128.load (i32.add (local.get $xw) (local.get $o)))
        (v128.load (i32.add (local.get $hr) (local.get $o)))))
      (local.set $a (if (result v128) (local.get $relu)
        (then (f32x4.max (local.get $a) (v128.const f32x4 0 0 0 0)))
        (else (call $tanh4 (local.get $a)))))
      (v128.store (i32.add (local.get $h) (local.get $o)) (local.get $a))
      (if (local.get $h2) (then (v128.store (i32.add (local.get $h2) (local.get $o)) (local.get $a))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $l))))

  ;; Vanilla RNN backward: da = (dy + dhm) f'(a), with f' taken from the output h. Returns sum(dh^2).
  (func $rnn_bwd (export "rnn_bwd")
    (param $h i32) (param $dy i32) (param $dhm i32) (param $da i32) (param $da2 i32) (param $n i32)
    (param $relu i32) (result f32)
    (local $o i32) (local $end i32) (local $dh v128) (local $hv v128) (local $d v128) (local $sq v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $dh (f32x4.add (v128.load (i32.add (local.get $dy) (local.get $o)))
        (v128.load (i32.add (local.get $dhm) (local.get $o)))))
      (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $dh) (local.get $dh))))
      (local.set $hv (v128.load (i32.add (local.get $h) (local.get $o))))
      (local.set $d (if (result v128) (local.get $relu)
        (then (v128.and (local.get $dh) (f32x4.gt (local.get $hv) (v128.const f32x4 0 0 0 0))))
        (else (f32x4.mul (local.get $dh) (call $dtanh (local.get $hv))))))
      (v128.store (i32.add (local.get $da) (local.get $o)) (local.get $d))
      (if (local.get $da2) (then (v128.store (i32.add (local.get $da2) (local.get $o)) (local.get $d))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $sq)))

  ;; ---- Whole windows: a layer's time loop in one call, for the batch rows r0 <= b < r1 ----
  ;; Batch rows are independent sequences, so two threads can each take half of the rows for a
  ;; whole window with no step-by-step handoff (rowSplitter.ts). Per step: the recurrent product
  ;; with packed U (gemm) into the scratch hr, then the gate math. Window tensors as in
  ;; fusedLayers.ts; scratch buffers are [B, ...] and each thread uses its own rows. `prog`, when
  ;; not 0, receives the number of steps done (a heartbeat for the thread waiting on this one).

  (func $at (param $base i32) (param $row i32) (param $rowBytes i32) (result i32)
    (i32.add (local.get $base) (i32.mul (local.get $row) (local.get $rowBytes))))

  (func $panels (param $n i32) (result i32)
    (i32.shr_u (i32.add (local.get $n) (i32.const 15)) (i32.const 4)))

  (func (export "lstm_fwd_seq")
    (param $xw i32) (param $up i32) (param $hs i32) (param $cs i32) (param $gates i32)
    (param $hr i32) (param $T i32) (param $B i32) (param $r0 i32) (param $r1 i32) (param $H i32)
    (param $prog i32)
    (local $t i32) (local $base i32) (local $rows i32) (local $hb i32) (local $gbt i32) (local $hrp i32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gbt (i32.shl (local.get $hb) (i32.const 2)))
    (local.set $hrp (call $at (local.get $hr) (local.get $r0) (local.get $gbt)))
    (block $done (loop $steps
      (br_if $done (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $base (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $r0)))
      (call $gemm (call $at (local.get $hs) (local.get $base) (local.get $hb)) (local.get $hb) (i32.const 4)
        (local.get $up) (i32.const 64) (i32.shl (local.get $H) (i32.const 6)) (local.get $hrp) (local.get $gbt) (local.get $rows) (local.get $H)
        (i32.shl (local.get $H) (i32.const 2)) (i32.const 0) (i32.const 0)
        (call $panels (i32.shl (local.get $H) (i32.const 2))))
      (call $lstm_fwd (call $at (local.get $xw) (local.get $base) (local.get $gbt)) (local.get $hrp)
        (call $at (local.get $cs) (local.get $base) (local.get $hb))
        (call $at (local.get $gates) (local.get $base) (local.get $gbt))
        (call $at (local.get $cs) (i32.add (local.get $base) (local.get $B)) (local.get $hb))
        (call $at (local.get $hs) (i32.add (local.get $base) (local.get $B)) (local.get $hb))
        (i32.const 0) (local.get $rows) (local.get $H))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (if (local.get $prog) (then (i32.atomic.store (local.get $prog) (local.get $t))))
      (br $steps))))

  (func (export "gru_fwd_seq")
    (param $xw i32) (param $up i32) (param $brec i32) (param $hs i32) (param $gates i32)
    (param $hr i32) (param $T i32) (param $B i32) (param $r0 i32) (param $r1 i32) (param $H i32)
    (param $prog i32)
    (local $t i32) (local $base i32) (local $rows i32) (local $hb i32) (local $g3 i32) (local $hrp i32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $g3 (i32.mul (local.get $hb) (i32.const 3)))
    (local.set $hrp (call $at (local.get $hr) (local.get $r0) (local.get $g3)))
    (block $done (loop $steps
      (br_if $done (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $base (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $r0)))
      (call $gemm (call $at (local.get $hs) (local.get $base) (local.get $hb)) (local.get $hb) (i32.const 4)
        (local.get $up) (i32.const 64) (i32.shl (local.get $H) (i32.const 6)) (local.get $hrp) (local.get $g3) (local.get $rows) (local.get $H)
        (i32.mul (local.get $H) (i32.const 3)) (i32.const 0) (i32.const 0)
        (call $panels (i32.mul (local.get $H) (i32.const 3))))
      (call $gru_fwd (call $at (local.get $xw) (local.get $base) (local.get $g3)) (local.get $hrp)
        (local.get $brec) (call $at (local.get $hs) (local.get $base) (local.get $hb))
        (call $at (local.get $gates) (local.get $base) (i32.shl (local.get $hb) (i32.const 2)))
        (call $at (local.get $hs) (i32.add (local.get $base) (local.get $B)) (local.get $hb))
        (i32.const 0) (local.get $rows) (local.get $H))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (if (local.get $prog) (then (i32.atomic.store (local.get $prog) (local.get $t))))
      (br $steps))))

  (func (export "rnn_fwd_seq")
    (param $xw i32) (param $up i32) (param $hs i32) (param $hr i32) (param $T i32) (param $B i32)
    (param $r0 i32) (param $r1 i32) (param $H i32) (param $relu i32) (param $prog i32)
    (local $t i32) (local $base i32) (local $rows i32) (local $hb i32) (local $hrp i32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $hrp (call $at (local.get $hr) (local.get $r0) (local.get $hb)))
    (block $done (loop $steps
      (br_if $done (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $base (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $r0)))
      (call $gemm (call $at (local.get $hs) (local.get $base) (local.get $hb)) (local.get $hb) (i32.const 4)
        (local.get $up) (i32.const 64) (i32.shl (local.get $H) (i32.const 6)) (local.get $hrp) (local.get $hb) (local.get $rows) (local.get $H)
        (local.get $H) (i32.const 0) (i32.const 0) (call $panels (local.get $H)))
      (call $rnn_fwd (call $at (local.get $xw) (local.get $base) (local.get $hb)) (local.get $hrp)
        (call $at (local.get $hs) (i32.add (local.get $base) (local.get $B)) (local.get $hb))
        (i32.const 0) (i32.mul (local.get $rows) (local.get $H)) (local.get $relu))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (if (local.get $prog) (then (i32.atomic.store (local.get $prog) (local.get $t))))
      (br $steps))))

  ;; Backward windows. With $probe, only the last step's dy enters (‖∂L_T/∂h_t‖, fusedLayers.ts)
  ;; and the pre-activation gradients go to the [B, ...] scratch `d` instead of the window tensor.
  ;; dhm and the carried state (dc / carry) are scratch [B, H], zeroed here; `zero` is a scratch
  ;; [B, H] zeroed here too (the probe's dy for t < T-1). sq, when not 0, gets sum(dh^2) per step.
  (func $dyAt (param $dy i32) (param $zero i32) (param $t i32) (param $T i32) (param $base i32)
    (param $r0 i32) (param $hb i32) (param $probe i32) (result i32)
    (if (result i32) (i32.and (local.get $probe) (i32.lt_u (i32.add (local.get $t) (i32.const 1)) (local.get $T)))
      (then (call $at (local.get $zero) (local.get $r0) (local.get $hb)))
      (else (call $at (local.get $dy) (local.get $base) (local.get $hb)))))

  (func $zeroRows (param $p i32) (param $r0 i32) (param $rows i32) (param $hb i32)
    (memory.fill (call $at (local.get $p) (local.get $r0) (local.get $hb)) (i32.const 0)
      (i32.mul (local.get $rows) (local.get $hb))))

  (func (export "lstm_bwd_seq")
    (param $gates i32) (param $cs i32) (param $dy i32) (param $utp i32) (param $d i32)
    (param $dhm i32) (param $dc i32) (param $zero i32) (param $sq i32) (param $T i32) (param $B i32)
    (param $r0 i32) (param $r1 i32) (param $H i32) (param $probe i32) (param $prog i32)
    (local $t i32) (local $base i32) (local $rows i32) (local $hb i32) (local $gbt i32)
    (local $dp i32) (local $dhmp i32) (local $s f32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gbt (i32.shl (local.get $hb) (i32.const 2)))
    (local.set $dhmp (call $at (local.get $dhm) (local.get $r0) (local.get $hb)))
    (call $zeroRows (local.get $dhm) (local.get $r0) (local.get $rows) (local.get $hb))
    (call $zeroRows (local.get $dc) (local.get $r0) (local.get $rows) (local.get $hb))
    (call $zeroRows (local.get $zero) (local.get $r0) (local.get $rows) (local.get $hb))
    (local.set $t (local.get $T))
    (block $done (loop $steps
      (br_if $done (i32.eqz (local.get $t)))
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (local.set $base (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $r0)))
      (local.set $dp (call $at (local.get $d)
        (if (result i32) (local.get $probe) (then (local.get $r0)) (else (local.get $base))) (local.get $gbt)))
      (local.set $s (call $lstm_bwd (call $at (local.get $gates) (local.get $base) (local.get $gbt))
        (call $at (local.get $cs) (local.get $base) (local.get $hb))
        (call $at (local.get $cs) (i32.add (local.get $base) (local.get $B)) (local.get $hb))
        (call $dyAt (local.get $dy) (local.get $zero) (local.get $t) (local.get $T) (local.get $base)
          (local.get $r0) (local.get $hb) (local.get $probe))
        (local.get $dhmp) (call $at (local.get $dc) (local.get $r0) (local.get $hb))
        (local.get $dp) (i32.const 0) (local.get $rows) (local.get $H)))
      (if (local.get $sq) (then (f32.store (call $at (local.get $sq) (local.get $t) (i32.const 4)) (local.get $s))))
      (if (local.get $t) (then
        (call $gemm (local.get $dp) (local.get $gbt) (i32.const 4) (local.get $utp) (i32.const 64) (i32.shl (local.get $H) (i32.const 8))
          (local.get $dhmp)
          (local.get $hb) (local.get $rows) (i32.shl (local.get $H) (i32.const 2)) (local.get $H)
          (i32.const 0) (i32.const 0) (call $panels (local.get $H)))))
      (if (local.get $prog) (then (i32.atomic.store (local.get $prog) (i32.sub (local.get $T) (local.get $t)))))
      (br $steps))))

  (func (export "gru_bwd_seq")
    (param $gates i32) (param $hs i32) (param $dy i32) (param $utp i32) (param $dxw i32)
    (param $d i32) (param $dhm i32) (param $carry i32) (param $zero i32) (param $sq i32)
    (param $T i32) (param $B i32) (param $r0 i32) (param $r1 i32) (param $H i32) (param $probe i32)
    (param $prog i32)
    (local $t i32) (local $base i32) (local $rows i32) (local $hb i32) (local $g3 i32)
    (local $dp i32) (local $dhmp i32) (local $s f32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $g3 (i32.mul (local.get $hb) (i32.const 3)))
    (local.set $dhmp (call $at (local.get $dhm) (local.get $r0) (local.get $hb)))
    (call $zeroRows (local.get $dhm) (local.get $r0) (local.get $rows) (local.get $hb))
    (call $zeroRows (local.get $carry) (local.get $r0) (local.get $rows) (local.get $hb))
    (call $zeroRows (local.get $zero) (local.get $r0) (local.get $rows) (local.get $hb))
    (local.set $t (local.get $T))
    (block $done (loop $steps
      (br_if $done (i32.eqz (local.get $t)))
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (local.set $base (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $r0)))
      (local.set $dp (call $at (local.get $d)
        (if (result i32) (local.get $probe) (then (local.get $r0)) (else (local.get $base))) (local.get $g3)))
      (local.set $s (call $gru_bwd (call $at (local.get $gates) (local.get $base) (i32.shl (local.get $hb) (i32.const 2)))
        (call $at (local.get $hs) (local.get $base) (local.get $hb))
        (call $dyAt (local.get $dy) (local.get $zero) (local.get $t) (local.get $T) (local.get $base)
          (local.get $r0) (local.get $hb) (local.get $probe))
        (local.get $dhmp) (call $at (local.get $carry) (local.get $r0) (local.get $hb))
        (if (result i32) (local.get $probe) (then (i32.const 0))
          (else (call $at (local.get $dxw) (local.get $base) (local.get $g3))))
        (local.get $dp) (i32.const 0) (local.get $rows) (local.get $H)))
      (if (local.get $sq) (then (f32.store (call $at (local.get $sq) (local.get $t) (i32.const 4)) (local.get $s))))
      (if (local.get $t) (then
        (call $gemm (local.get $dp) (local.get $g3) (i32.const 4) (local.get $utp) (i32.const 64) (i32.mul (local.get $H) (i32.const 192))
          (local.get $dhmp)
          (local.get $hb) (local.get $rows) (i32.mul (local.get $H) (i32.const 3)) (local.get $H)
          (i32.const 0) (i32.const 0) (call $panels (local.get $H)))))
      (if (local.get $prog) (then (i32.atomic.store (local.get $prog) (i32.sub (local.get $T) (local.get $t)))))
      (br $steps))))

  (func (export "rnn_bwd_seq")
    (param $hs i32) (param $dy i32) (param $utp i32) (param $d i32) (param $dhm i32)
    (param $zero i32) (param $sq i32) (param $T i32) (param $B i32) (param $r0 i32) (param $r1 i32)
    (param $H i32) (param $relu i32) (param $probe i32) (param $prog i32)
    (local $t i32) (local $base i32) (local $rows i32) (local $hb i32)
    (local $dp i32) (local $dhmp i32) (local $s f32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $dhmp (call $at (local.get $dhm) (local.get $r0) (local.get $hb)))
    (call $zeroRows (local.get $dhm) (local.get $r0) (local.get $rows) (local.get $hb))
    (call $zeroRows (local.get $zero) (local.get $r0) (local.get $rows) (local.get $hb))
    (local.set $t (local.get $T))
    (block $done (loop $steps
      (br_if $done (i32.eqz (local.get $t)))
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (local.set $base (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $r0)))
      (local.set $dp (call $at (local.get $d)
        (if (result i32) (local.get $probe) (then (local.get $r0)) (else (local.get $base))) (local.get $hb)))
      (local.set $s (call $rnn_bwd (call $at (local.get $hs) (i32.add (local.get $base) (local.get $B)) (local.get $hb))
        (call $dyAt (local.get $dy) (local.get $zero) (local.get $t) (local.get $T) (local.get $base)
          (local.get $r0) (local.get $hb) (local.get $probe))
        (local.get $dhmp) (local.get $dp) (i32.const 0) (i32.mul (local.get $rows) (local.get $H)) (local.get $relu)))
      (if (local.get $sq) (then (f32.store (call $at (local.get $sq) (local.get $t) (i32.const 4)) (local.get $s))))
      (if (local.get $t) (then
        (call $gemm (local.get $dp) (local.get $hb) (i32.const 4) (local.get $utp) (i32.const 64) (i32.shl (local.get $H) (i32.const 6))
          (local.get $dhmp)
          (local.get $hb) (local.get $rows) (local.get $H) (local.get $H)
          (i32.const 0) (i32.const 0) (call $panels (local.get $H)))))
      (if (local.get $prog) (then (i32.atomic.store (local.get $prog) (i32.sub (local.get $T) (local.get $t)))))
      (br $steps))))

  ;; ---- The first layer's input projection folded with the embedding ----
  ;; out[r] = table[ids[r]] for n rows of `width` floats (width a multiple of 4).
  (func (export "gather_rows") (param $table i32) (param $ids i32) (param $out i32) (param $n i32)
    (param $width i32)
    (local $r i32) (local $s i32) (local $d i32) (local $o i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $width) (i32.const 2)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $s (call $at (local.get $table)
        (i32.load (i32.add (local.get $ids) (i32.shl (local.get $r) (i32.const 2)))) (local.get $bytes)))
      (local.set $d (call $at (local.get $out) (local.get $r) (local.get $bytes)))
      (memory.copy (local.get $d) (local.get $s) (local.get $bytes))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; dst[ids[r]] += src[r] for n rows of `width` floats; dst must start zeroed.
  (func (export "scatter_add_rows") (param $src i32) (param $ids i32) (param $dst i32) (param $n i32)
    (param $width i32)
    (local $r i32) (local $s i32) (local $d i32) (local $o i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $width) (i32.const 2)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $s (call $at (local.get $src) (local.get $r) (local.get $bytes)))
      (local.set $d (call $at (local.get $dst)
        (i32.load (i32.add (local.get $ids) (i32.shl (local.get $r) (i32.const 2)))) (local.get $bytes)))
      (local.set $o (i32.const 0))
      (block $rowDone (loop $vecs
        (br_if $rowDone (i32.ge_u (local.get $o) (local.get $bytes)))
        (v128.store (i32.add (local.get $d) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $d) (local.get $o)))
            (v128.load (i32.add (local.get $s) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vecs)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; dst [C, R] = transpose of src [R, C], both multiples of 4, in 4x4 blocks. Down the rows
  ;; first, so each destination row is written in order; the TF.js wasm Transpose took 3.8 ms for
  ;; [2048, 256] and a tiled JS copy 2.6 ms.
  (func (export "transpose") (param $src i32) (param $dst i32) (param $R i32) (param $C i32)
    (local $r i32) (local $c i32) (local $s i32) (local $d i32) (local $rs i32) (local $ds i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    (local.set $ds (i32.shl (local.get $R) (i32.const 2)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $r (i32.const 0))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
        (local.set $s (i32.add (local.get $src)
          (i32.shl (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)) (i32.const 2))))
        (local.set $a0 (v128.load (local.get $s)))
        (local.set $a1 (v128.load (i32.add (local.get $s) (local.get $rs))))
        (local.set $a2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $rs) (i32.const 1)))))
        (local.set $a3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $rs) (i32.const 3)))))
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3)))
        (local.set $d (i32.add (local.get $dst)
          (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $r)) (i32.const 2))))
        (v128.store (local.get $d)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (local.get $ds))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (i32.shl (local.get $ds) (i32.const 1)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $d) (i32.mul (local.get $ds) (i32.const 3)))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rl)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $cl))))

  ;; ---- The output head ----
  ;; Softmax cross-entropy of logits + bias [N, V] against labels (each in [0, V)): writes
  ;; dlogits = (softmax - onehot) * scale and, per row, stats[2r] = sum(exp(z - max)) and
  ;; stats[2r + 1] = max - z_label, so that the row's loss is log(stats[2r]) + stats[2r + 1]
  ;; (the log is taken by the caller). Replaces about ten TF.js ops over [N, V] each way.
  (func (export "softmax_xent") (param $logits i32) (param $bias i32) (param $labels i32)
    (param $d i32) (param $stats i32) (param $N i32) (param $V i32) (param $scale f32)
    (local $r i32) (local $j i32) (local $row i32) (local $drow i32) (local $label i32)
    (local $m f32) (local $z f32) (local $s f32) (local $acc v128) (local $e v128) (local $inv f32)
    (local $v4 i32)
    (local.set $v4 (i32.and (local.get $V) (i32.const -4)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $N)))
      (local.set $row (call $at (local.get $logits) (local.get $r) (i32.shl (local.get $V) (i32.const 2))))
      (local.set $drow (call $at (local.get $d) (local.get $r) (i32.shl (local.get $V) (i32.const 2))))
      (local.set $label (i32.load (i32.add (local.get $labels) (i32.shl (local.get $r) (i32.const 2)))))
      ;; z = logits + bias into d; m = max z
      (local.set $m (f32.const -inf))
      (local.set $j (i32.const 0))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_u (local.get $j) (local.get $V)))
        (local.set $z (f32.add (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
          (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
        (f32.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))) (local.get $z))
        (local.set $m (f32.max (local.get $m) (local.get $z)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $zl)))
      (f32.store offset=4 (call $at (local.get $stats) (local.get $r) (i32.const 8))
        (f32.sub (local.get $m)
          (f32.load (i32.add (local.get $drow) (i32.shl (local.get $label) (i32.const 2))))))
      ;; e = exp(z - m) in place, four at a time, then the tail one lane at a time
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $ed (loop $el
        (br_if $ed (i32.ge_u (local.get $j) (local.get $v4)))
        (local.set $e (call $exp4 (f32x4.sub
          (v128.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))))
          (f32x4.splat (local.get $m)))))
        (v128.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))) (local.get $e))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $el)))
      (local.set $s (call $hsum (local.get $acc)))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $j) (local.get $V)))
        (local.set $z (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.sub
          (f32.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))))
          (local.get $m))))))
        (f32.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))) (local.get $z))
        (local.set $s (f32.add (local.get $s) (local.get $z)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tl)))
      (f32.store (call $at (local.get $stats) (local.get $r) (i32.const 8)) (local.get $s))
      ;; d = e / s * scale, minus scale at the label
      (local.set $inv (f32.div (local.get $scale) (local.get $s)))
      (local.set $j (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $j) (local.get $V)))
        (f32.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2)))
          (f32.mul (f32.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2)))) (local.get $inv)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sl)))
      (local.set $row (i32.add (local.get $drow) (i32.shl (local.get $label) (i32.const 2))))
      (f32.store (local.get $row) (f32.sub (f32.load (local.get $row)) (local.get $scale)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; Label-smoothed softmax cross-entropy with padded rows (the translator's loss): as
  ;; softmax_xent against the target (1 - eps) onehot + eps / V, so dlogits = (softmax - target)
  ;; * scale, and per row stats[3r] = sum(exp(z - max)), stats[3r + 1] = max - z_label,
  ;; stats[3r + 2] = max - mean(z): the row's loss is log(s) + (1 - eps) stats1 + eps stats2.
  ;; A row whose label is negative (padding) gets dlogits 0 and stats (1, 0, 0): no loss, no gradient.
  (func (export "softmax_xent_smooth") (param $logits i32) (param $bias i32) (param $labels i32)
    (param $d i32) (param $stats i32) (param $N i32) (param $V i32) (param $scale f32) (param $eps f32)
    (local $r i32) (local $j i32) (local $row i32) (local $drow i32) (local $label i32) (local $st i32)
    (local $m f32) (local $z f32) (local $s f32) (local $zsum f32) (local $acc v128) (local $e v128)
    (local $inv v128) (local $u v128) (local $v4 i32) (local $rowBytes i32)
    (local.set $v4 (i32.and (local.get $V) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $V) (i32.const 2)))
    (local.set $u (f32x4.splat (f32.div (f32.mul (local.get $scale) (local.get $eps))
      (f32.convert_i32_u (local.get $V)))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $N)))
      (local.set $row (call $at (local.get $logits) (local.get $r) (local.get $rowBytes)))
      (local.set $drow (call $at (local.get $d) (local.get $r) (local.get $rowBytes)))
      (local.set $st (call $at (local.get $stats) (local.get $r) (i32.const 12)))
      (local.set $label (i32.load (i32.add (local.get $labels) (i32.shl (local.get $r) (i32.const 2)))))
      (if (i32.lt_s (local.get $label) (i32.const 0))
        (then
          (memory.fill (local.get $drow) (i32.const 0) (local.get $rowBytes))
          (f32.store (local.get $st) (f32.const 1))
          (f32.store offset=4 (local.get $st) (f32.const 0))
          (f32.store offset=8 (local.get $st) (f32.const 0)))
        (else
          ;; z = logits + bias into d; m = max z; zsum = sum z
          (local.set $m (f32.const -inf))
          (local.set $zsum (f32.const 0))
          (local.set $j (i32.const 0))
          (block $zd (loop $zl
            (br_if $zd (i32.ge_u (local.get $j) (local.get $V)))
            (local.set $z (f32.add (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
              (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
            (f32.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))) (local.get $z))
            (local.set $m (f32.max (local.get $m) (local.get $z)))
            (local.set $zsum (f32.add (local.get $zsum) (local.get $z)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $zl)))
          (f32.store offset=4 (local.get $st) (f32.sub (local.get $m)
            (f32.load (i32.add (local.get $drow) (i32.shl (local.get $label) (i32.const 2))))))
          (f32.store offset=8 (local.get $st) (f32.sub (local.get $m)
            (f32.div (local.get $zsum) (f32.convert_i32_u (local.get $V)))))
          ;; e = exp(z - m) in place, four at a time, then the tail one lane at a time
          (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $j (i32.const 0))
          (block $ed (loop $el
            (br_if $ed (i32.ge_u (local.get $j) (local.get $v4)))
            (local.set $e (call $exp4 (f32x4.sub
              (v128.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))))
              (f32x4.splat (local.get $m)))))
            (v128.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))) (local.get $e))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $el)))
          (local.set $s (call $hsum (local.get $acc)))
          (block $td (loop $tl
            (br_if $td (i32.ge_u (local.get $j) (local.get $V)))
            (local.set $z (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.sub
              (f32.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))))
              (local.get $m))))))
            (f32.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))) (local.get $z))
            (local.set $s (f32.add (local.get $s) (local.get $z)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tl)))
          (f32.store (local.get $st) (local.get $s))
          ;; d = e / s * scale - eps scale / V, then minus (1 - eps) scale at the label
          (local.set $inv (f32x4.splat (f32.div (local.get $scale) (local.get $s))))
          (local.set $j (i32.const 0))
          (block $sd (loop $sl
            (br_if $sd (i32.ge_u (local.get $j) (local.get $v4)))
            (v128.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2)))
              (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))))
                (local.get $inv)) (local.get $u)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $sl)))
          (block $sd1 (loop $sl1
            (br_if $sd1 (i32.ge_u (local.get $j) (local.get $V)))
            (f32.store (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2)))
              (f32.sub (f32.mul (f32.load (i32.add (local.get $drow) (i32.shl (local.get $j) (i32.const 2))))
                (f32x4.extract_lane 0 (local.get $inv))) (f32x4.extract_lane 0 (local.get $u))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $sl1)))
          (local.set $row (i32.add (local.get $drow) (i32.shl (local.get $label) (i32.const 2))))
          (f32.store (local.get $row) (f32.sub (f32.load (local.get $row))
            (f32.mul (local.get $scale) (f32.sub (f32.const 1) (local.get $eps)))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; ---- Attention's batched products (K a multiple of 4; attention's K is the hidden size) ----
  ;; out[z] = a[z] b[z]^T for nb pairs, a [M, K], b [N, K], out [M, N]: dot products along K,
  ;; contiguous in both. XNNPACK's batched matMul ran these [20, 128] x [128, 20] shapes at about
  ;; 1 GFLOP/s.
  (func (export "bmm_abt") (param $a i32) (param $b i32) (param $out i32) (param $nb i32)
    (param $M i32) (param $N i32) (param $K i32)
    (local $z i32) (local $i i32) (local $j i32) (local $o i32) (local $kb i32)
    (local $pa i32) (local $pb i32) (local $acc v128)
    (local.set $kb (i32.shl (local.get $K) (i32.const 2)))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $z) (local.get $nb)))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $pa (i32.add (local.get $a)
          (i32.mul (i32.add (i32.mul (local.get $z) (local.get $M)) (local.get $i)) (local.get $kb))))
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
          (local.set $pb (i32.add (local.get $b)
            (i32.mul (i32.add (i32.mul (local.get $z) (local.get $N)) (local.get $j)) (local.get $kb))))
          (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $o (i32.const 0))
          (block $kd (loop $kl
            (br_if $kd (i32.ge_u (local.get $o) (local.get $kb)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
              (v128.load (i32.add (local.get $pa) (local.get $o)))
              (v128.load (i32.add (local.get $pb) (local.get $o))))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $kl)))
          (f32.store (local.get $out) (call $hsum (local.get $acc)))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $z (i32.add (local.get $z) (i32.const 1)))
      (br $zl))))

  ;; out[z] = a[z] b[z] for nb pairs, a [M, N] (with transA given as a^T [N, M], read in place),
  ;; b [N, K], out [M, K]: each output row a sum of b's rows scaled by a's entries.
  (func (export "bmm_ab") (param $a i32) (param $b i32) (param $out i32) (param $nb i32)
    (param $M i32) (param $N i32) (param $K i32) (param $transA i32)
    (local $z i32) (local $i i32) (local $j i32) (local $o i32) (local $kb i32)
    (local $pa i32) (local $pb i32) (local $po i32) (local $sv v128)
    (local.set $kb (i32.shl (local.get $K) (i32.const 2)))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $z) (local.get $nb)))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $po (i32.add (local.get $out)
          (i32.mul (i32.add (i32.mul (local.get $z) (local.get $M)) (local.get $i)) (local.get $kb))))
        (memory.fill (local.get $po) (i32.const 0) (local.get $kb))
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
          (local.set $pa (i32.add (local.get $a) (i32.shl (i32.add
            (i32.mul (i32.mul (local.get $z) (local.get $M)) (local.get $N))
            (select
              (i32.add (i32.mul (local.get $j) (local.get $M)) (local.get $i))
              (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j))
              (local.get $transA))) (i32.const 2))))
          (local.set $sv (v128.load32_splat (local.get $pa)))
          (local.set $pb (i32.add (local.get $b)
            (i32.mul (i32.add (i32.mul (local.get $z) (local.get $N)) (local.get $j)) (local.get $kb))))
          (local.set $o (i32.const 0))
          (block $kd (loop $kl
            (br_if $kd (i32.ge_u (local.get $o) (local.get $kb)))
            (v128.store (i32.add (local.get $po) (local.get $o)) (f32x4.add
              (v128.load (i32.add (local.get $po) (local.get $o)))
              (f32x4.mul (local.get $sv) (v128.load (i32.add (local.get $pb) (local.get $o))))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $kl)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $z (i32.add (local.get $z) (i32.const 1)))
      (br $zl))))

  ;; dst[j] = sum over i of src[i][j], for a row-major [rows, cols] src with cols a multiple of 4:
  ;; a bias gradient. ones·m through XNNPACK took ~10 ms for [2048, 768], because it packs its
  ;; right-hand side (a new tensor every step) on each call.
  (func (export "col_sums") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $o i32) (local $bytes i32) (local $s i32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (memory.fill (local.get $dst) (i32.const 0) (local.get $bytes))
    (block $done (loop $rowsL
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (call $at (local.get $src) (local.get $r) (local.get $bytes)))
      (local.set $o (i32.const 0))
      (block $rd (loop $vl
        (br_if $rd (i32.ge_u (local.get $o) (local.get $bytes)))
        (v128.store (i32.add (local.get $dst) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $o)))
            (v128.load (i32.add (local.get $s) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsL))))

  ;; ---- The optimizer ----
  ;; sum(x^2) over n floats (a gradient's squared norm, for clipping and the per-layer norms).
  (func (export "sum_squares") (param $p i32) (param $n i32) (result f64)
    (local $i i32) (local $n4 i32) (local $acc v128) (local $x v128) (local $s f64) (local $f f32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $vl
      (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $x (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x) (local.get $x))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vl)))
    (local.set $s (f64.promote_f32 (call $hsum (local.get $acc))))
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $f (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.mul (local.get $f) (local.get $f)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tl)))
    (local.get $s))

  ;; One Adam step for n floats, in exactly the f32 operations (and order) of Optimizer's TF.js
  ;; ops, so that results are the same bits: m' = m b1 + g c1; v' = v b2 + g^2 c2;
  ;; p' = p - (m' / (sqrt(v') / bc2 + eps)) step, then p' - p wd when wd is not 0. Writes p', m',
  ;; v' to po, mo, vo (new tensors: TF.js variables may share their buffers).
  (func $adam4 (param $p v128) (param $g v128) (param $m v128) (param $v v128)
    (param $b1 v128) (param $c1 v128) (param $b2 v128) (param $c2 v128) (param $bc2 v128)
    (param $step v128) (param $eps v128) (param $wd v128) (param $hasWd i32)
    (param $po i32) (param $mo i32) (param $vo i32)
    (local $m2 v128) (local $v2 v128) (local $p2 v128)
    (local.set $m2 (f32x4.add (f32x4.mul (local.get $m) (local.get $b1)) (f32x4.mul (local.get $g) (local.get $c1))))
    (local.set $v2 (f32x4.add (f32x4.mul (local.get $v) (local.get $b2))
      (f32x4.mul (f32x4.mul (local.get $g) (local.get $g)) (local.get $c2))))
    (local.set $p2 (f32x4.sub (local.get $p)
      (f32x4.mul (f32x4.div (local.get $m2)
        (f32x4.add (f32x4.div (f32x4.sqrt (local.get $v2)) (local.get $bc2)) (local.get $eps)))
        (local.get $step))))
    (if (local.get $hasWd) (then
      (local.set $p2 (f32x4.sub (local.get $p2) (f32x4.mul (local.get $p) (local.get $wd))))))
    (v128.store (local.get $po) (local.get $p2))
    (v128.store (local.get $mo) (local.get $m2))
    (v128.store (local.get $vo) (local.get $v2)))

  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $po i32) (param $mo i32)
    (param $vo i32) (param $n i32) (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $bc2 f32) (param $step f32) (param $eps f32) (param $wd f32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $hasWd i32) (local $t v128)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $BC2 v128)
    (local $S v128) (local $E v128) (local $W v128)
    (local.set $hasWd (f32.ne (local.get $wd) (f32.const 0)))
    (local.set $B1 (f32x4.splat (local.get $b1))) (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2))) (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $BC2 (f32x4.splat (local.get $bc2))) (local.set $S (f32x4.splat (local.get $step)))
    (local.set $E (f32x4.splat (local.get $eps))) (local.set $W (f32x4.splat (local.get $wd)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (block $done (loop $vl
      (br_if $done (i32.ge_u (local.get $o) (local.get $end4)))
      (call $adam4 (v128.load (i32.add (local.get $p) (local.get $o))) (v128.load (i32.add (local.get $g) (local.get $o)))
        (v128.load (i32.add (local.get $m) (local.get $o))) (v128.load (i32.add (local.get $v) (local.get $o)))
        (local.get $B1) (local.get $C1) (local.get $B2) (local.get $C2) (local.get $BC2) (local.get $S)
        (local.get $E) (local.get $W) (local.get $hasWd)
        (i32.add (local.get $po) (local.get $o)) (i32.add (local.get $mo) (local.get $o)) (i32.add (local.get $vo) (local.get $o)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vl)))
    ;; the tail one float at a time, the same operations on scalars
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $o) (local.get $end)))
      (call $adam1 (i32.add (local.get $p) (local.get $o)) (i32.add (local.get $g) (local.get $o))
        (i32.add (local.get $m) (local.get $o)) (i32.add (local.get $v) (local.get $o))
        (i32.add (local.get $po) (local.get $o)) (i32.add (local.get $mo) (local.get $o))
        (i32.add (local.get $vo) (local.get $o))
        (local.get $b1) (local.get $c1) (local.get $b2) (local.get $c2) (local.get $bc2)
        (local.get $step) (local.get $eps) (local.get $wd) (local.get $hasWd))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $tl))))

  (func $adam1 (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $po i32)
    (param $mo i32) (param $vo i32) (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $bc2 f32) (param $step f32) (param $eps f32) (param $wd f32) (param $hasWd i32)
    (local $gv f32) (local $m2 f32) (local $v2 f32) (local $p2 f32)
    (local.set $gv (f32.load (local.get $g)))
    (local.set $m2 (f32.add (f32.mul (f32.load (local.get $m)) (local.get $b1)) (f32.mul (local.get $gv) (local.get $c1))))
    (local.set $v2 (f32.add (f32.mul (f32.load (local.get $v)) (local.get $b2))
      (f32.mul (f32.mul (local.get $gv) (local.get $gv)) (local.get $c2))))
    (local.set $p2 (f32.sub (f32.load (local.get $p))
      (f32.mul (f32.div (local.get $m2)
        (f32.add (f32.div (f32.sqrt (local.get $v2)) (local.get $bc2)) (local.get $eps)))
        (local.get $step))))
    (if (local.get $hasWd) (then
      (local.set $p2 (f32.sub (local.get $p2) (f32.mul (f32.load (local.get $p)) (local.get $wd))))))
    (f32.store (local.get $po) (local.get $p2))
    (f32.store (local.get $mo) (local.get $m2))
    (f32.store (local.get $vo) (local.get $v2)))
)
