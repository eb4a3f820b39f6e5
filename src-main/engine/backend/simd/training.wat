;; The training passes of the wasm backend in WebAssembly SIMD (four float32
;; lanes per instruction), compiled by WABT at build time (scripts/wat.mjs) and
;; instantiated on tfjs-backend-wasm's own memory (wasm-simd.ts), so each pass
;; reads and writes the tensors where they live: no copy in or out.
;;
;; Every argument named like a tensor is a byte address in that memory. Tensors
;; are channels-last, seen as [rows, channels] with channels a multiple of 4 (the
;; callers fall back to their JS reference otherwise). Per-channel sums are
;; added into float64 accumulators: each tile of TILE_ROWS rows is summed in
;; float32 lanes, then promoted, so rounding stays that of a 32-row sum
;; whatever the batch.

(module
  (import "env" "memory" (memory 1))

  ;; How many rows a float32 partial sum spans before it is added into float64.
  (global $TILE_ROWS i32 (i32.const 32))

  ;; out[c] += lo(v), out[c + 2] += hi(v): four float32 lanes into four float64 accumulators at out.
  (func $accumulate (param $out i32) (param $v v128)
    (v128.store (local.get $out)
      (f64x2.add (v128.load (local.get $out)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $out)
      (f64x2.add (v128.load offset=16 (local.get $out))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; The last row (exclusive) of the tile that starts at row $start.
  (func $tileEnd (param $start i32) (param $rows i32) (result i32)
    (select
      (i32.add (local.get $start) (global.get $TILE_ROWS))
      (local.get $rows)
      (i32.lt_u (i32.add (local.get $start) (global.get $TILE_ROWS)) (local.get $rows))))

  ;; Batch-norm statistics in one pass: with d = x − shift (shift: float32[channels],
  ;; e.g. the first row, which keeps the sums small and the variance exact),
  ;; out: float64[2·channels] += (Σd, Σd²) per channel.
  (func (export "channelMoments")
    (param $x i32) (param $rows i32) (param $channels i32) (param $shift i32) (param $out i32)
    (local $rowBytes i32) (local $start i32) (local $end i32) (local $c i32) (local $p i32) (local $stop i32)
    (local $s v128) (local $d v128) (local $sum v128) (local $squares v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (block $done
      (loop $tiles
        (br_if $done (i32.ge_u (local.get $start) (local.get $rows)))
        (local.set $end (call $tileEnd (local.get $start) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $blocks
          (local.set $s (v128.load (i32.add (local.get $shift) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $sum (v128.const f32x4 0 0 0 0))
          (local.set $squares (v128.const f32x4 0 0 0 0))
          (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $start) (local.get $channels)) (local.get $c)) (i32.const 2))))
          (local.set $stop (i32.add (local.get $p) (i32.mul (i32.sub (local.get $end) (local.get $start)) (local.get $rowBytes))))
          (loop $tileRows
            (local.set $d (f32x4.sub (v128.load (local.get $p)) (local.get $s)))
            (local.set $sum (f32x4.add (local.get $sum) (local.get $d)))
            (local.set $squares (f32x4.add (local.get $squares) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br_if $tileRows (i32.lt_u (local.get $p) (local.get $stop))))
          (call $accumulate (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3))) (local.get $sum))
          (call $accumulate (i32.add (local.get $out) (i32.shl (i32.add (local.get $channels) (local.get $c)) (i32.const 3))) (local.get $squares))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $blocks (i32.lt_u (local.get $c) (local.get $channels))))
        (local.set $start (local.get $end))
        (br $tiles))))

  ;; out: float64[channels] += Σ x over the rows (bias gradients, reductions over leading
  ;; axes), any channel count: blocks of 4 columns in SIMD, the last channels % 4 one by one.
  (func (export "columnSums")
    (param $x i32) (param $rows i32) (param $channels i32) (param $out i32)
    (local $rowBytes i32) (local $blocks i32) (local $start i32) (local $end i32) (local $c i32) (local $p i32) (local $stop i32)
    (local $sum v128) (local $total f64)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $blocks (i32.and (local.get $channels) (i32.const -4)))
    (block $done
      (loop $tiles
        (br_if $done (i32.or (i32.eqz (local.get $blocks)) (i32.ge_u (local.get $start) (local.get $rows))))
        (local.set $end (call $tileEnd (local.get $start) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $columnBlocks
          (local.set $sum (v128.const f32x4 0 0 0 0))
          (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $start) (local.get $channels)) (local.get $c)) (i32.const 2))))
          (local.set $stop (i32.add (local.get $p) (i32.mul (i32.sub (local.get $end) (local.get $start)) (local.get $rowBytes))))
          (loop $tileRows
            (local.set $sum (f32x4.add (local.get $sum) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br_if $tileRows (i32.lt_u (local.get $p) (local.get $stop))))
          (call $accumulate (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3))) (local.get $sum))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $columnBlocks (i32.lt_u (local.get $c) (local.get $blocks))))
        (local.set $start (local.get $end))
        (br $tiles)))
    ;; The last channels % 4 columns, in float64 throughout.
    (local.set $c (local.get $blocks))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $c) (local.get $channels)))
        (local.set $total (f64.const 0))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $stop (i32.add (local.get $p) (i32.mul (local.get $rows) (local.get $rowBytes))))
        (loop $tailRows
          (local.set $total (f64.add (local.get $total) (f64.promote_f32 (f32.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
          (br_if $tailRows (i32.lt_u (local.get $p) (local.get $stop))))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3)))
          (f64.add (f64.load (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3)))) (local.get $total)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tail))))

  ;; y = max((x − mean)·a + b, floor) per channel, with coefficients float32[3·channels]:
  ;; mean, a = γ/√(σ²+ε), b = β. floor is −∞ (no activation) or 0 (ReLU fused in).
  (func (export "batchNormApply")
    (param $x i32) (param $y i32) (param $rows i32) (param $channels i32) (param $coefficients i32) (param $floor f32)
    (local $rowBytes i32) (local $stop i32) (local $c i32) (local $k i32) (local $floors v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $floors (f32x4.splat (local.get $floor)))
    (local.set $stop (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (loop $rowLoop
      (local.set $c (i32.const 0))
      (loop $blocks
        (local.set $k (i32.add (local.get $coefficients) (local.get $c)))
        (v128.store (i32.add (local.get $y) (local.get $c))
          (f32x4.max
            (f32x4.add
              (f32x4.mul
                (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c))) (v128.load (local.get $k)))
                (v128.load (i32.add (local.get $k) (local.get $rowBytes))))
              (v128.load (i32.add (local.get $k) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (local.get $floors)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $blocks (i32.lt_u (local.get $c) (local.get $rowBytes))))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
      (br_if $rowLoop (i32.lt_u (local.get $x) (local.get $stop)))))

  ;; g, the upstream gradient where the fused activation passed it: dy where y > 0
  ;; (ReLU), or dy everywhere when $all is all ones (no activation; y is then any
  ;; readable tensor of the same size, e.g. dy). The loops below spell it out,
  ;;   g = dy & ((y > 0) | all),
  ;; since a call per vector costs more than the arithmetic.

  (func $allLanes (param $linear i32) (result v128)
    (select (v128.const i32x4 -1 -1 -1 -1) (v128.const i32x4 0 0 0 0) (local.get $linear)))

  ;; Batch-norm backward, pass 1: out: float64[2·channels] += (Σg, Σg·(x − mean)) per
  ;; channel, mean: float32[channels]; g as above.
  (func (export "batchNormGradSums")
    (param $dy i32) (param $x i32) (param $y i32) (param $rows i32) (param $channels i32) (param $mean i32) (param $linear i32) (param $out i32)
    (local $rowBytes i32) (local $start i32) (local $end i32) (local $c i32) (local $offset i32) (local $stop i32)
    (local $all v128) (local $m v128) (local $g v128) (local $sum v128) (local $products v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $all (call $allLanes (local.get $linear)))
    (block $done
      (loop $tiles
        (br_if $done (i32.ge_u (local.get $start) (local.get $rows)))
        (local.set $end (call $tileEnd (local.get $start) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $blocks
          (local.set $m (v128.load (i32.add (local.get $mean) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $sum (v128.const f32x4 0 0 0 0))
          (local.set $products (v128.const f32x4 0 0 0 0))
          (local.set $offset (i32.shl (i32.add (i32.mul (local.get $start) (local.get $channels)) (local.get $c)) (i32.const 2)))
          (local.set $stop (i32.add (local.get $offset) (i32.mul (i32.sub (local.get $end) (local.get $start)) (local.get $rowBytes))))
          (loop $tileRows
            (local.set $g
              (v128.and (v128.load (i32.add (local.get $dy) (local.get $offset)))
                (v128.or (f32x4.gt (v128.load (i32.add (local.get $y) (local.get $offset))) (v128.const f32x4 0 0 0 0)) (local.get $all))))
            (local.set $sum (f32x4.add (local.get $sum) (local.get $g)))
            (local.set $products (f32x4.add (local.get $products)
              (f32x4.mul (local.get $g) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $offset))) (local.get $m)))))
            (local.set $offset (i32.add (local.get $offset) (local.get $rowBytes)))
            (br_if $tileRows (i32.lt_u (local.get $offset) (local.get $stop))))
          (call $accumulate (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3))) (local.get $sum))
          (call $accumulate (i32.add (local.get $out) (i32.shl (i32.add (local.get $channels) (local.get $c)) (i32.const 3))) (local.get $products))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $blocks (i32.lt_u (local.get $c) (local.get $channels))))
        (local.set $start (local.get $end))
        (br $tiles))))

  ;; Batch-norm backward, pass 2: dx = a·g − b − (x − mean)·d per channel, with
  ;; coefficients float32[4·channels]: mean, a, b, d (batch-norm-training.ts derives them).
  (func (export "batchNormGradInput")
    (param $dy i32) (param $x i32) (param $y i32) (param $dx i32) (param $rows i32) (param $channels i32) (param $coefficients i32) (param $linear i32)
    (local $rowBytes i32) (local $offset i32) (local $stop i32) (local $c i32) (local $k i32) (local $all v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $all (call $allLanes (local.get $linear)))
    (local.set $stop (i32.mul (local.get $rows) (local.get $rowBytes)))
    (loop $rowLoop
      (local.set $c (i32.const 0))
      (loop $blocks
        (local.set $k (i32.add (local.get $coefficients) (local.get $c)))
        (v128.store (i32.add (local.get $dx) (local.get $offset))
          (f32x4.sub
            (f32x4.sub
              (f32x4.mul
                (v128.and (v128.load (i32.add (local.get $dy) (local.get $offset)))
                  (v128.or (f32x4.gt (v128.load (i32.add (local.get $y) (local.get $offset))) (v128.const f32x4 0 0 0 0)) (local.get $all)))
                (v128.load (i32.add (local.get $k) (local.get $rowBytes))))
              (v128.load (i32.add (local.get $k) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $offset))) (v128.load (local.get $k)))
              (v128.load (i32.add (local.get $k) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
        (local.set $offset (i32.add (local.get $offset) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $blocks (i32.lt_u (local.get $c) (local.get $rowBytes))))
      (br_if $rowLoop (i32.lt_u (local.get $offset) (local.get $stop)))))

  ;; MaxPool gradient of 2×2 windows with stride 2, no padding, NHWC: dy goes to
  ;; the first maximum of each window in row-major order (the position tfjs's cpu
  ;; backend picks), 0 to the other three; pixels past the last whole window are
  ;; not written (the caller zeroes them). Any channel count: blocks of 4 channels
  ;; in SIMD, the last channels % 4 one by one, with the same comparisons.
  (func (export "maxPoolGrad2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $batch i32) (param $inH i32) (param $inW i32) (param $channels i32) (param $outH i32) (param $outW i32)
    (local $pixelBytes i32) (local $rowBytes i32) (local $blockBytes i32) (local $b i32) (local $oy i32) (local $ox i32) (local $i0 i32) (local $c i32)
    (local $in i32) (local $out i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $d v128)
    (local $top1 v128) (local $bottom3 v128) (local $lower v128) (local $upperD v128) (local $lowerD v128)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $g f32)
    (local $first1 i32) (local $first3 i32) (local $below i32)
    (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $inW) (local.get $pixelBytes)))
    (local.set $blockBytes (i32.and (local.get $pixelBytes) (i32.const -16)))
    (loop $images
      (local.set $oy (i32.const 0))
      (loop $outRows
        (local.set $ox (i32.const 0))
        (loop $outColumns
          ;; Byte offset of the window's top-left pixel.
          (local.set $i0 (i32.add
            (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.shl (local.get $oy) (i32.const 1))) (local.get $rowBytes))
            (i32.mul (i32.shl (local.get $ox) (i32.const 1)) (local.get $pixelBytes))))
          (local.set $c (i32.const 0))
          (block $noBlocks
            (br_if $noBlocks (i32.eqz (local.get $blockBytes)))
            (loop $blocks
              (local.set $in (i32.add (i32.add (local.get $x) (local.get $i0)) (local.get $c)))
              (local.set $out (i32.add (i32.add (local.get $dx) (local.get $i0)) (local.get $c)))
              (local.set $v0 (v128.load (local.get $in)))
              (local.set $v1 (v128.load (i32.add (local.get $in) (local.get $pixelBytes))))
              (local.set $v2 (v128.load (i32.add (local.get $in) (local.get $rowBytes))))
              (local.set $v3 (v128.load (i32.add (i32.add (local.get $in) (local.get $rowBytes)) (local.get $pixelBytes))))
              (local.set $d (v128.load (local.get $dy)))
              ;; Strictly greater: ties keep the first position.
              (local.set $top1 (f32x4.gt (local.get $v1) (local.get $v0)))
              (local.set $bottom3 (f32x4.gt (local.get $v3) (local.get $v2)))
              (local.set $lower (f32x4.gt
                (v128.bitselect (local.get $v3) (local.get $v2) (local.get $bottom3))
                (v128.bitselect (local.get $v1) (local.get $v0) (local.get $top1))))
              (local.set $upperD (v128.andnot (local.get $d) (local.get $lower)))
              (local.set $lowerD (v128.and (local.get $d) (local.get $lower)))
              (v128.store (local.get $out) (v128.andnot (local.get $upperD) (local.get $top1)))
              (v128.store (i32.add (local.get $out) (local.get $pixelBytes)) (v128.and (local.get $upperD) (local.get $top1)))
              (v128.store (i32.add (local.get $out) (local.get $rowBytes)) (v128.andnot (local.get $lowerD) (local.get $bottom3)))
              (v128.store (i32.add (i32.add (local.get $out) (local.get $rowBytes)) (local.get $pixelBytes)) (v128.and (local.get $lowerD) (local.get $bottom3)))
              (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (br_if $blocks (i32.lt_u (local.get $c) (local.get $blockBytes)))))
          (block $tailDone
            (loop $tail
              (br_if $tailDone (i32.ge_u (local.get $c) (local.get $pixelBytes)))
              (local.set $in (i32.add (i32.add (local.get $x) (local.get $i0)) (local.get $c)))
              (local.set $out (i32.add (i32.add (local.get $dx) (local.get $i0)) (local.get $c)))
              (local.set $s0 (f32.load (local.get $in)))
              (local.set $s1 (f32.load (i32.add (local.get $in) (local.get $pixelBytes))))
              (local.set $s2 (f32.load (i32.add (local.get $in) (local.get $rowBytes))))
              (local.set $s3 (f32.load (i32.add (i32.add (local.get $in) (local.get $rowBytes)) (local.get $pixelBytes))))
              (local.set $g (f32.load (local.get $dy)))
              (local.set $first1 (f32.gt (local.get $s1) (local.get $s0)))
              (local.set $first3 (f32.gt (local.get $s3) (local.get $s2)))
              (local.set $below (f32.gt
                (select (local.get $s3) (local.get $s2) (local.get $first3))
                (select (local.get $s1) (local.get $s0) (local.get $first1))))
              (f32.store (local.get $out)
                (select (local.get $g) (f32.const 0) (i32.eqz (i32.or (local.get $below) (local.get $first1)))))
              (f32.store (i32.add (local.get $out) (local.get $pixelBytes))
                (select (local.get $g) (f32.const 0) (i32.and (i32.eqz (local.get $below)) (local.get $first1))))
              (f32.store (i32.add (local.get $out) (local.get $rowBytes))
                (select (local.get $g) (f32.const 0) (i32.and (local.get $below) (i32.eqz (local.get $first3)))))
              (f32.store (i32.add (i32.add (local.get $out) (local.get $rowBytes)) (local.get $pixelBytes))
                (select (local.get $g) (f32.const 0) (i32.and (local.get $below) (local.get $first3))))
              (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (br $tail)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br_if $outColumns (i32.lt_u (local.get $ox) (local.get $outW))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br_if $outRows (i32.lt_u (local.get $oy) (local.get $outH))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $batch)))))

  ;; The columns of a filter gradient, transposed: cols[k][p] = xp[n, oh·sh + i, ow·sw + j, c]
  ;; for k = (i·kw + j)·channels + c (the filter's [kh, kw, in] order) and
  ;; p = (n·outH + oh)·outW + ow, over xp: [batch, height, width, channels], already
  ;; padded. A gather, ordered for the caches: per output row (n, oh) and tap (i, j)
  ;; the source is one run of outW pixels, read once per channel from L1, each
  ;; channel's values stored contiguously into its row of cols (one copy where the
  ;; taps are contiguous: one channel, stride 1). Sweeping x once per k instead
  ;; measured 3–4 ns an element, from L2 and L3.
  (func (export "im2colTransposed")
    (param $xp i32) (param $cols i32) (param $batch i32) (param $height i32) (param $width i32) (param $channels i32)
    (param $kh i32) (param $kw i32) (param $outH i32) (param $outW i32) (param $strideH i32) (param $strideW i32)
    (local $pixelBytes i32) (local $rowBytes i32) (local $columnStep i32) (local $colsRowBytes i32) (local $runBytes i32)
    (local $n i32) (local $oh i32) (local $i i32) (local $j i32) (local $c i32) (local $ow i32)
    (local $run i32) (local $p0 i32) (local $src i32) (local $dst i32)
    (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $width) (local.get $pixelBytes)))
    (local.set $columnStep (i32.mul (local.get $strideW) (local.get $pixelBytes)))
    ;; A row of cols: batch·outH·outW floats.
    (local.set $colsRowBytes (i32.shl (i32.mul (i32.mul (local.get $batch) (local.get $outH)) (local.get $outW)) (i32.const 2)))
    (local.set $runBytes (i32.shl (local.get $outW) (i32.const 2)))
    (loop $images
      (local.set $oh (i32.const 0))
      (loop $outRows
        ;; Byte offset of column p0 = (n·outH + oh)·outW in every row of cols.
        (local.set $p0 (i32.mul (i32.add (i32.mul (local.get $n) (local.get $outH)) (local.get $oh)) (local.get $runBytes)))
        (local.set $i (i32.const 0))
        (loop $taps_i
          (local.set $j (i32.const 0))
          (loop $taps_j
            ;; Pixel (n, oh·sh + i, j): the run's first.
            (local.set $run (i32.add (local.get $xp)
              (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $height)) (i32.add (i32.mul (local.get $oh) (local.get $strideH)) (local.get $i))) (local.get $rowBytes))
                (i32.mul (local.get $j) (local.get $pixelBytes)))))
            (local.set $c (i32.const 0))
            (loop $inputChannels
              (local.set $src (i32.add (local.get $run) (i32.shl (local.get $c) (i32.const 2))))
              (local.set $dst (i32.add (i32.add (local.get $cols) (local.get $p0))
                (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $channels)) (local.get $c)) (local.get $colsRowBytes))))
              (if (i32.eq (local.get $columnStep) (i32.const 4))
                (then (memory.copy (local.get $dst) (local.get $src) (local.get $runBytes)))
                (else
                  (local.set $ow (local.get $outW))
                  (loop $outColumns
                    (f32.store (local.get $dst) (f32.load (local.get $src)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $src (i32.add (local.get $src) (local.get $columnStep)))
                    (br_if $outColumns (local.tee $ow (i32.sub (local.get $ow) (i32.const 1)))))))
              (br_if $inputChannels (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $channels))))
            (br_if $taps_j (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $kw))))
          (br_if $taps_i (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $kh))))
        (br_if $outRows (i32.lt_u (local.tee $oh (i32.add (local.get $oh) (i32.const 1))) (local.get $outH))))
      (br_if $images (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $batch)))))

  ;; One register tile of filterGradient (below): dw[k .. k + 4][co .. co + 8] += Σ over $runs
  ;; output rows of A[p][k .. k + 4] · dy[p][co .. co + 8], the 4×8 block in 8 registers, per
  ;; pixel four broadcasts of A and two vectors of dy. $aRow: A[p][k] of the first pixel
  ;; of the first row (row $oh of its image); dy, dw: the tile's first values; outC floats
  ;; from one pixel of dy, and from one row of dw, to the next.
  (func $filterGradTile4
    (param $aRow i32) (param $oh i32) (param $runs i32) (param $dy i32) (param $dw i32)
    (param $outH i32) (param $rowStep i32) (param $imageSkip i32) (param $runBytes i32) (param $pixelStep i32) (param $outCBytes i32)
    (local $at i32) (local $p i32) (local $stop i32) (local $a v128) (local $b0 v128) (local $b1 v128) (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $at (local.get $dw))
    (local.set $c00 (v128.load (local.get $at)))
    (local.set $c01 (v128.load offset=16 (local.get $at)))
    (local.set $at (i32.add (local.get $at) (local.get $outCBytes)))
    (local.set $c10 (v128.load (local.get $at)))
    (local.set $c11 (v128.load offset=16 (local.get $at)))
    (local.set $at (i32.add (local.get $at) (local.get $outCBytes)))
    (local.set $c20 (v128.load (local.get $at)))
    (local.set $c21 (v128.load offset=16 (local.get $at)))
    (local.set $at (i32.add (local.get $at) (local.get $outCBytes)))
    (local.set $c30 (v128.load (local.get $at)))
    (local.set $c31 (v128.load offset=16 (local.get $at)))
    (loop $runLoop
      (local.set $p (local.get $aRow))
      (local.set $stop (i32.add (local.get $aRow) (local.get $runBytes)))
      (loop $pixels
        (local.set $b0 (v128.load (local.get $dy)))
        (local.set $b1 (v128.load offset=16 (local.get $dy)))
        (local.set $a (v128.load32_splat (local.get $p)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat offset=4 (local.get $p)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat offset=8 (local.get $p)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat offset=12 (local.get $p)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $dy (i32.add (local.get $dy) (local.get $outCBytes)))
        (local.set $p (i32.add (local.get $p) (local.get $pixelStep)))
        (br_if $pixels (i32.lt_u (local.get $p) (local.get $stop))))
      (local.set $aRow (i32.add (local.get $aRow) (local.get $rowStep)))
      (if (i32.eq (local.tee $oh (i32.add (local.get $oh) (i32.const 1))) (local.get $outH))
        (then
          (local.set $oh (i32.const 0))
          (local.set $aRow (i32.add (local.get $aRow) (local.get $imageSkip)))))
      (br_if $runLoop (local.tee $runs (i32.sub (local.get $runs) (i32.const 1)))))
    (local.set $at (local.get $dw))
    (v128.store (local.get $at) (local.get $c00))
    (v128.store offset=16 (local.get $at) (local.get $c01))
    (local.set $at (i32.add (local.get $at) (local.get $outCBytes)))
    (v128.store (local.get $at) (local.get $c10))
    (v128.store offset=16 (local.get $at) (local.get $c11))
    (local.set $at (i32.add (local.get $at) (local.get $outCBytes)))
    (v128.store (local.get $at) (local.get $c20))
    (v128.store offset=16 (local.get $at) (local.get $c21))
    (local.set $at (i32.add (local.get $at) (local.get $outCBytes)))
    (v128.store (local.get $at) (local.get $c30))
    (v128.store offset=16 (local.get $at) (local.get $c31)))

  ;; The same for one k: the last kw·channels % 4 of a tap row.
  (func $filterGradTile1
    (param $aRow i32) (param $oh i32) (param $runs i32) (param $dy i32) (param $dw i32)
    (param $outH i32) (param $rowStep i32) (param $imageSkip i32) (param $runBytes i32) (param $pixelStep i32) (param $outCBytes i32)
    (local $p i32) (local $stop i32) (local $a v128) (local $b0 v128) (local $b1 v128) (local $c00 v128) (local $c01 v128)
    (local.set $c00 (v128.load (local.get $dw)))
    (local.set $c01 (v128.load offset=16 (local.get $dw)))
    (loop $runLoop
      (local.set $p (local.get $aRow))
      (local.set $stop (i32.add (local.get $aRow) (local.get $runBytes)))
      (loop $pixels
        (local.set $b0 (v128.load (local.get $dy)))
        (local.set $b1 (v128.load offset=16 (local.get $dy)))
        (local.set $a (v128.load32_splat (local.get $p)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $dy (i32.add (local.get $dy) (local.get $outCBytes)))
        (local.set $p (i32.add (local.get $p) (local.get $pixelStep)))
        (br_if $pixels (i32.lt_u (local.get $p) (local.get $stop))))
      (local.set $aRow (i32.add (local.get $aRow) (local.get $rowStep)))
      (if (i32.eq (local.tee $oh (i32.add (local.get $oh) (i32.const 1))) (local.get $outH))
        (then
          (local.set $oh (i32.const 0))
          (local.set $aRow (i32.add (local.get $aRow) (local.get $imageSkip)))))
      (br_if $runLoop (local.tee $runs (i32.sub (local.get $runs) (i32.const 1)))))
    (v128.store (local.get $dw) (local.get $c00))
    (v128.store offset=16 (local.get $dw) (local.get $c01)))

  ;; The filter gradient of a convolution, dw[i, j, c, co] = Σ over pixels p = (n, oh, ow) of
  ;; xp[n, oh·sh + i, ow·sw + j, c] · dy[p, co], straight from the tensors: no im2col, no
  ;; packing. For one tap row i, the kw·channels values j·channels + c of a pixel are
  ;; contiguous in xp (a row of a matrix A_i[p][k]), so each tap row is a product
  ;; dw_i = A_iᵀ · dy summed over p, the long axis. It is blocked over p (blockRuns output
  ;; rows of outW pixels, so a block's strip of dy, 32 bytes a pixel, stays in L1 across
  ;; every tap, and the block's x in L2), and within a block computed in 4×8 register tiles (k × co), plus
  ;; 1×8 tiles for the last kw·channels % 4 values of k. outC must be a multiple of 8.
  ;; xp: [batch, height, width, channels], already padded; dy: [batch, outH, outW, outC];
  ;; dw: [kh, kw, channels, outC], overwritten.
  (func (export "filterGradient")
    (param $xp i32) (param $dy i32) (param $dw i32) (param $batch i32) (param $height i32) (param $width i32) (param $channels i32)
    (param $kh i32) (param $kw i32) (param $outH i32) (param $outW i32) (param $strideH i32) (param $strideW i32) (param $outC i32) (param $blockRuns i32)
    (local $pixelBytes i32) (local $rowStep i32) (local $imageBytes i32) (local $imageSkip i32) (local $pixelStep i32) (local $runBytes i32)
    (local $rowBytes i32) (local $outCBytes i32) (local $taps i32) (local $totalRuns i32)
    (local $r0 i32) (local $runs i32) (local $n i32) (local $oh i32) (local $dyBlock i32) (local $co i32) (local $i i32) (local $k i32) (local $aBase i32)
    (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $width) (local.get $pixelBytes)))
    (local.set $rowStep (i32.mul (local.get $strideH) (local.get $rowBytes)))
    (local.set $imageBytes (i32.mul (local.get $height) (local.get $rowBytes)))
    (local.set $imageSkip (i32.sub (local.get $imageBytes) (i32.mul (local.get $outH) (local.get $rowStep))))
    (local.set $pixelStep (i32.mul (local.get $strideW) (local.get $pixelBytes)))
    (local.set $runBytes (i32.mul (local.get $outW) (local.get $pixelStep)))
    (local.set $outCBytes (i32.shl (local.get $outC) (i32.const 2)))
    ;; k's range for one tap row: kw·channels.
    (local.set $taps (i32.mul (local.get $kw) (local.get $channels)))
    (local.set $totalRuns (i32.mul (local.get $batch) (local.get $outH)))
    (memory.fill (local.get $dw) (i32.const 0) (i32.mul (i32.mul (local.get $kh) (local.get $taps)) (local.get $outCBytes)))
    (loop $blocks
      (local.set $runs (select (local.get $blockRuns) (i32.sub (local.get $totalRuns) (local.get $r0))
        (i32.lt_u (local.get $blockRuns) (i32.sub (local.get $totalRuns) (local.get $r0)))))
      (local.set $n (i32.div_u (local.get $r0) (local.get $outH)))
      (local.set $oh (i32.rem_u (local.get $r0) (local.get $outH)))
      (local.set $dyBlock (i32.add (local.get $dy) (i32.mul (i32.mul (local.get $r0) (local.get $outW)) (local.get $outCBytes))))
      (local.set $co (i32.const 0))
      (loop $outChannels
        (local.set $i (i32.const 0))
        (loop $tapRows
          ;; Row oh·sh + i of image n, pixel 0.
          (local.set $aBase (i32.add (i32.add (local.get $xp) (i32.mul (local.get $n) (local.get $imageBytes)))
            (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $strideH)) (local.get $i)) (local.get $rowBytes))))
          (local.set $k (i32.const 0))
          (block $fourDone
            (loop $fours
              (br_if $fourDone (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $taps)))
              (call $filterGradTile4
                (i32.add (local.get $aBase) (i32.shl (local.get $k) (i32.const 2))) (local.get $oh) (local.get $runs)
                (i32.add (local.get $dyBlock) (i32.shl (local.get $co) (i32.const 2)))
                (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $taps)) (local.get $k)) (local.get $outC)) (local.get $co)) (i32.const 2)))
                (local.get $outH) (local.get $rowStep) (local.get $imageSkip) (local.get $runBytes) (local.get $pixelStep) (local.get $outCBytes))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $fours)))
          (block $oneDone
            (loop $ones
              (br_if $oneDone (i32.ge_u (local.get $k) (local.get $taps)))
              (call $filterGradTile1
                (i32.add (local.get $aBase) (i32.shl (local.get $k) (i32.const 2))) (local.get $oh) (local.get $runs)
                (i32.add (local.get $dyBlock) (i32.shl (local.get $co) (i32.const 2)))
                (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $taps)) (local.get $k)) (local.get $outC)) (local.get $co)) (i32.const 2)))
                (local.get $outH) (local.get $rowStep) (local.get $imageSkip) (local.get $runBytes) (local.get $pixelStep) (local.get $outCBytes))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $ones)))
          (br_if $tapRows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $kh))))
        (br_if $outChannels (i32.lt_u (local.tee $co (i32.add (local.get $co) (i32.const 8))) (local.get $outC))))
      (br_if $blocks (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (local.get $runs))) (local.get $totalRuns)))))

  ;; One register tile of convStride1 (below): four output pixels side by side (tile 4)
  ;; or one (tile 1), 8 output channels: y[m][0 .. 8] = Σ over the kh tap rows and the
  ;; kw·channels values k of each of x[m][k] · w[k][0 .. 8]. $x: the first pixel's
  ;; window, pixels $pixelBytes apart and tap rows $rowBytes apart; $w: the block of 8
  ;; output channels, packed [kh·kw·channels][8]; $y: the first pixel's output, pixels
  ;; $outCBytes apart.
  (func $convTile4
    (param $x i32) (param $pixelBytes i32) (param $rowBytes i32) (param $w i32) (param $rowTaps i32) (param $kh i32) (param $y i32) (param $outCBytes i32)
    (local $i i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $stop i32) (local $a v128) (local $b0 v128) (local $b1 v128) (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (loop $tapRows
      (local.set $p0 (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $pixelBytes)))
      (local.set $p2 (i32.add (local.get $p1) (local.get $pixelBytes)))
      (local.set $p3 (i32.add (local.get $p2) (local.get $pixelBytes)))
      (local.set $stop (i32.add (local.get $p0) (i32.shl (local.get $rowTaps) (i32.const 2))))
      (loop $taps
        (local.set $b0 (v128.load (local.get $w)))
        (local.set $b1 (v128.load offset=16 (local.get $w)))
        (local.set $a (v128.load32_splat (local.get $p0)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat (local.get $p1)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat (local.get $p2)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat (local.get $p3)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $w (i32.add (local.get $w) (i32.const 32)))
        (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
        (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
        (local.set $p2 (i32.add (local.get $p2) (i32.const 4)))
        (local.set $p3 (i32.add (local.get $p3) (i32.const 4)))
        (br_if $taps (i32.lt_u (local.get $p0) (local.get $stop))))
      (br_if $tapRows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $kh))))
    (v128.store (local.get $y) (local.get $c00))
    (v128.store offset=16 (local.get $y) (local.get $c01))
    (v128.store (i32.add (local.get $y) (local.get $outCBytes)) (local.get $c10))
    (v128.store offset=16 (i32.add (local.get $y) (local.get $outCBytes)) (local.get $c11))
    (v128.store (i32.add (local.get $y) (i32.mul (i32.const 2) (local.get $outCBytes))) (local.get $c20))
    (v128.store offset=16 (i32.add (local.get $y) (i32.mul (i32.const 2) (local.get $outCBytes))) (local.get $c21))
    (v128.store (i32.add (local.get $y) (i32.mul (i32.const 3) (local.get $outCBytes))) (local.get $c30))
    (v128.store offset=16 (i32.add (local.get $y) (i32.mul (i32.const 3) (local.get $outCBytes))) (local.get $c31)))

  (func $convTile1
    (param $x i32) (param $pixelBytes i32) (param $rowBytes i32) (param $w i32) (param $rowTaps i32) (param $kh i32) (param $y i32) (param $outCBytes i32)
    (local $i i32) (local $p0 i32)  (local $stop i32) (local $a v128) (local $b0 v128) (local $b1 v128) (local $c00 v128) (local $c01 v128)
    (loop $tapRows
      (local.set $p0 (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))

      (local.set $stop (i32.add (local.get $p0) (i32.shl (local.get $rowTaps) (i32.const 2))))
      (loop $taps
        (local.set $b0 (v128.load (local.get $w)))
        (local.set $b1 (v128.load offset=16 (local.get $w)))
        (local.set $a (v128.load32_splat (local.get $p0)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $w (i32.add (local.get $w) (i32.const 32)))
        (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
        (br_if $taps (i32.lt_u (local.get $p0) (local.get $stop))))
      (br_if $tapRows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $kh))))
    (v128.store (local.get $y) (local.get $c00))
    (v128.store offset=16 (local.get $y) (local.get $c01)))

  ;; A convolution with stride 1 and no padding (x already padded), the input gradient's
  ;; (wasm-kernels.ts: dy spread and padded, with the filter flipped): y[n, oh, ow, o] =
  ;; Σ x[n, oh + i, ow + j, c] · f[i, j, c, o], in 4×8 register tiles (pixels × output
  ;; channels) with a broadcast of x and two vectors of the filter per tap, the filter
  ;; packed by blocks of 8 output channels: w[o / 8][(i·kw + j)·channels + c][o % 8]
  ;; (outC a multiple of 8). Per output row, each block of the filter sweeps the row's
  ;; pixels, so the block (kh·kw·channels·32 bytes) and the row's window stay in cache.
  ;; x: [batch, height, width, channels]; y: [batch, outH, outW, outC], overwritten.
  (func (export "convStride1")
    (param $x i32) (param $w i32) (param $y i32) (param $batch i32) (param $height i32) (param $width i32) (param $channels i32)
    (param $kh i32) (param $kw i32) (param $outH i32) (param $outW i32) (param $outC i32)
    (local $pixelBytes i32) (local $rowBytes i32) (local $rowTaps i32) (local $outCBytes i32) (local $blockBytes i32)
    (local $n i32) (local $oh i32) (local $ob i32) (local $ow i32) (local $xRow i32) (local $yRow i32) (local $wBlock i32)
    (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $width) (local.get $pixelBytes)))
    (local.set $rowTaps (i32.mul (local.get $kw) (local.get $channels)))
    (local.set $outCBytes (i32.shl (local.get $outC) (i32.const 2)))
    (local.set $blockBytes (i32.shl (i32.mul (local.get $kh) (local.get $rowTaps)) (i32.const 5)))
    (loop $images
      (local.set $oh (i32.const 0))
      (loop $outRows
        (local.set $xRow (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (local.get $n) (local.get $height)) (local.get $oh)) (local.get $rowBytes))))
        (local.set $yRow (i32.add (local.get $y) (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $outH)) (local.get $oh)) (local.get $outW)) (local.get $outCBytes))))
        (local.set $ob (i32.const 0))
        (loop $outBlocks
          (local.set $wBlock (i32.add (local.get $w) (i32.mul (i32.shr_u (local.get $ob) (i32.const 3)) (local.get $blockBytes))))
          (local.set $ow (i32.const 0))
          (block $fourDone
            (loop $fours
              (br_if $fourDone (i32.gt_u (i32.add (local.get $ow) (i32.const 4)) (local.get $outW)))
              (call $convTile4
                (i32.add (local.get $xRow) (i32.mul (local.get $ow) (local.get $pixelBytes))) (local.get $pixelBytes) (local.get $rowBytes)
                (local.get $wBlock) (local.get $rowTaps) (local.get $kh)
                (i32.add (i32.add (local.get $yRow) (i32.mul (local.get $ow) (local.get $outCBytes))) (i32.shl (local.get $ob) (i32.const 2))) (local.get $outCBytes))
              (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
              (br $fours)))
          (block $oneDone
            (loop $ones
              (br_if $oneDone (i32.ge_u (local.get $ow) (local.get $outW)))
              (call $convTile1
                (i32.add (local.get $xRow) (i32.mul (local.get $ow) (local.get $pixelBytes))) (local.get $pixelBytes) (local.get $rowBytes)
                (local.get $wBlock) (local.get $rowTaps) (local.get $kh)
                (i32.add (i32.add (local.get $yRow) (i32.mul (local.get $ow) (local.get $outCBytes))) (i32.shl (local.get $ob) (i32.const 2))) (local.get $outCBytes))
              (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
              (br $ones)))
          (br_if $outBlocks (i32.lt_u (local.tee $ob (i32.add (local.get $ob) (i32.const 8))) (local.get $outC))))
        (br_if $outRows (i32.lt_u (local.tee $oh (i32.add (local.get $oh) (i32.const 1))) (local.get $outH))))
      (br_if $images (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $batch)))))

  ;; The optimiser's update (ops/optimizer-update.ts has the rules) over the first
  ;; $n elements, $n a multiple of 4; the caller does the rest with the reference.
  ;; Adam / AdamW: g = grad + coupled·param; m' = β1·m + (1 − β1)·g;
  ;; v' = β2·v + (1 − β2)·g²; param' = param·shrink − lr·(m'/c1)/(√(v'/c2) + ε).
  (func (export "adamUpdate")
    (param $param i32) (param $grad i32) (param $m i32) (param $v i32) (param $outParam i32) (param $outM i32) (param $outV i32) (param $n i32)
    (param $lr f32) (param $beta1 f32) (param $beta2 f32) (param $epsilon f32) (param $coupled f32) (param $shrink f32) (param $correction1 f32) (param $correction2 f32)
    (local $at i32) (local $stop i32) (local $p v128) (local $g v128) (local $mi v128) (local $vi v128)
    (local.set $stop (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_u (local.get $at) (local.get $stop)))
        (local.set $p (v128.load (i32.add (local.get $param) (local.get $at))))
        (local.set $g (f32x4.add (v128.load (i32.add (local.get $grad) (local.get $at))) (f32x4.mul (f32x4.splat (local.get $coupled)) (local.get $p))))
        (local.set $mi (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $beta1)) (v128.load (i32.add (local.get $m) (local.get $at))))
          (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $beta1))) (local.get $g))))
        (local.set $vi (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $beta2)) (v128.load (i32.add (local.get $v) (local.get $at))))
          (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $beta2))) (f32x4.mul (local.get $g) (local.get $g)))))
        (v128.store (i32.add (local.get $outM) (local.get $at)) (local.get $mi))
        (v128.store (i32.add (local.get $outV) (local.get $at)) (local.get $vi))
        (v128.store (i32.add (local.get $outParam) (local.get $at))
          (f32x4.sub
            (f32x4.mul (local.get $p) (f32x4.splat (local.get $shrink)))
            (f32x4.div
              (f32x4.mul (f32x4.splat (local.get $lr)) (f32x4.div (local.get $mi) (f32x4.splat (local.get $correction1))))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vi) (f32x4.splat (local.get $correction2)))) (f32x4.splat (local.get $epsilon))))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $elements))))

  ;; SGD with momentum: g = grad + weightDecay·param; buf' = momentum·buf + g;
  ;; param' = param − lr·(nesterov ≠ 0 ? g + momentum·buf' : buf').
  (func (export "sgdMomentumUpdate")
    (param $param i32) (param $grad i32) (param $buf i32) (param $outParam i32) (param $outBuf i32) (param $n i32)
    (param $lr f32) (param $momentum f32) (param $weightDecay f32) (param $nesterov i32)
    (local $at i32) (local $stop i32) (local $p v128) (local $g v128) (local $b v128)
    (local.set $stop (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_u (local.get $at) (local.get $stop)))
        (local.set $p (v128.load (i32.add (local.get $param) (local.get $at))))
        (local.set $g (f32x4.add (v128.load (i32.add (local.get $grad) (local.get $at))) (f32x4.mul (f32x4.splat (local.get $weightDecay)) (local.get $p))))
        (local.set $b (f32x4.add (f32x4.mul (f32x4.splat (local.get $momentum)) (v128.load (i32.add (local.get $buf) (local.get $at)))) (local.get $g)))
        (v128.store (i32.add (local.get $outBuf) (local.get $at)) (local.get $b))
        (v128.store (i32.add (local.get $outParam) (local.get $at))
          (f32x4.sub (local.get $p) (f32x4.mul (f32x4.splat (local.get $lr))
            (select (result v128) (f32x4.add (local.get $g) (f32x4.mul (f32x4.splat (local.get $momentum)) (local.get $b))) (local.get $b) (local.get $nesterov)))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $elements))))

  ;; y = eˣ over $n float32 values ($n a multiple of 4; the caller does the rest):
  ;; Cephes' expf in four lanes. x = k·ln 2 + r with k = nearest(x·log₂e) ≤ 127,
  ;; |r| ≤ ln 2 / 2, eʳ by a degree-6 polynomial, 2ᵏ written into the exponent
  ;; bits: within a few ulp (1e-6 relatively). Below −88.38 the result is 0 (eˣ is
  ;; then subnormal), above ln(FLT_MAX) +∞; NaN stays NaN (pmin/pmax keep it).
  (func (export "exp") (param $x i32) (param $y i32) (param $n i32)
    (local $at i32) (local $stop i32) (local $a v128) (local $k v128) (local $r v128) (local $p v128)
    (local.set $stop (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_u (local.get $at) (local.get $stop)))
        (local.set $a (v128.load (i32.add (local.get $x) (local.get $at))))
        (local.set $r (f32x4.pmax (f32x4.pmin (local.get $a) (v128.const f32x4 88.72283935546875 88.72283935546875 88.72283935546875 88.72283935546875))
          (v128.const f32x4 -88.3762626647949 -88.3762626647949 -88.3762626647949 -88.3762626647949)))
        (local.set $k (f32x4.pmin (f32x4.nearest (f32x4.mul (local.get $r) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)))
          (v128.const f32x4 127 127 127 127)))
        ;; r = x − k·ln 2, ln 2 split in two for precision.
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
        (local.set $p (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r))
          (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
        ;; eʳ ≈ 1 + r + r²·p; × 2ᵏ: k (an integer, |k| ≤ 127) read off the bits of k + 1.5·2²³, plus 127, into the exponent.
        (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1)))
        (local.set $p (f32x4.mul (local.get $p)
          (i32x4.shl
            (i32x4.add (i32x4.sub (f32x4.add (local.get $k) (v128.const f32x4 12582912 12582912 12582912 12582912)) (v128.const i32x4 0x4B400000 0x4B400000 0x4B400000 0x4B400000))
              (v128.const i32x4 127 127 127 127))
            (i32.const 23))))
        (v128.store (i32.add (local.get $y) (local.get $at))
          (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get $p)
            (f32x4.gt (local.get $a) (v128.const f32x4 88.72283935546875 88.72283935546875 88.72283935546875 88.72283935546875))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $elements))))

  ;; Tanh's gradient from its output: dx = dy·(1 − y²), over $n values as above.
  (func (export "tanhGrad") (param $dy i32) (param $y i32) (param $dx i32) (param $n i32)
    (local $at i32) (local $stop i32) (local $v v128)
    (local.set $stop (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_u (local.get $at) (local.get $stop)))
        (local.set $v (v128.load (i32.add (local.get $y) (local.get $at))))
        (v128.store (i32.add (local.get $dx) (local.get $at))
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $at)))
            (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $v) (local.get $v)))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $elements))))
)
