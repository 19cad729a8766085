;; Matrix-vector products for batch-1 inference (completion), in 128-bit WebAssembly SIMD.
;; Built into inferenceKernelWasm.ts by scripts/build-kernel.mjs (npm run build:kernel); a unit test checks
;; that the committed bytes match this source.
;;
;; The weights are stored in panels of 8 output units: for each group of 4 inputs, the panel holds
;; those 4 inputs' weights for unit 0, then for unit 1, ... unit 7 (32 floats, 128 bytes). The
;; inner loop then reads one x vector and 8 weight vectors at fixed offsets from one pointer, and
;; keeps 8 running sums in registers: no stores until a panel is done. Pointers are byte offsets
;; aligned to 16; n_in is a multiple of 4 and n_out a multiple of 8.
;;
;; The cell functions apply the gate math to the pre-activations zx (input side, bias included)
;; and zh (recurrent side), laid out as G blocks of $stride floats (hidden rounded up to 4); they
;; process $n units (a multiple of 4) from where the pointers start, so two threads can split them.
;; exp uses Cephes' expf polynomial (relative error ~1e-7): calling Math.exp and Math.tanh from JS
;; cost more than the matrix products.
(module
  ;; Shared, so that a second thread can take half of each product (see fastModel.ts).
  (import "env" "memory" (memory 1 65536 shared))

  ;; y[j] += sum_i W[i, j] * x[i] for j in [0, n_out), W in the panel layout above.
  (func $matvec (export "matvec")
    (param $w i32) (param $x i32) (param $y i32) (param $n_in i32) (param $n_out i32)
    (local $x_end i32) (local $xi i32) (local $y_end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $xv v128)
    (local.set $x_end (i32.add (local.get $x) (i32.shl (local.get $n_in) (i32.const 2))))
    (local.set $y_end (i32.add (local.get $y) (i32.shl (local.get $n_out) (i32.const 2))))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $y) (local.get $y_end)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $a4 (v128.const i32x4 0 0 0 0))
        (local.set $a5 (v128.const i32x4 0 0 0 0))
        (local.set $a6 (v128.const i32x4 0 0 0 0))
        (local.set $a7 (v128.const i32x4 0 0 0 0))
        (local.set $xi (local.get $x))
        (loop $cols
          (local.set $xv (v128.load (local.get $xi)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load offset=0 (local.get $w)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load offset=16 (local.get $w)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load offset=32 (local.get $w)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load offset=48 (local.get $w)))))
          (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $xv) (v128.load offset=64 (local.get $w)))))
          (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $xv) (v128.load offset=80 (local.get $w)))))
          (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $xv) (v128.load offset=96 (local.get $w)))))
          (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $xv) (v128.load offset=112 (local.get $w)))))
          (local.set $w (i32.add (local.get $w) (i32.const 128)))
          (local.set $xi (i32.add (local.get $xi) (i32.const 16)))
          (br_if $cols (i32.lt_u (local.get $xi) (local.get $x_end))))
        (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y))
          (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3))))
        (v128.store offset=16 (local.get $y) (f32x4.add (v128.load offset=16 (local.get $y))
          (call $hsum4 (local.get $a4) (local.get $a5) (local.get $a6) (local.get $a7))))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (br $panels))))

;; y0 += W x0 and y1 += W x1 (x1 at x + xs bytes, y1 at y + ys), W in matvec's panel layout,
  ;; four output units at a time: each weight load serves both vectors. Every output is summed
  ;; exactly as matvec sums it, so a token in a pair and a token stepped alone get the same bits.
  ;; Used for a completion's context, where layer l's inputs are all known once layer l-1 has run.
  (func (export "matvec2")
    (param $w i32) (param $x i32) (param $y i32) (param $n_in i32) (param $n_out i32)
    (param $xs i32) (param $ys i32)
    (local $x_end i32) (local $xi i32) (local $y_end i32) (local $wp i32) (local $x1 i32)
    (local $half i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $xv v128) (local $xu v128) (local $wv v128)
    (local.set $x_end (i32.add (local.get $x) (i32.shl (local.get $n_in) (i32.const 2))))
    (local.set $y_end (i32.add (local.get $y) (i32.shl (local.get $n_out) (i32.const 2))))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_u (local.get $y) (local.get $y_end)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $b0 (v128.const i32x4 0 0 0 0))
        (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $b2 (v128.const i32x4 0 0 0 0))
        (local.set $b3 (v128.const i32x4 0 0 0 0))
        ;; units 0-3 of a panel sit at offsets 0-48 of each block, units 4-7 at 64-112
        (local.set $wp (i32.add (local.get $w) (local.get $half)))
        (local.set $xi (local.get $x))
        (loop $cols
          (local.set $xv (v128.load (local.get $xi)))
          (local.set $xu (v128.load (i32.add (local.get $xi) (local.get $xs))))
          (local.set $wv (v128.load offset=0 (local.get $wp)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (local.get $wv))))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $xu) (local.get $wv))))
          (local.set $wv (v128.load offset=16 (local.get $wp)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (local.get $wv))))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $xu) (local.get $wv))))
          (local.set $wv (v128.load offset=32 (local.get $wp)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (local.get $wv))))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $xu) (local.get $wv))))
          (local.set $wv (v128.load offset=48 (local.get $wp)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (local.get $wv))))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $xu) (local.get $wv))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 128)))
          (local.set $xi (i32.add (local.get $xi) (i32.const 16)))
          (br_if $cols (i32.lt_u (local.get $xi) (local.get $x_end))))
        (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y))
          (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3))))
        (v128.store (i32.add (local.get $y) (local.get $ys)) (f32x4.add (v128.load (i32.add (local.get $y) (local.get $ys)))
          (call $hsum4 (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        ;; after the second half of a panel, the next panel
        (if (local.get $half)
          (then
            (local.set $half (i32.const 0))
            (local.set $w (i32.add (local.get $w) (i32.shl (local.get $n_in) (i32.const 5)))))
          (else (local.set $half (i32.const 64))))
        (br $quads))))

  ;; [sum(a) sum(b) sum(c) sum(d)] by two rounds of pairwise adds.
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $t0 v128) (local $t1 v128)
    (local.set $t0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $t1 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))

  ;; @include simdMath.wat

  ;; LSTM (gates i, f, g, o): c = f c + i g; h = o tanh(c). simdMath.wat's sigmoid4 and tanh4 written
  ;; out, the four gates' exps side by side: the same operations in the same order (so the same
  ;; bits; a unit test holds it to a float32 model of them), but with no call per nonlinearity, and
  ;; four independent chains for the CPU to overlap. That took the cell from ~81 to ~55 ms per 5.1 M
  ;; unit updates on Node 20 (~80 to ~60 on Node 24).
  (func (export "lstm_cell") (param $zx i32) (param $zh i32) (param $c i32) (param $h i32) (param $n i32) (param $stride i32)
    (local $end i32) (local $b i32)
    ;; per gate (and c): x, then 1 + e^x; n, r, p: exp4's steps
    (local $xi v128) (local $ni v128) (local $ri v128) (local $pi v128) (local $xf v128) (local $nf v128) (local $rf v128) (local $pf v128) (local $xg v128) (local $ng v128) (local $rg v128) (local $pg v128) (local $xo v128) (local $no v128) (local $ro v128) (local $po v128) (local $xc v128) (local $nc v128) (local $rc v128) (local $pc v128)
    (local.set $b (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $end (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
      ;; x = -z (-2z for g's tanh), clamped to [-87, 87]
      (local.set $xi (f32x4.min (f32x4.max (f32x4.neg (f32x4.add (v128.load (local.get $zx)) (v128.load (local.get $zh)))) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 87 87 87 87)))
      (local.set $xf (f32x4.min (f32x4.max (f32x4.neg (f32x4.add (v128.load (i32.add (local.get $zx) (local.get $b))) (v128.load (i32.add (local.get $zh) (local.get $b))))) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 87 87 87 87)))
      (local.set $xg (f32x4.add
          (v128.load (i32.add (local.get $zx) (i32.shl (local.get $b) (i32.const 1))))
          (v128.load (i32.add (local.get $zh) (i32.shl (local.get $b) (i32.const 1))))))
      (local.set $xg (f32x4.min (f32x4.max (f32x4.neg (f32x4.add (local.get $xg) (local.get $xg))) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 87 87 87 87)))
      (local.set $xo (f32x4.min (f32x4.max (f32x4.neg (f32x4.add
          (v128.load (i32.add (local.get $zx) (i32.mul (local.get $b) (i32.const 3))))
          (v128.load (i32.add (local.get $zh) (i32.mul (local.get $b) (i32.const 3)))))) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 87 87 87 87)))
      ;; n = round(x log2 e), r = x - n ln 2 (in two parts)
      (local.set $ni (f32x4.nearest (f32x4.mul (local.get $xi) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $nf (f32x4.nearest (f32x4.mul (local.get $xf) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $ng (f32x4.nearest (f32x4.mul (local.get $xg) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $no (f32x4.nearest (f32x4.mul (local.get $xo) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $ri (f32x4.sub (f32x4.sub (local.get $xi) (f32x4.mul (local.get $ni) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $ni) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $rf (f32x4.sub (f32x4.sub (local.get $xf) (f32x4.mul (local.get $nf) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $nf) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $rg (f32x4.sub (f32x4.sub (local.get $xg) (f32x4.mul (local.get $ng) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $ng) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $ro (f32x4.sub (f32x4.sub (local.get $xo) (f32x4.mul (local.get $no) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $no) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      ;; the polynomial
      (local.set $pi (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $ri)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $pf (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $rf)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $pg (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $rg)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $po (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $ro)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $pi (f32x4.add (f32x4.mul (local.get $pi) (local.get $ri)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $pf (f32x4.add (f32x4.mul (local.get $pf) (local.get $rf)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $pg (f32x4.add (f32x4.mul (local.get $pg) (local.get $rg)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $po (f32x4.add (f32x4.mul (local.get $po) (local.get $ro)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $pi (f32x4.add (f32x4.mul (local.get $pi) (local.get $ri)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $pf (f32x4.add (f32x4.mul (local.get $pf) (local.get $rf)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $pg (f32x4.add (f32x4.mul (local.get $pg) (local.get $rg)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $po (f32x4.add (f32x4.mul (local.get $po) (local.get $ro)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $pi (f32x4.add (f32x4.mul (local.get $pi) (local.get $ri)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $pf (f32x4.add (f32x4.mul (local.get $pf) (local.get $rf)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $pg (f32x4.add (f32x4.mul (local.get $pg) (local.get $rg)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $po (f32x4.add (f32x4.mul (local.get $po) (local.get $ro)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $pi (f32x4.add (f32x4.mul (local.get $pi) (local.get $ri)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $pf (f32x4.add (f32x4.mul (local.get $pf) (local.get $rf)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $pg (f32x4.add (f32x4.mul (local.get $pg) (local.get $rg)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $po (f32x4.add (f32x4.mul (local.get $po) (local.get $ro)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $pi (f32x4.add (f32x4.add (f32x4.mul (local.get $pi) (f32x4.mul (local.get $ri) (local.get $ri))) (local.get $ri)) (v128.const f32x4 1 1 1 1)))
      (local.set $pf (f32x4.add (f32x4.add (f32x4.mul (local.get $pf) (f32x4.mul (local.get $rf) (local.get $rf))) (local.get $rf)) (v128.const f32x4 1 1 1 1)))
      (local.set $pg (f32x4.add (f32x4.add (f32x4.mul (local.get $pg) (f32x4.mul (local.get $rg) (local.get $rg))) (local.get $rg)) (v128.const f32x4 1 1 1 1)))
      (local.set $po (f32x4.add (f32x4.add (f32x4.mul (local.get $po) (f32x4.mul (local.get $ro) (local.get $ro))) (local.get $ro)) (v128.const f32x4 1 1 1 1)))
      ;; e = p 2^n; then 1 + e, what sigmoid divides by
      (local.set $xi (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $pi)
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $ni)) (i32x4.splat (i32.const 127))) (i32.const 23)))))
      (local.set $xf (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $pf)
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $nf)) (i32x4.splat (i32.const 127))) (i32.const 23)))))
      (local.set $xg (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $pg)
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $ng)) (i32x4.splat (i32.const 127))) (i32.const 23)))))
      (local.set $xo (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $po)
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $no)) (i32x4.splat (i32.const 127))) (i32.const 23)))))
      ;; c = f c + i g, with sigmoid(z) = 1 / (1 + e) and tanh(z) = 2 sigmoid(2z) - 1
      (local.set $xc (f32x4.add (f32x4.mul (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $xf)) (v128.load (local.get $c)))
          (f32x4.mul (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $xi)) (f32x4.sub (f32x4.mul (v128.const f32x4 2 2 2 2) (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $xg))) (v128.const f32x4 1 1 1 1)))))
      (v128.store (local.get $c) (local.get $xc))
      ;; h = o tanh(c): the same for x = -2c
      (local.set $xc (f32x4.min (f32x4.max (f32x4.neg (f32x4.add (local.get $xc) (local.get $xc))) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 87 87 87 87)))
      ;; n = round(x log2 e), r = x - n ln 2 (in two parts)
      (local.set $nc (f32x4.nearest (f32x4.mul (local.get $xc) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $rc (f32x4.sub (f32x4.sub (local.get $xc) (f32x4.mul (local.get $nc) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $nc) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      ;; the polynomial
      (local.set $pc (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $rc)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $pc (f32x4.add (f32x4.mul (local.get $pc) (local.get $rc)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $pc (f32x4.add (f32x4.mul (local.get $pc) (local.get $rc)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $pc (f32x4.add (f32x4.mul (local.get $pc) (local.get $rc)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $pc (f32x4.add (f32x4.mul (local.get $pc) (local.get $rc)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $pc (f32x4.add (f32x4.add (f32x4.mul (local.get $pc) (f32x4.mul (local.get $rc) (local.get $rc))) (local.get $rc)) (v128.const f32x4 1 1 1 1)))
      ;; e = p 2^n; then 1 + e, what sigmoid divides by
      (local.set $xc (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $pc)
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $nc)) (i32x4.splat (i32.const 127))) (i32.const 23)))))
      (v128.store (local.get $h) (f32x4.mul (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $xo))
          (f32x4.sub (f32x4.mul (v128.const f32x4 2 2 2 2) (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $xc))) (v128.const f32x4 1 1 1 1))))
      (local.set $zx (i32.add (local.get $zx) (i32.const 16)))
      (local.set $zh (i32.add (local.get $zh) (i32.const 16)))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (local.set $h (i32.add (local.get $h) (i32.const 16)))
      (br $l))))

  ;; GRU, Keras' reset_after form (gates z, r, n): n = tanh(x_n + r (h_n)); h = n + z (h - n)
  (func (export "gru_cell") (param $zx i32) (param $zh i32) (param $h i32) (param $n_units i32) (param $stride i32)
    (local $end i32) (local $b i32) (local $z v128) (local $r v128) (local $n v128)
    (local.set $b (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $end (i32.add (local.get $h) (i32.shl (local.get $n_units) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
      (local.set $z (call $sigmoid4 (f32x4.add (v128.load (local.get $zx)) (v128.load (local.get $zh)))))
      (local.set $r (call $sigmoid4 (f32x4.add
        (v128.load (i32.add (local.get $zx) (local.get $b))) (v128.load (i32.add (local.get $zh) (local.get $b))))))
      (local.set $n (call $tanh4 (f32x4.add
        (v128.load (i32.add (local.get $zx) (i32.shl (local.get $b) (i32.const 1))))
        (f32x4.mul (local.get $r) (v128.load (i32.add (local.get $zh) (i32.shl (local.get $b) (i32.const 1))))))))
      (v128.store (local.get $h) (f32x4.add (local.get $n)
        (f32x4.mul (local.get $z) (f32x4.sub (v128.load (local.get $h)) (local.get $n)))))
      (local.set $zx (i32.add (local.get $zx) (i32.const 16)))
      (local.set $zh (i32.add (local.get $zh) (i32.const 16)))
      (local.set $h (i32.add (local.get $h) (i32.const 16)))
      (br $l))))

  ;; Vanilla RNN: h = tanh(zx + zh), or relu when $relu is 1
  (func (export "rnn_cell") (param $zx i32) (param $zh i32) (param $h i32) (param $n i32) (param $relu i32)
    (local $end i32) (local $a v128)
    (local.set $end (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
      (local.set $a (f32x4.add (v128.load (local.get $zx)) (v128.load (local.get $zh))))
      (v128.store (local.get $h) (if (result v128) (local.get $relu)
        (then (f32x4.max (local.get $a) (v128.const f32x4 0 0 0 0)))
        (else (call $tanh4 (local.get $a)))))
      (local.set $zx (i32.add (local.get $zx) (i32.const 16)))
      (local.set $zh (i32.add (local.get $zh) (i32.const 16)))
      (local.set $h (i32.add (local.get $h) (i32.const 16)))
      (br $l))))
)
