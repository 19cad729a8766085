;; The sums that rank an inspection's units by their correlation with text features (see
;; src/engine/inspect/unitSums.ts), in 128-bit WebAssembly SIMD with double-precision sums.
;; Built into unitSumsKernelWasm.ts by scripts/build-kernel.mjs (npm run build:kernel).
;;
;; A float32 is promoted to a double; products of two of them, and of one and a position < 2^29,
;; are exact. Pointers are byte offsets aligned to 16; $hp, the floats per row, is a multiple of 4.
(module
  (import "env" "memory" (memory 1))

  ;; The segments of rows [$t0, $t1) of the schedule at $sc (unitSums.ts's SumPlan; it starts at a
  ;; segment, and a segment ends at $t1), x's row $t0 at $x: each segment's rows are added to the
  ;; running sums s, s2 and st; s is copied to mark m's row (at $marked + 8·m·$hp) where the
  ;; segment ends at a mark; then each run end there adds alpha·s (+ beta·st) to its feature's dot
  ;; (feature k's at $dot + 8·k·$hp). Returns where the schedule goes on.
  (func (export "run") (param $x i32) (param $t0 i32) (param $t1 i32) (param $hp i32) (param $sc i32)
    (param $s i32) (param $s2 i32) (param $st i32) (param $dot i32) (param $marked i32) (result i32)
    (local $from i32) (local $to i32) (local $mark i32) (local $events i32) (local $d i32) (local $beta f64)
    (local $i i32)
    (local.set $from (local.get $t0))
    (block $done (loop $segments
      (br_if $done (i32.ge_u (local.get $from) (local.get $t1)))
      (local.set $to (i32.trunc_f64_s (f64.load (local.get $sc))))
      (local.set $mark (i32.trunc_f64_s (f64.load offset=8 (local.get $sc))))
      (local.set $events (i32.trunc_f64_s (f64.load offset=16 (local.get $sc))))
      (local.set $sc (i32.add (local.get $sc) (i32.const 24)))
      (call $sum_rows
        (i32.add (local.get $x) (i32.shl (i32.mul (i32.sub (local.get $from) (local.get $t0)) (local.get $hp)) (i32.const 2)))
        (i32.sub (local.get $to) (local.get $from)) (local.get $hp) (f64.convert_i32_s (local.get $from))
        (local.get $s) (local.get $s2) (local.get $st))
      (if (i32.ge_s (local.get $mark) (i32.const 0)) (then
        (local.set $d (i32.add (local.get $marked) (i32.shl (i32.mul (local.get $mark) (local.get $hp)) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $copied (loop $copy
          (br_if $copied (i32.ge_u (local.get $i) (i32.shl (local.get $hp) (i32.const 3))))
          (v128.store (i32.add (local.get $d) (local.get $i)) (v128.load (i32.add (local.get $s) (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $copy)))))
      (block $events_done (loop $run_ends
        (br_if $events_done (i32.eqz (local.get $events)))
        (local.set $d (i32.add (local.get $dot)
          (i32.shl (i32.mul (i32.trunc_f64_s (f64.load (local.get $sc))) (local.get $hp)) (i32.const 3))))
        (local.set $beta (f64.load offset=16 (local.get $sc)))
        (if (f64.eq (local.get $beta) (f64.const 0))
          (then (call $add_scaled (local.get $d) (local.get $s) (f64.load offset=8 (local.get $sc)) (local.get $hp)))
          (else (call $add_scaled2 (local.get $d) (local.get $s) (local.get $st)
            (f64.load offset=8 (local.get $sc)) (local.get $beta) (local.get $hp))))
        (local.set $sc (i32.add (local.get $sc) (i32.const 24)))
        (local.set $events (i32.sub (local.get $events) (i32.const 1)))
        (br $run_ends)))
      (local.set $from (local.get $to))
      (br $segments)))
    (local.get $sc))

  ;; For each column j of the rows [0, $rows) at $x (row r is position $t0 + r): adds the column's
  ;; sum, sum of squares and sum of position × value, each summed over the rows first, to the
  ;; doubles s[j], s2[j] and st[j].
  (func $sum_rows (param $x i32) (param $rows i32) (param $hp i32) (param $t0 f64)
    (param $s i32) (param $s2 i32) (param $st i32)
    (local $j i32) (local $p i32) (local $end i32) (local $row i32) (local $t v128)
    (local $v v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $q0 v128) (local $q1 v128) (local $m0 v128) (local $m1 v128)
    (local.set $row (i32.shl (local.get $hp) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $row))))
    (block $cols_done (loop $cols
      (br_if $cols_done (i32.ge_u (local.get $j) (local.get $hp)))
      (local.set $a0 (v128.const f64x2 0 0)) (local.set $a1 (v128.const f64x2 0 0))
      (local.set $q0 (v128.const f64x2 0 0)) (local.set $q1 (v128.const f64x2 0 0))
      (local.set $m0 (v128.const f64x2 0 0)) (local.set $m1 (v128.const f64x2 0 0))
      (local.set $t (f64x2.splat (local.get $t0)))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $hi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $a0 (f64x2.add (local.get $a0) (local.get $lo)))
        (local.set $a1 (f64x2.add (local.get $a1) (local.get $hi)))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $m0 (f64x2.add (local.get $m0) (f64x2.mul (local.get $t) (local.get $lo))))
        (local.set $m1 (f64x2.add (local.get $m1) (f64x2.mul (local.get $t) (local.get $hi))))
        (local.set $t (f64x2.add (local.get $t) (v128.const f64x2 1 1)))
        (local.set $p (i32.add (local.get $p) (local.get $row)))
        (br $rows)))
      ;; 8 bytes per double: column j's sums are at byte 8j.
      (local.set $p (i32.shl (local.get $j) (i32.const 3)))
      (call $add2 (i32.add (local.get $s) (local.get $p)) (local.get $a0) (local.get $a1))
      (call $add2 (i32.add (local.get $s2) (local.get $p)) (local.get $q0) (local.get $q1))
      (call $add2 (i32.add (local.get $st) (local.get $p)) (local.get $m0) (local.get $m1))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $cols))))

  ;; The four doubles at $at += [$lo, $hi].
  (func $add2 (param $at i32) (param $lo v128) (param $hi v128)
    (v128.store (local.get $at) (f64x2.add (v128.load (local.get $at)) (local.get $lo)))
    (v128.store offset=16 (local.get $at) (f64x2.add (v128.load offset=16 (local.get $at)) (local.get $hi))))

;; At a run end of a feature: its dot += alpha·s over $n doubles (the slope does not change).
  (func $add_scaled (param $dot i32) (param $s i32) (param $alpha f64) (param $n i32)
    (local $i i32) (local $end i32) (local $va v128)
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dot) (local.get $i)) (f64x2.add
        (v128.load (i32.add (local.get $dot) (local.get $i)))
        (f64x2.mul (local.get $va) (v128.load (i32.add (local.get $s) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; The same with a change of slope: dot += alpha·s + beta·st.
  (func $add_scaled2 (param $dot i32) (param $s i32) (param $st i32) (param $alpha f64) (param $beta f64)
    (param $n i32)
    (local $i i32) (local $end i32) (local $va v128) (local $vb v128)
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dot) (local.get $i)) (f64x2.add
        (v128.load (i32.add (local.get $dot) (local.get $i)))
        (f64x2.add
          (f64x2.mul (local.get $va) (v128.load (i32.add (local.get $s) (local.get $i))))
          (f64x2.mul (local.get $vb) (v128.load (i32.add (local.get $st) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))
)
