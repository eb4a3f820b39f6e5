;; The manhattan pixel kernels (manhattan-pixel-kernels.ts) in WebAssembly SIMD:
;; four float32 lanes per instruction. Compiled by WABT at build time
;; (scripts/wat.mjs); the module has its own memory, laid out by manhattan-simd.ts.
;; Addresses and $rowBytes are in bytes; $rowBytes is a multiple of 16.
(module
  (memory (export "memory") 1)

  ;; out[o] = −Σ_t |patch[t] − wT[o·stride + t]| for each of the $outC channels o.
  (func (export "forward") (param $patch i32) (param $wT i32) (param $out i32) (param $rowBytes i32) (param $outC i32)
    (local $t i32) (local $acc v128)
    (loop $channels
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $t (i32.const 0))
      (loop $taps
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.abs (f32x4.sub
            (v128.load (i32.add (local.get $patch) (local.get $t)))
            (v128.load (i32.add (local.get $wT) (local.get $t)))))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (br_if $taps (i32.lt_u (local.get $t) (local.get $rowBytes))))
      (f32.store (local.get $out)
        (f32.neg (f32.add (f32.add (f32.add
          (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
          (f32x4.extract_lane 2 (local.get $acc))) (f32x4.extract_lane 3 (local.get $acc)))))
      (local.set $wT (i32.add (local.get $wT) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br_if $channels (local.tee $outC (i32.sub (local.get $outC) (i32.const 1))))))

  ;; With s = g[o]·sign(patch[t] − wT[o·stride + t]) (sign(0) = 0), for each channel o
  ;; whose g[o] ≠ 0: dPatch[t] −= s, dwT[o·stride + t] += s.
  (func (export "backward") (param $patch i32) (param $wT i32) (param $dPatch i32) (param $dwT i32) (param $g i32) (param $rowBytes i32) (param $outC i32)
    (local $t i32) (local $gv v128) (local $d v128) (local $s v128)
    (loop $channels
      (if (f32.ne (f32.load (local.get $g)) (f32.const 0))
        (then
          (local.set $gv (f32x4.splat (f32.load (local.get $g))))
          (local.set $t (i32.const 0))
          (loop $taps
            (local.set $d (f32x4.sub
              (v128.load (i32.add (local.get $patch) (local.get $t)))
              (v128.load (i32.add (local.get $wT) (local.get $t)))))
            (local.set $s (f32x4.sub
              (v128.and (f32x4.gt (local.get $d) (v128.const f32x4 0 0 0 0)) (local.get $gv))
              (v128.and (f32x4.lt (local.get $d) (v128.const f32x4 0 0 0 0)) (local.get $gv))))
            (v128.store (i32.add (local.get $dPatch) (local.get $t))
              (f32x4.sub (v128.load (i32.add (local.get $dPatch) (local.get $t))) (local.get $s)))
            (v128.store (i32.add (local.get $dwT) (local.get $t))
              (f32x4.add (v128.load (i32.add (local.get $dwT) (local.get $t))) (local.get $s)))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $taps (i32.lt_u (local.get $t) (local.get $rowBytes))))))
      (local.set $wT (i32.add (local.get $wT) (local.get $rowBytes)))
      (local.set $dwT (i32.add (local.get $dwT) (local.get $rowBytes)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (br_if $channels (local.tee $outC (i32.sub (local.get $outC) (i32.const 1)))))))
