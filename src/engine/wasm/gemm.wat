;; Matrix products for training, pasted into cellKernel.wat (`;; @include gemm.wat`).
;;
;; Why not TF.js's matMul (XNNPACK): on this kind of machine it ran [32,256]·[256,1024], the
;; per-timestep recurrent product, at ~20 GFLOP/s on one thread and ~25 on two, while this
;; kernel reaches ~35 on one thread, because B is first packed into panels of 16 columns
;; (row-major B with a 4 KB row stride made every k step miss L1 on the same cache sets).
;; Per timestep it also saves a TF.js op and its tensor.
;;
;; Packed B: panel p holds columns 16p..16p+15 as K rows of 16 floats (64 bytes), panels one
;; after another, the last one zero-padded. C tiles are 2 rows x 16 columns: 8 accumulators.
;; N is a multiple of 4 (the last panel stores only its 4-column vectors that exist).

  ;; dst = pack(B) where B[k][n] = src[k*N + n] (B given row-major [K, N]).
  (func (export "pack_rows") (param $src i32) (param $dst i32) (param $K i32) (param $N i32)
    (local $p i32) (local $k i32) (local $nv i32) (local $v i32) (local $s i32) (local $d i32)
    (loop $panels
      ;; vectors of this panel that exist: min(4, (N - 16p) / 4)
      (local.set $nv (i32.shr_u (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 4))) (i32.const 2)))
      (if (i32.gt_u (local.get $nv) (i32.const 4)) (then (local.set $nv (i32.const 4))))
      (local.set $k (i32.const 0))
      (loop $rows
        (local.set $s (i32.add (local.get $src)
          (i32.shl (i32.add (i32.mul (local.get $k) (local.get $N)) (i32.shl (local.get $p) (i32.const 4))) (i32.const 2))))
        (local.set $d (i32.add (local.get $dst)
          (i32.shl (i32.add (i32.mul (local.get $p) (local.get $K)) (local.get $k)) (i32.const 6))))
        (if (i32.eq (local.get $nv) (i32.const 4))
          (then
            (v128.store offset=0 (local.get $d) (v128.load offset=0 (local.get $s)))
            (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $s)))
            (v128.store offset=32 (local.get $d) (v128.load offset=32 (local.get $s)))
            (v128.store offset=48 (local.get $d) (v128.load offset=48 (local.get $s))))
          (else
            (local.set $v (i32.const 0))
            (loop $vecs
              (v128.store (i32.add (local.get $d) (i32.shl (local.get $v) (i32.const 4)))
                (if (result v128) (i32.lt_u (local.get $v) (local.get $nv))
                  (then (v128.load (i32.add (local.get $s) (i32.shl (local.get $v) (i32.const 4)))))
                  (else (v128.const i32x4 0 0 0 0))))
              (br_if $vecs (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 1))) (i32.const 4))))))
        (br_if $rows (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))
      (br_if $panels (i32.lt_u
        (i32.shl (local.tee $p (i32.add (local.get $p) (i32.const 1))) (i32.const 4)) (local.get $N)))))

  ;; dst = pack(B) where B[k][n] = src[n*K + k] (B given as its transpose, row-major [N, K]).
  (func (export "pack_cols") (param $src i32) (param $dst i32) (param $K i32) (param $N i32)
    (local $p i32) (local $k i32) (local $w i32) (local $n i32) (local $d i32)
    (loop $panels
      (local.set $w (i32.const 0))
      (loop $cols
        (local.set $n (i32.add (i32.shl (local.get $p) (i32.const 4)) (local.get $w)))
        (local.set $d (i32.add (local.get $dst)
          (i32.add (i32.shl (i32.mul (local.get $p) (local.get $K)) (i32.const 6)) (i32.shl (local.get $w) (i32.const 2)))))
        (local.set $k (i32.const 0))
        (if (i32.lt_u (local.get $n) (local.get $N))
          (then
            (loop $ks
              (f32.store (i32.add (local.get $d) (i32.shl (local.get $k) (i32.const 6)))
                (f32.load (i32.add (local.get $src)
                  (i32.shl (i32.add (i32.mul (local.get $n) (local.get $K)) (local.get $k)) (i32.const 2)))))
              (br_if $ks (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K)))))
          (else
            (loop $zs
              (f32.store (i32.add (local.get $d) (i32.shl (local.get $k) (i32.const 6))) (f32.const 0))
              (br_if $zs (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $K))))))
        (br_if $cols (i32.lt_u (local.tee $w (i32.add (local.get $w) (i32.const 1))) (i32.const 16))))
      (br_if $panels (i32.lt_u
        (i32.shl (local.tee $p (i32.add (local.get $p) (i32.const 1))) (i32.const 4)) (local.get $N)))))

  ;; Stores (or, with $add, adds to what is there) up to four 4-float vectors at $c.
  (func $put16 (param $c i32) (param $nv i32) (param $add i32)
    (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128)
    (if (local.get $add)
      (then
        (local.set $v0 (f32x4.add (local.get $v0) (v128.load offset=0 (local.get $c))))
        (if (i32.gt_u (local.get $nv) (i32.const 1))
          (then (local.set $v1 (f32x4.add (local.get $v1) (v128.load offset=16 (local.get $c))))))
        (if (i32.gt_u (local.get $nv) (i32.const 2))
          (then (local.set $v2 (f32x4.add (local.get $v2) (v128.load offset=32 (local.get $c))))))
        (if (i32.gt_u (local.get $nv) (i32.const 3))
          (then (local.set $v3 (f32x4.add (local.get $v3) (v128.load offset=48 (local.get $c))))))))
    (v128.store offset=0 (local.get $c) (local.get $v0))
    (if (i32.gt_u (local.get $nv) (i32.const 1)) (then (v128.store offset=16 (local.get $c) (local.get $v1))))
    (if (i32.gt_u (local.get $nv) (i32.const 2)) (then (v128.store offset=32 (local.get $c) (local.get $v2))))
    (if (i32.gt_u (local.get $nv) (i32.const 3)) (then (v128.store offset=48 (local.get $c) (local.get $v3)))))

  ;; C = A B (or C += A B with $add) for the 16-column panels p0 <= p < p1 of B (so that threads
  ;; can split the columns). A[i][k] is at a + i*ars + k*aks (bytes), so A may be a transpose.
  ;; B[k][16p + w] is at bp + p*bps + k*bks + 4w: packed B has bks = 64 and bps = 64 K; a plain
  ;; row-major B has bks = 4 N and bps = 64 (then N must be a multiple of 16, as nothing pads it).
  ;; C[i][n] at c + i*crs + 4n. M, K >= 1.
  (func $gemm (export "gemm")
    (param $a i32) (param $ars i32) (param $aks i32) (param $bp i32) (param $bks i32) (param $bps i32)
    (param $c i32) (param $crs i32)
    (param $M i32) (param $K i32) (param $N i32) (param $add i32) (param $p0 i32) (param $p1 i32)
    (local $p i32) (local $i i32) (local $k i32) (local $nv i32) (local $pa i32) (local $pb i32)
    (local $pc i32) (local $x0 v128) (local $x1 v128) (local $b0 v128) (local $b1 v128)
    (local $b2 v128) (local $b3 v128) (local $c00 v128) (local $c01 v128) (local $c02 v128)
    (local $c03 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local.set $p (local.get $p0))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $p) (local.get $p1)))
        (local.set $nv (i32.shr_u (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 4))) (i32.const 2)))
        (if (i32.gt_u (local.get $nv) (i32.const 4)) (then (local.set $nv (i32.const 4))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $M)))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ars))))
            (local.set $pb (i32.add (local.get $bp) (i32.mul (local.get $p) (local.get $bps))))
            (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $crs)))
              (i32.shl (local.get $p) (i32.const 6))))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c02 (v128.const i32x4 0 0 0 0)) (local.set $c03 (v128.const i32x4 0 0 0 0))
            (local.set $k (local.get $K))
            (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $M))
              (then
                ;; two rows
                (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
                (local.set $c12 (v128.const i32x4 0 0 0 0)) (local.set $c13 (v128.const i32x4 0 0 0 0))
                (loop $ks
                  (local.set $b0 (v128.load offset=0 (local.get $pb)))
                  (local.set $b1 (v128.load offset=16 (local.get $pb)))
                  (local.set $b2 (v128.load offset=32 (local.get $pb)))
                  (local.set $b3 (v128.load offset=48 (local.get $pb)))
                  (local.set $x0 (v128.load32_splat (local.get $pa)))
                  (local.set $x1 (v128.load32_splat (i32.add (local.get $pa) (local.get $ars))))
                  (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (local.get $b0))))
                  (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (local.get $b1))))
                  (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $x0) (local.get $b2))))
                  (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $x0) (local.get $b3))))
                  (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x1) (local.get $b0))))
                  (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x1) (local.get $b1))))
                  (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $x1) (local.get $b2))))
                  (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $x1) (local.get $b3))))
                  (local.set $pa (i32.add (local.get $pa) (local.get $aks)))
                  (local.set $pb (i32.add (local.get $pb) (local.get $bks)))
                  (br_if $ks (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
                (call $put16 (local.get $pc) (local.get $nv) (local.get $add)
                  (local.get $c00) (local.get $c01) (local.get $c02) (local.get $c03))
                (call $put16 (i32.add (local.get $pc) (local.get $crs)) (local.get $nv) (local.get $add)
                  (local.get $c10) (local.get $c11) (local.get $c12) (local.get $c13))
                (local.set $i (i32.add (local.get $i) (i32.const 2))))
              (else
                ;; the last row of an odd M
                (loop $k1
                  (local.set $x0 (v128.load32_splat (local.get $pa)))
                  (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (v128.load offset=0 (local.get $pb)))))
                  (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (v128.load offset=16 (local.get $pb)))))
                  (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $x0) (v128.load offset=32 (local.get $pb)))))
                  (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $x0) (v128.load offset=48 (local.get $pb)))))
                  (local.set $pa (i32.add (local.get $pa) (local.get $aks)))
                  (local.set $pb (i32.add (local.get $pb) (local.get $bks)))
                  (br_if $k1 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
                (call $put16 (local.get $pc) (local.get $nv) (local.get $add)
                  (local.get $c00) (local.get $c01) (local.get $c02) (local.get $c03))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))))
            (br $rows)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $panels))))

  ;; gemm over K in blocks of $kb, so that the slice of a B panel a block needs stays in L1
  ;; (a whole panel is K * 64 bytes: 128 KB for K = 2048) while the row tiles sweep past it.
  ;; Same arguments as gemm, plus $kb. Sums in a different order from one gemm call.
  (func (export "gemm_kb")
    (param $a i32) (param $ars i32) (param $aks i32) (param $bp i32) (param $bks i32) (param $bps i32)
    (param $c i32) (param $crs i32) (param $M i32) (param $K i32) (param $N i32) (param $add i32)
    (param $p0 i32) (param $p1 i32) (param $kb i32)
    (local $k0 i32) (local $n i32)
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $k0) (local.get $K)))
      (local.set $n (i32.sub (local.get $K) (local.get $k0)))
      (if (i32.gt_u (local.get $n) (local.get $kb)) (then (local.set $n (local.get $kb))))
      (call $gemm
        (i32.add (local.get $a) (i32.mul (local.get $k0) (local.get $aks))) (local.get $ars) (local.get $aks)
        (i32.add (local.get $bp) (i32.mul (local.get $k0) (local.get $bks))) (local.get $bks) (local.get $bps)
        (local.get $c) (local.get $crs) (local.get $M) (local.get $n) (local.get $N)
        (i32.or (local.get $add) (i32.ne (local.get $k0) (i32.const 0))) (local.get $p0) (local.get $p1))
      (local.set $k0 (i32.add (local.get $k0) (local.get $kb)))
      (br $blocks))))
