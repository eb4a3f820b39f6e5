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

  ;; out: float64[channels] += Σ x over the rows (bias gradients, reductions over leading axes).
  (func (export "columnSums")
    (param $x i32) (param $rows i32) (param $channels i32) (param $out i32)
    (local $rowBytes i32) (local $start i32) (local $end i32) (local $c i32) (local $p i32) (local $stop i32)
    (local $sum v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (block $done
      (loop $tiles
        (br_if $done (i32.ge_u (local.get $start) (local.get $rows)))
        (local.set $end (call $tileEnd (local.get $start) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $blocks
          (local.set $sum (v128.const f32x4 0 0 0 0))
          (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $start) (local.get $channels)) (local.get $c)) (i32.const 2))))
          (local.set $stop (i32.add (local.get $p) (i32.mul (i32.sub (local.get $end) (local.get $start)) (local.get $rowBytes))))
          (loop $tileRows
            (local.set $sum (f32x4.add (local.get $sum) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br_if $tileRows (i32.lt_u (local.get $p) (local.get $stop))))
          (call $accumulate (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3))) (local.get $sum))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $blocks (i32.lt_u (local.get $c) (local.get $channels))))
        (local.set $start (local.get $end))
        (br $tiles))))

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

  ;; The upstream gradient where the fused activation passed it: g = dy where y > 0
  ;; (ReLU), or dy everywhere when $all is all ones (no activation; y is then any
  ;; readable tensor of the same size, e.g. dy).
  (func $passed (param $dy i32) (param $y i32) (param $all v128) (result v128)
    (v128.and (v128.load (local.get $dy))
      (v128.or (f32x4.gt (v128.load (local.get $y)) (v128.const f32x4 0 0 0 0)) (local.get $all))))

  (func $allLanes (param $linear i32) (result v128)
    (select (v128.const i32x4 -1 -1 -1 -1) (v128.const i32x4 0 0 0 0) (local.get $linear)))

  ;; Batch-norm backward, pass 1: out: float64[2·channels] += (Σg, Σg·(x − mean)) per
  ;; channel, mean: float32[channels]; g as in $passed.
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
            (local.set $g (call $passed (i32.add (local.get $dy) (local.get $offset)) (i32.add (local.get $y) (local.get $offset)) (local.get $all)))
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
                (call $passed (i32.add (local.get $dy) (local.get $offset)) (i32.add (local.get $y) (local.get $offset)) (local.get $all))
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
  ;; not written (the caller zeroes them).
  (func (export "maxPoolGrad2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $batch i32) (param $inH i32) (param $inW i32) (param $channels i32) (param $outH i32) (param $outW i32)
    (local $pixelBytes i32) (local $rowBytes i32) (local $b i32) (local $oy i32) (local $ox i32) (local $i0 i32) (local $c i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $d v128)
    (local $top1 v128) (local $bottom3 v128) (local $lower v128) (local $upperD v128) (local $lowerD v128)
    (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $inW) (local.get $pixelBytes)))
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
          (loop $blocks
            (local.set $v0 (v128.load (i32.add (i32.add (local.get $x) (local.get $i0)) (local.get $c))))
            (local.set $v1 (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $i0)) (local.get $pixelBytes)) (local.get $c))))
            (local.set $v2 (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $i0)) (local.get $rowBytes)) (local.get $c))))
            (local.set $v3 (v128.load (i32.add (i32.add (i32.add (i32.add (local.get $x) (local.get $i0)) (local.get $rowBytes)) (local.get $pixelBytes)) (local.get $c))))
            (local.set $d (v128.load (local.get $dy)))
            ;; Strictly greater: ties keep the first position.
            (local.set $top1 (f32x4.gt (local.get $v1) (local.get $v0)))
            (local.set $bottom3 (f32x4.gt (local.get $v3) (local.get $v2)))
            (local.set $lower (f32x4.gt
              (v128.bitselect (local.get $v3) (local.get $v2) (local.get $bottom3))
              (v128.bitselect (local.get $v1) (local.get $v0) (local.get $top1))))
            (local.set $upperD (v128.andnot (local.get $d) (local.get $lower)))
            (local.set $lowerD (v128.and (local.get $d) (local.get $lower)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $i0)) (local.get $c))
              (v128.andnot (local.get $upperD) (local.get $top1)))
            (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $i0)) (local.get $pixelBytes)) (local.get $c))
              (v128.and (local.get $upperD) (local.get $top1)))
            (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $i0)) (local.get $rowBytes)) (local.get $c))
              (v128.andnot (local.get $lowerD) (local.get $bottom3)))
            (v128.store (i32.add (i32.add (i32.add (i32.add (local.get $dx) (local.get $i0)) (local.get $rowBytes)) (local.get $pixelBytes)) (local.get $c))
              (v128.and (local.get $lowerD) (local.get $bottom3)))
            (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br_if $blocks (i32.lt_u (local.get $c) (local.get $pixelBytes))))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br_if $outColumns (i32.lt_u (local.get $ox) (local.get $outW))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br_if $outRows (i32.lt_u (local.get $oy) (local.get $outH))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $batch)))))
)
